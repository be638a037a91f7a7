; inherits: ecma
; JavaScript takes the shared ECMAScript definitions.
