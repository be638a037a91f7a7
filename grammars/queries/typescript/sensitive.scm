; inherits: ecma
; TypeScript has no JSX nodes, so it takes only the shared ECMAScript patterns.
