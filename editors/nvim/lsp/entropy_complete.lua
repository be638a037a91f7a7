-- entropy-complete: code completion ranked by token entropy and syntax, with review flags.
-- Data-only config for Neovim 0.11+: `vim.lsp.enable('entropy_complete')`.
-- Override any field with `vim.lsp.config('entropy_complete', { ... })`; settings are the
-- options in docs/configuration.md, e.g. init_options = { automatic = { abstainBelow = 0.3 } }.

---@type vim.lsp.Config
return {
  cmd = { 'entropy-complete', 'serve' },
  filetypes = {
    'python',
    'javascript',
    'javascriptreact',
    'typescript',
    'typescriptreact',
    'go',
    'rust',
    'java',
    'c',
    'cpp',
  },
  root_markers = { '.git', 'pyproject.toml', 'package.json', 'go.mod', 'Cargo.toml' },
  -- Ask for entropyComplete/shown (docs/protocol.md): the shown items' confidence and review
  -- flags, which the plugin puts in b:entropy_complete_status.
  capabilities = { experimental = { entropyComplete = { shown = true } } },
}
