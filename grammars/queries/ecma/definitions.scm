; Definitions shared by JavaScript, TypeScript and TSX (see python/definitions.scm for the
; capture names): top-level functions, classes and const/let bindings, exported or not, and
; the methods of classes.

(program (function_declaration name: (identifier) @name) @definition.function)
(program
  (export_statement declaration: (function_declaration name: (identifier) @name) @definition.function))
(program (class_declaration name: (_) @name) @definition.class)
(program
  (export_statement declaration: (class_declaration name: (_) @name) @definition.class))
(class_body (method_definition name: (property_identifier) @name) @definition.method)
(program
  (lexical_declaration (variable_declarator name: (identifier) @name)) @definition.constant)
(program
  (export_statement
    declaration: (lexical_declaration (variable_declarator name: (identifier) @name)) @definition.constant))
