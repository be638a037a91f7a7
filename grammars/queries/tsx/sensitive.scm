; inherits: ecma, jsx
; TSX uses the shared ECMAScript and JSX patterns.
