; inherits: ecma
; TypeScript adds interfaces and type aliases to the shared ECMAScript definitions.

(program (interface_declaration name: (type_identifier) @name) @definition.class)
(program
  (export_statement declaration: (interface_declaration name: (type_identifier) @name) @definition.class))
(program (type_alias_declaration name: (type_identifier) @name) @definition.constant)
(program
  (export_statement declaration: (type_alias_declaration name: (type_identifier) @name) @definition.constant))
