; Sensitive-API patterns for Java. Captures are named after rule ids in grammars/rules.json;
; `_` captures are helpers.

; CWE-78: a computed command line run by Runtime.exec (it splits on spaces, and callers pass
; shells to it), or a ProcessBuilder handed a shell with -c.
(method_invocation
  object: (method_invocation name: (identifier) @_rt)
  name: (identifier) @_exec
  arguments: (argument_list . (_) @_cmd)
  (#eq? @_rt "getRuntime")
  (#eq? @_exec "exec")
  (#not-match? @_cmd "^\"[^\"]*\"$")) @java.command-exec

(object_creation_expression
  type: (type_identifier) @_type
  arguments: (argument_list . (string_literal) @_shell . (string_literal) @_flag)
  (#eq? @_type "ProcessBuilder")
  (#match? @_shell "^\"(/bin/|/usr/bin/)?(sh|bash|zsh|cmd(\\.exe)?|powershell(\\.exe)?)\"$")
  (#match? @_flag "^\"(-c|/c|/C|-Command)\"$")) @java.command-exec

; CWE-89: SQL text built with + or String.format handed to JDBC.
(method_invocation
  name: (identifier) @_method
  arguments: (argument_list . (binary_expression operator: "+") @_sql)
  (#any-of? @_method "executeQuery" "executeUpdate" "execute" "prepareStatement" "addBatch" "createQuery" "createNativeQuery")
  (#match? @_sql "^\"(?i:\\s*(select|insert|update|delete|with|replace|create|drop|alter|merge)\\s)")) @java.sql-concat

(method_invocation
  name: (identifier) @_method
  arguments: (argument_list . (method_invocation object: (identifier) @_cls name: (identifier) @_fmt))
  (#any-of? @_method "executeQuery" "executeUpdate" "execute" "prepareStatement" "addBatch" "createQuery" "createNativeQuery")
  (#eq? @_cls "String")
  (#any-of? @_fmt "format" "formatted")) @java.sql-concat

; CWE-327: broken hashes and ciphers by name.
(method_invocation
  object: (identifier) @_cls
  name: (identifier) @_get
  arguments: (argument_list . (string_literal) @_alg)
  (#any-of? @_cls "MessageDigest" "Cipher" "KeyGenerator" "SecretKeyFactory")
  (#eq? @_get "getInstance")
  (#match? @_alg "^\"(?i:(md2|md4|md5|sha-?1|des|desede|rc2|rc4|arcfour|blowfish)([/\"]))")) @java.weak-crypto

; CWE-502: Java deserialization of a stream.
(method_invocation
  object: (object_creation_expression type: (type_identifier) @_type)
  name: (identifier) @_read
  (#eq? @_type "ObjectInputStream")
  (#any-of? @_read "readObject" "readUnshared")) @java.deserialize
