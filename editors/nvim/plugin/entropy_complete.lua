-- entropy-complete for Neovim 0.12+: ghost-text suggestions (vim.lsp.inline_completion) in
-- buffers the `entropy_complete` client attaches to, with accept/cycle keymaps and a review list.
--
-- Keymaps (insert mode; set vim.g.entropy_complete_keymaps = false to define your own):
--   <Tab>  accept the suggestion on screen (falls back to a plain <Tab>)
--   <M-]>  next suggestion      <M-[>  previous suggestion
-- :EntropyCompleteReview lists the accepted code that still needs review in the quickfix list.
--
-- b:entropy_complete_status says, until the next keystroke, how sure the model is of the ghost
-- text on screen ("confidence 0.26 (1/3)", with "review: RULE (CWE)" first when the suggestion
-- needs review), or why there is none: the server held it back (the model was unsure) or does
-- not know the file's language. For a statusline:
--   set statusline+=%{get(b:,'entropy_complete_status','')}
-- (a User EntropyCompleteStatus autocmd fires when it changes).

if vim.g.loaded_entropy_complete then
  return
end
vim.g.loaded_entropy_complete = true

local NAME = 'entropy_complete'

local function set_status(bufnr, text)
  if not vim.api.nvim_buf_is_valid(bufnr) or vim.b[bufnr].entropy_complete_status == text then
    return
  end
  vim.b[bufnr].entropy_complete_status = text
  vim.api.nvim_exec_autocmds('User', { pattern = 'EntropyCompleteStatus', modeline = false })
end

-- entropyComplete/abstained (docs/protocol.md): an automatic request got no suggestion.
vim.lsp.handlers['entropyComplete/abstained'] = function(_, result)
  if type(result) ~= 'table' or type(result.uri) ~= 'string' then
    return
  end
  local text
  if result.reason == 'language' then
    text = 'entropy-complete: this language is not the model\'s'
  elseif type(result.bestConfidence) == 'number' and type(result.abstainBelow) == 'number' then
    text = string.format(
      'entropy-complete: held back (confidence %.2f < %.2f)',
      result.bestConfidence,
      result.abstainBelow
    )
  else
    text = 'entropy-complete: held back'
  end
  set_status(vim.uri_to_bufnr(result.uri), text)
end

-- How sure the model is of item i of the last answer (entropyComplete/shown), as VS Code's
-- status bar says it.
local function describe(items, i)
  local item = items[i]
  if type(item) ~= 'table' or type(item.confidence) ~= 'number' then
    return nil
  end
  local review = {}
  for _, flag in ipairs(type(item.flags) == 'table' and item.flags or {}) do
    if type(flag) == 'table' and flag.reviewRequired == true and type(flag.rule) == 'string' then
      table.insert(review, flag.rule .. (type(flag.cwe) == 'string' and (' (' .. flag.cwe .. ')') or ''))
    end
  end
  local text = 'entropy-complete: '
  if #review > 0 then
    text = text .. 'review: ' .. table.concat(review, ', ') .. ' · '
  end
  text = text .. string.format('confidence %.2f', item.confidence)
  if #items > 1 then
    text = text .. string.format(' (%d/%d)', i, #items)
  end
  return text
end

local shown = {} -- bufnr -> { items = the last answer's items, index = the one on screen }

-- entropyComplete/shown (docs/protocol.md): the items of the answer now on screen.
vim.lsp.handlers['entropyComplete/shown'] = function(_, result)
  if type(result) ~= 'table' or type(result.uri) ~= 'string' or type(result.items) ~= 'table' then
    return
  end
  local bufnr = vim.uri_to_bufnr(result.uri)
  if result.version ~= nil and result.version ~= vim.lsp.util.buf_versions[bufnr] then
    return -- an answer to an earlier keystroke: its ghost text is not on screen
  end
  shown[bufnr] = { items = result.items, index = 1 }
  set_status(bufnr, describe(result.items, 1))
end

-- After <M-]>/<M-[>: the status follows the item on screen (Neovim wraps around the same way).
local function follow(bufnr, count)
  local s = shown[bufnr]
  if not s or #s.items == 0 then
    return
  end
  s.index = (s.index - 1 + count) % #s.items + 1
  set_status(bufnr, describe(s.items, s.index))
end

local function attach(args)
  local client = vim.lsp.get_client_by_id(args.data.client_id)
  if not client or client.name ~= NAME or not vim.lsp.inline_completion then
    return
  end
  vim.lsp.inline_completion.enable(true, { bufnr = args.buf })
  vim.api.nvim_create_autocmd({ 'TextChangedI', 'InsertLeave' }, {
    group = vim.api.nvim_create_augroup('entropy_complete_status_' .. args.buf, { clear = true }),
    buffer = args.buf,
    callback = function()
      shown[args.buf] = nil
      set_status(args.buf, nil)
    end,
  })
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
    follow(args.buf, 1)
  end, 'entropy-complete: next suggestion')
  map('<M-[>', function()
    vim.lsp.inline_completion.select({ count = -1 })
    follow(args.buf, -1)
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
