; Sensitive-API patterns for grammars with JSX (JavaScript, TSX); inherited, not a language.

; CWE-79: React's raw-HTML escape hatch.
(jsx_attribute
  (property_identifier) @_attr
  (#eq? @_attr "dangerouslySetInnerHTML")) @js.dangerous-html
