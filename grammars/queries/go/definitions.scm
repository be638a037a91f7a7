; Definitions in Go (see python/definitions.scm for the capture names): functions, methods,
; types and constants at the top level of a file.

(source_file (function_declaration name: (identifier) @name) @definition.function)
(source_file (method_declaration name: (field_identifier) @name) @definition.method)
(source_file (type_declaration (type_spec name: (type_identifier) @name) @definition.class))
(source_file (const_declaration (const_spec name: (identifier) @name) @definition.constant))
