; inherits: ecma, jsx
; JavaScript (with JSX) uses the shared ECMAScript and JSX patterns.
