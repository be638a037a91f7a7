; Sensitive-API patterns shared by JavaScript, TypeScript and TSX (no JSX node types here; see
; ../jsx). Captures are named after rule ids in grammars/rules.json; `_` captures are helpers.
; Callees are matched on their source text, so `require("child_process").exec` works too.

; CWE-78: child_process exec runs its argument through a shell. A bare `exec(` is too common
; (RegExp, database drivers) to flag; a bare `execSync(` is not.
(call_expression
  function: (member_expression object: (_) @_obj property: (property_identifier) @_fn)
  (#match? @_obj "^(child_process|childProcess|cp|require\\(['\"](node:)?child_process['\"]\\))$")
  (#any-of? @_fn "exec" "execSync")) @js.child-process

(call_expression
  function: (identifier) @_fn
  (#eq? @_fn "execSync")) @js.child-process

(call_expression
  function: (_) @_fn
  arguments: (arguments (object (pair key: (property_identifier) @_key value: (true))))
  (#match? @_fn "(^|\\.)(spawn|spawnSync|execFile|execFileSync)$")
  (#eq? @_key "shell")) @js.child-process

; CWE-95: code built from strings at run time.
(call_expression
  function: (_) @_fn
  (#match? @_fn "^((window|globalThis|global)\\.)?eval$")) @js.eval

; A timer given a string (not a function) evaluates it as eval does.
(call_expression
  function: (_) @_fn
  arguments: (arguments . (_) @_code)
  (#match? @_fn "^((window|globalThis|global)\\.)?(setTimeout|setInterval)$")
  (#match? @_code "^['\"`]")) @js.eval

(new_expression
  constructor: (identifier) @_ctor
  (#eq? @_ctor "Function")) @js.new-function

(call_expression
  function: (identifier) @_fn
  (#eq? @_fn "Function")) @js.new-function

(call_expression
  function: (member_expression object: (_) @_obj property: (property_identifier) @_fn)
  (#match? @_obj "^(vm|require\\(['\"](node:)?vm['\"]\\))$")
  (#any-of? @_fn "runInNewContext" "runInThisContext" "runInContext" "compileFunction")) @js.vm-run

(new_expression
  constructor: (member_expression object: (identifier) @_obj property: (property_identifier) @_fn)
  (#eq? @_obj "vm")
  (#eq? @_fn "Script")) @js.vm-run

; CWE-79: HTML sinks.
(assignment_expression
  left: (member_expression property: (property_identifier) @_prop)
  (#any-of? @_prop "innerHTML" "outerHTML")) @js.inner-html

(augmented_assignment_expression
  left: (member_expression property: (property_identifier) @_prop)
  (#any-of? @_prop "innerHTML" "outerHTML")) @js.inner-html

(call_expression
  function: (member_expression property: (property_identifier) @_fn)
  (#eq? @_fn "insertAdjacentHTML")) @js.inner-html

(call_expression
  function: (_) @_fn
  (#match? @_fn "^(window\\.)?document\\.(write|writeln)$")) @js.document-write

; React.createElement(..., { dangerouslySetInnerHTML: ... }) and object spreads into JSX.
(pair
  key: (_) @_key
  (#match? @_key "^['\"]?dangerouslySetInnerHTML['\"]?$")) @js.dangerous-html

; CWE-73: deleting files or trees named by the program.
(call_expression
  function: (_) @_fn
  (#match? @_fn "^(fs|fsp|fsPromises|fs\\.promises|fse|fsExtra)\\.(rm|rmSync|unlink|unlinkSync|rmdir|rmdirSync|remove|removeSync)$")) @js.fs-delete

; CWE-327: broken hashes.
(call_expression
  function: (_) @_fn
  arguments: (arguments . (string) @_name)
  (#match? @_fn "(^|\\.)createHash$")
  (#match? @_name "^['\"](?i:md4|md5|sha1|sha-1)['\"]$")) @js.weak-hash

; CWE-295: TLS certificate checks switched off (https.Agent, axios, fetch agents, tls).
(pair
  key: (_) @_key
  value: (false)
  (#match? @_key "^['\"]?rejectUnauthorized['\"]?$")) @js.tls-no-verify

(assignment_expression
  left: (_) @_target
  right: (_) @_value
  (#match? @_target "NODE_TLS_REJECT_UNAUTHORIZED")
  (#match? @_value "^['\"`]?0['\"`]?$")) @js.tls-no-verify
