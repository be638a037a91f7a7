; Definitions the workspace index keeps (grammars/definitions.py): the whole definition is
; captured as @definition.<kind>, its name as @name. Only module level and class bodies: a
; function's local helpers cannot be imported, so they never ground another file.

(module (function_definition name: (identifier) @name) @definition.function)
(module
  (decorated_definition
    definition: (function_definition name: (identifier) @name) @definition.function))
(module (class_definition name: (identifier) @name) @definition.class)
(module
  (decorated_definition
    definition: (class_definition name: (identifier) @name) @definition.class))

(class_definition
  body: (block (function_definition name: (identifier) @name) @definition.method))
(class_definition
  body: (block
    (decorated_definition
      definition: (function_definition name: (identifier) @name) @definition.method)))
(class_definition
  body: (block (class_definition name: (identifier) @name) @definition.class))

; Module-level names bound by a plain assignment: constants, aliases, type aliases.
(module (expression_statement (assignment left: (identifier) @name) @definition.constant))
