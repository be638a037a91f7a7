; A user query: tokens and passwords stored in localStorage are readable by any script.
(call_expression
  function: (_) @_fn
  arguments: (arguments . (string) @_key)
  (#eq? @_fn "localStorage.setItem")
  (#match? @_key "(?i)token|password|secret")) @js.local-storage-token
