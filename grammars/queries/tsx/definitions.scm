; inherits: typescript
; TSX has the same definitions as TypeScript.
