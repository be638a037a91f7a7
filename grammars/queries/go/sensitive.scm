; Sensitive-API patterns for Go. Captures are named after rule ids in grammars/rules.json; `_`
; captures are helpers. Callees are matched on their source text (`exec.Command`), as the
; standard library's package names are what Go code uses.

; CWE-78: a command handed to a shell (`sh -c ...`). exec.Command with a plain program and
; arguments runs no shell and is not flagged.
(call_expression
  function: (selector_expression) @_fn
  arguments: (argument_list . (interpreted_string_literal) @_shell . (interpreted_string_literal) @_flag)
  (#match? @_fn "^exec\\.Command$")
  (#match? @_shell "^\"(/bin/|/usr/bin/)?(sh|bash|zsh|dash|ksh|cmd(\\.exe)?|powershell(\\.exe)?)\"$")
  (#match? @_flag "^\"(-c|/c|/C|-Command)\"$")) @go.shell-command

(call_expression
  function: (selector_expression) @_fn
  arguments: (argument_list . (_) . (interpreted_string_literal) @_shell . (interpreted_string_literal) @_flag)
  (#match? @_fn "^exec\\.CommandContext$")
  (#match? @_shell "^\"(/bin/|/usr/bin/)?(sh|bash|zsh|dash|ksh|cmd(\\.exe)?|powershell(\\.exe)?)\"$")
  (#match? @_flag "^\"(-c|/c|/C|-Command)\"$")) @go.shell-command

; CWE-89: SQL text built with fmt.Sprintf or `+` and handed to database/sql.
(call_expression
  function: (selector_expression field: (field_identifier) @_method)
  arguments: (argument_list
    (call_expression function: (selector_expression) @_fmt))
  (#any-of? @_method "Query" "QueryRow" "Exec" "QueryContext" "QueryRowContext" "ExecContext" "Prepare" "PrepareContext")
  (#match? @_fmt "^fmt\\.Sprintf$")) @go.sql-format

(call_expression
  function: (selector_expression field: (field_identifier) @_method)
  arguments: (argument_list
    (binary_expression operator: "+") @_sql)
  (#any-of? @_method "Query" "QueryRow" "Exec" "QueryContext" "QueryRowContext" "ExecContext" "Prepare" "PrepareContext")
  (#match? @_sql "^[\"`](?i:\\s*(select|insert|update|delete|with|replace|create|drop|alter)\\s)")) @go.sql-format

; CWE-295: TLS certificate checks switched off.
(keyed_element
  key: (literal_element (identifier) @_key)
  value: (literal_element (true))
  (#eq? @_key "InsecureSkipVerify")) @go.tls-no-verify

; CWE-327: broken hashes and ciphers (crypto/md5, crypto/sha1, crypto/des, crypto/rc4).
(call_expression
  function: (selector_expression) @_fn
  (#match? @_fn "^(md5|sha1)\\.(New|Sum)$|^(des\\.(NewCipher|NewTripleDESCipher)|rc4\\.NewCipher)$")) @go.weak-crypto

; CWE-73: deleting files or trees at a path the program computes (not a literal path).
(call_expression
  function: (selector_expression) @_fn
  arguments: (argument_list . (_) @_path)
  (#match? @_fn "^os\\.(Remove|RemoveAll)$")
  (#not-match? @_path "^(\"[^\"]*\"|`[^`]*`)$")) @go.fs-delete

; CWE-79: html/template told that a computed string is safe HTML, so it is not escaped.
(call_expression
  function: (selector_expression) @_fn
  arguments: (argument_list . (_) @_value)
  (#match? @_fn "^template\\.(HTML|JS|HTMLAttr)$")
  (#not-match? @_value "^(\"[^\"]*\"|`[^`]*`)$")) @go.unescaped-html
