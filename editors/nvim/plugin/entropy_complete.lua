-- entropy-complete for Neovim 0.12+: ghost-text suggestions (vim.lsp.inline_completion) in
-- buffers the `entropy_complete` client attaches to, with accept/cycle keymaps and a review list.
--
-- Keymaps (insert mode; set vim.g.entropy_complete_keymaps = false to define your own):
--   <Tab>  accept the suggestion on screen (falls back to a plain <Tab>)
--   <M-]>  next suggestion      <M-[>  previous suggestion
-- :EntropyCompleteReview lists the accepted code that still needs review in the quickfix list.

if vim.g.loaded_entropy_complete then
  return
end
vim.g.loaded_entropy_complete = true

local NAME = 'entropy_complete'

local function attach(args)
  local client = vim.lsp.get_client_by_id(args.data.client_id)
  if not client or client.name ~= NAME or not vim.lsp.inline_completion then
    return
  end
  vim.lsp.inline_completion.enable(true, { bufnr = args.buf })
  if vim.g.entropy_complete_keymaps == false then
    return
  end
  local function map(lhs, rhs, desc, expr)
    vim.keymap.set('i', lhs, rhs, { buffer = args.buf, desc = desc, expr = expr })
  end
  map('<Tab>', function()
    if not vim.lsp.inline_completion.get() then
      return '<Tab>'
    end
  end, 'entropy-complete: accept the suggestion', true)
  map('<M-]>', function()
    vim.lsp.inline_completion.select({ count = 1 })
  end, 'entropy-complete: next suggestion')
  map('<M-[>', function()
    vim.lsp.inline_completion.select({ count = -1 })
  end, 'entropy-complete: previous suggestion')
end

vim.api.nvim_create_autocmd('LspAttach', {
  group = vim.api.nvim_create_augroup('entropy_complete', { clear = true }),
  callback = attach,
})

vim.api.nvim_create_user_command('EntropyCompleteReview', function()
  local items = {}
  for _, d in ipairs(vim.diagnostic.get(nil)) do
    if d.source == 'entropy-complete' then
      table.insert(items, d)
    end
  end
  vim.fn.setqflist({}, ' ', {
    title = 'entropy-complete: review',
    items = vim.diagnostic.toqflist(items),
  })
  vim.cmd(#items > 0 and 'copen' or 'cclose')
  if #items == 0 then
    vim.notify('entropy-complete: nothing to review')
  end
end, { desc = 'List accepted code flagged for review' })
