; Sensitive-API patterns for Rust. Captures are named after rule ids in grammars/rules.json;
; `_` captures are helpers.

; CWE-78: std::process::Command started with a shell and `-c`.
(call_expression
  function: (field_expression
    value: (call_expression
      function: (scoped_identifier) @_new
      arguments: (arguments . (string_literal) @_shell))
    field: (field_identifier) @_arg)
  arguments: (arguments . (string_literal) @_flag)
  (#match? @_new "(^|::)Command::new$")
  (#match? @_shell "^\"(/bin/|/usr/bin/)?(sh|bash|zsh|cmd(\\.exe)?|powershell(\\.exe)?)\"$")
  (#eq? @_arg "arg")
  (#match? @_flag "^\"(-c|/c|/C|-Command)\"$")) @rust.shell-command

; CWE-295: certificate or host-name checks switched off (reqwest, native-tls, rustls builders).
(call_expression
  function: (field_expression field: (field_identifier) @_method)
  arguments: (arguments . (boolean_literal) @_on)
  (#any-of? @_method "danger_accept_invalid_certs" "danger_accept_invalid_hostnames")
  (#eq? @_on "true")) @rust.tls-no-verify

; CWE-89: SQL text built with format! handed to a query function (sqlx, postgres, rusqlite...).
(call_expression
  function: (_) @_fn
  arguments: (arguments . [(macro_invocation macro: (identifier) @_fmt)
                           (reference_expression value: (macro_invocation macro: (identifier) @_fmt))])
  (#match? @_fn "(^|::|\\.)(query|query_as|query_scalar|execute|batch_execute|query_one|query_opt|prepare)$")
  (#eq? @_fmt "format")) @rust.sql-format

; CWE-327: broken hashes (the md5 and sha1 crates, RustCrypto's Md5/Sha1).
(call_expression
  function: (scoped_identifier) @_fn
  (#match? @_fn "^(md5::compute|(md5::)?Md5::(new|digest)|(sha1::)?Sha1::(new|digest)|sha1::Sha1::from)$")) @rust.weak-crypto
