; Sensitive-API patterns for C, and for C++ (queries/cpp/sensitive.scm inherits them).
; Captures are named after rule ids in grammars/rules.json; `_` captures are helpers.

; CWE-78: a command line the program computes, run through the shell.
(call_expression
  function: (_) @_fn
  arguments: (argument_list . (_) @_cmd)
  (#match? @_fn "^(std::)?(system|popen|_popen|_wsystem)$")
  (#not-match? @_cmd "^(L|u8|u|U)?\"")) @c.shell-command

; CWE-120/242: copies with no bound on the destination.
(call_expression
  function: (identifier) @_fn
  (#any-of? @_fn "gets" "strcpy" "strcat" "sprintf" "vsprintf" "wcscpy" "wcscat")) @c.unbounded-copy

; CWE-134: a format string the program computes.
(call_expression
  function: (identifier) @_fn
  arguments: (argument_list . (_) @_format)
  (#any-of? @_fn "printf" "vprintf" "wprintf")
  (#not-match? @_format "^(L|u8|u|U)?\"")) @c.format-string

(call_expression
  function: (identifier) @_fn
  arguments: (argument_list . (_) . (_) @_format)
  (#any-of? @_fn "fprintf" "vfprintf" "dprintf" "syslog")
  (#not-match? @_format "^(L|u8|u|U)?\"")) @c.format-string

; CWE-327: broken hashes and ciphers (OpenSSL names).
(call_expression
  function: (identifier) @_fn
  (#match? @_fn "^(MD5|MD5_Init|SHA1|SHA1_Init|EVP_md5|EVP_sha1|RC4|RC4_set_key|DES_ecb_encrypt|DES_set_key|EVP_des_[a-z0-9_]+|EVP_rc4)$")) @c.weak-crypto

; CWE-295: TLS certificate checks switched off (OpenSSL, libcurl).
(call_expression
  function: (identifier) @_fn
  arguments: (argument_list . (_) . (identifier) @_mode)
  (#eq? @_fn "SSL_CTX_set_verify")
  (#eq? @_mode "SSL_VERIFY_NONE")) @c.tls-no-verify

(call_expression
  function: (identifier) @_fn
  arguments: (argument_list . (_) . (identifier) @_opt . (_) @_value)
  (#eq? @_fn "curl_easy_setopt")
  (#any-of? @_opt "CURLOPT_SSL_VERIFYPEER" "CURLOPT_SSL_VERIFYHOST")
  (#match? @_value "^(0|0L|false|FALSE)$")) @c.tls-no-verify
