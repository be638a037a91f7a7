; Sensitive-API patterns for Python. Each pattern captures the whole risky node with a capture
; named after its rule id in grammars/rules.json; captures starting with `_` are helpers for
; predicates. Callees are matched on their source text (`subprocess.run`) so one regex covers
; a module and its functions; ranking/resolve.py rewrites aliased calls (`import subprocess as
; sp`, `getattr(os, "system")`) and values from earlier lines into that text before matching.

; CWE-78, B602: a subprocess function run through the shell. Bare names cover
; `from subprocess import run`.
(call
  function: (_) @_fn
  arguments: (argument_list
    (keyword_argument name: (identifier) @_kw value: (true)))
  (#match? @_fn "^(subprocess\\.)?(run|call|check_call|check_output|Popen)$")
  (#eq? @_kw "shell")) @py.subprocess-shell

; CWE-78, B605: functions that always start a shell.
(call
  function: (_) @_fn
  (#match? @_fn "^(os\\.(system|popen[234]?)|subprocess\\.(getoutput|getstatusoutput)|commands\\.(getoutput|getstatusoutput))$")) @py.shell-command

; CWE-78, B606: os functions that start a process without a shell.
(call
  function: (_) @_fn
  (#match? @_fn "^os\\.(exec[lv]p?e?|spawn[lv]p?e?|posix_spawnp?|startfile)$")) @py.os-exec

; CWE-95: dynamic code execution builtins.
(call
  function: (_) @_fn
  (#match? @_fn "^(builtins\\.)?eval$")) @py.eval

(call
  function: (_) @_fn
  (#match? @_fn "^(builtins\\.)?exec$")) @py.exec

(call
  function: (_) @_fn
  (#match? @_fn "^(builtins\\.)?compile$")) @py.compile

; CWE-502: deserialising untrusted data.
(call
  function: (_) @_fn
  (#match? @_fn "^(((c|_)?[pP]ickle|dill|cloudpickle)\\.(load|loads|Unpickler)|shelve\\.(open|DbfilenameShelf)|jsonpickle\\.decode|(pd|pandas)\\.read_pickle)$")) @py.pickle

(call
  function: (_) @_fn
  (#match? @_fn "^marshal\\.loads?$")) @py.marshal

; yaml.load is safe only with a safe loader, passed by keyword or position.
(call
  function: (_) @_fn
  arguments: (argument_list) @_args
  (#match? @_fn "^yaml\\.load(_all)?$")
  (#not-match? @_args "\\bC?(Safe|Base)Loader\\b")) @py.yaml-load

(call
  function: (_) @_fn
  (#match? @_fn "^yaml\\.unsafe_load(_all)?$")) @py.yaml-load

; CWE-502, B614: torch.load unpickles unless weights_only=True.
(call
  function: (_) @_fn
  arguments: (argument_list) @_args
  (#eq? @_fn "torch.load")
  (#not-match? @_args "weights_only\\s*=\\s*True")) @py.torch-load

; CWE-327, B324: broken hashes, unless explicitly not used for security.
(call
  function: (_) @_fn
  arguments: (argument_list) @_args
  (#match? @_fn "^hashlib\\.(md5|sha1)$")
  (#not-match? @_args "usedforsecurity\\s*=\\s*False")) @py.weak-hash

(call
  function: (_) @_fn
  arguments: (argument_list . (string) @_name) @_args
  (#eq? @_fn "hashlib.new")
  (#match? @_name "^[bBrRuU]*['\"](?i:md4|md5|sha1|sha-1)['\"]$")
  (#not-match? @_args "usedforsecurity\\s*=\\s*False")) @py.weak-hash

; CWE-295, B501: TLS certificate checks switched off (requests, httpx, their sessions).
(call
  arguments: (argument_list
    (keyword_argument name: (identifier) @_kw value: (false)))
  (#eq? @_kw "verify")) @py.tls-no-verify

; ... and on a session or client attribute: `session.verify = False`.
(assignment
  left: (attribute attribute: (identifier) @_attr)
  right: (false)
  (#eq? @_attr "verify")) @py.tls-no-verify

; CWE-89, B608: SQL text built by string formatting instead of bound parameters.
(call
  function: (attribute attribute: (identifier) @_method)
  arguments: (argument_list . (string (interpolation)))
  (#any-of? @_method "execute" "executemany" "executescript" "raw")) @py.sql-format

(call
  function: (attribute attribute: (identifier) @_method)
  arguments: (argument_list . (binary_operator left: (string) operator: "%"))
  (#any-of? @_method "execute" "executemany" "executescript" "raw")) @py.sql-format

(call
  function: (attribute attribute: (identifier) @_method)
  arguments: (argument_list . (binary_operator operator: "+") @_query)
  (#any-of? @_method "execute" "executemany" "executescript" "raw")
  (#match? @_query "['\"]")) @py.sql-format

(call
  function: (attribute attribute: (identifier) @_method)
  arguments: (argument_list
    . (call function: (attribute object: (string) attribute: (identifier) @_format)))
  (#any-of? @_method "execute" "executemany" "executescript" "raw")
  (#eq? @_format "format")) @py.sql-format

; CWE-73: deleting files or trees named by the program (pathlib included).
(call
  function: (_) @_fn
  (#match? @_fn "^(shutil\\.rmtree|os\\.(remove|unlink|rmdir|removedirs))$")) @py.file-delete

(call
  function: (attribute attribute: (identifier) @_method)
  (#any-of? @_method "unlink" "rmdir")) @py.file-delete

; CWE-377, B306: a temp file name that another process can claim first.
(call
  function: (_) @_fn
  (#match? @_fn "^(tempfile\\.)?mktemp$")) @py.mktemp

; CWE-330, B311: the random module is not a CSPRNG (numpy.random etc. are not matched).
(call
  function: (_) @_fn
  (#match? @_fn "^random\\.(random|randint|randrange|randbytes|getrandbits|choice|choices|sample|shuffle|uniform|triangular|gauss|normalvariate|lognormvariate|expovariate|betavariate|gammavariate|paretovariate|vonmisesvariate|weibullvariate|binomialvariate)$")) @py.random
