-- Headless Neovim driven through editors/nvim as shipped: wait for ghost text from
-- entropy-complete, accept it with the plugin's <Tab> keymap, write what happened to $EC_RESULT.
local result_file = assert(os.getenv('EC_RESULT'))
-- Neovim's Python provider probes python3.13, 3.12, ... on PATH when a Python buffer opens: with
-- pyenv's shims that is ~60 bash processes and 1.4 s of CPU per Neovim started. The plugin
-- needs no provider (it is Lua and LSP), so the test, like a lean user config, turns them off.
for _, provider in ipairs({ 'python3', 'node', 'perl', 'ruby' }) do
  vim.g['loaded_' .. provider .. '_provider'] = 0
end
vim.opt.rtp:prepend(assert(os.getenv('EC_NVIM_DIR'))) -- lsp/entropy_complete.lua + plugin/

-- User-level settings on top of the shipped config: one CPU thread, and always show something
-- (the test checks the plumbing, not the interim model's confidence), drawn from more varied
-- samples so that <M-]> has a second suggestion to go to. EC_MODE=held-back holds every
-- automatic suggestion back instead, and checks that the plugin says why.
local held_back = os.getenv('EC_MODE') == 'held-back'
vim.lsp.config('entropy_complete', {
  init_options = {
    model = { threads = 1 },
    automatic = held_back and { abstainBelow = 1 } or { abstainBelow = 0, candidates = 6, temperature = 1 },
  },
})
vim.lsp.enable('entropy_complete')

local result = { steps = {}, messages = {} }

-- window/showMessage lands in vim.notify: keep what the server says (it should say nothing).
local notify = vim.notify
vim.notify = function(msg, ...)
  if type(msg) == 'string' and msg:find('entropy%-complete') then
    table.insert(result.messages, msg)
  end
  return notify(msg, ...)
end
local function finish(ok, why)
  result.ok, result.why = ok, why
  local fh = assert(io.open(result_file, 'w'))
  fh:write(vim.json.encode(result))
  fh:close()
  vim.cmd(ok and 'qa!' or 'cquit 1')
end

local function step(name)
  table.insert(result.steps, name)
end

local function ghost_text()
  local ns = vim.api.nvim_get_namespaces()['nvim.lsp.inline_completion']
  if not ns then
    return nil
  end
  for _, mark in ipairs(vim.api.nvim_buf_get_extmarks(0, ns, 0, -1, { details = true })) do
    local virt = mark[4].virt_text
    if virt and virt[1] and virt[1][1] ~= '' then
      return virt[1][1]
    end
  end
end

local function shutdown(client)
  vim.cmd('stopinsert')
  vim.lsp.inline_completion.enable(false)
  local id = client.id
  client:stop()
  -- is_stopped() is true at once; quitting before the server exits breaks its pipe.
  vim.wait(5000, function()
    return vim.lsp.get_client_by_id(id) == nil
  end, 20)
end

-- Polls without blocking the main loop: typed keys (feedkeys) only run between callbacks.
local function poll(cond, timeout_ms, on_ok, on_fail)
  local deadline = vim.uv.now() + timeout_ms
  local function tick()
    if cond() then
      return on_ok()
    end
    if vim.uv.now() > deadline then
      return on_fail()
    end
    vim.defer_fn(tick, 20)
  end
  tick()
end

local function stats(client)
  local res = client:request_sync('entropyComplete/stats', {}, 2000, 0)
  return res and res.result or {}
end

vim.api.nvim_create_autocmd('VimEnter', {
  callback = function()
    local client
    local attached = vim.wait(30000, function()
      client = vim.lsp.get_clients({ name = 'entropy_complete', bufnr = 0 })[1]
      return client ~= nil and client.initialized
    end, 20)
    if not attached then
      return finish(false, 'entropy_complete never attached')
    end
    step('attached')
    result.inline_enabled = vim.lsp.inline_completion.is_enabled({ bufnr = 0 })
    if not vim.wait(60000, function() return stats(client).modelLoaded end, 50) then
      return finish(false, 'the model did not load')
    end
    step('model loaded')
    vim.api.nvim_win_set_cursor(0, { vim.api.nvim_buf_line_count(0), 0 })
    result.before = vim.api.nvim_get_current_line()
    if held_back then
      result.status_events = 0
      vim.api.nvim_create_autocmd('User', {
        pattern = 'EntropyCompleteStatus',
        callback = function()
          result.status_events = result.status_events + 1
        end,
      })
      vim.api.nvim_feedkeys('A', 'n', false)
      return poll(function()
        result.status = vim.b.entropy_complete_status
        return result.status ~= nil
      end, 30000, function()
        step('held back')
        result.ghost = ghost_text()
        -- The next keystroke clears the note (TextChangedI): one more User event, whether or
        -- not the request it starts is held back again by the time this looks.
        local seen = result.status_events
        vim.api.nvim_feedkeys('x', 'n', false)
        poll(function()
          return result.status_events > seen
        end, 5000, function()
          result.cleared = true
          shutdown(client)
          finish(true, 'held back')
        end, function()
          shutdown(client)
          finish(false, 'the status did not change after a keystroke')
        end)
      end, function()
        shutdown(client)
        finish(false, 'no held-back status')
      end)
    end
    vim.api.nvim_feedkeys('A', 'n', false) -- InsertEnter: an automatic inline request
    poll(function()
      result.ghost = ghost_text()
      return result.ghost ~= nil
    end, 30000, function()
      step('ghost text')
      result.status = vim.b.entropy_complete_status -- entropyComplete/shown came first
      -- The next suggestion (<M-]>): the status follows it ("(2/3)"; alone, it stays, and this
      -- waits the 3 s out). The key runs once this callback returns; the ghost text accepted
      -- below is the one it shows.
      vim.api.nvim_feedkeys(vim.keycode('<M-]>'), 'm', false)
      local function after_next()
        result.status_next = vim.b.entropy_complete_status
        result.ghost = ghost_text()
        vim.api.nvim_feedkeys(vim.keycode('<Tab>'), 'm', false) -- the plugin's accept keymap
        poll(function()
          return vim.api.nvim_get_current_line() ~= result.before
        end, 10000, function()
          result.after = vim.api.nvim_get_current_line()
          step('accepted')
          -- The accept command reaches the server after the edit.
          poll(function()
            return (stats(client).accepts or 0) > 0
          end, 10000, function()
            shutdown(client)
            finish(true, 'accepted')
          end, function()
            shutdown(client)
            finish(false, 'the accept command never reached the server')
          end)
        end, function()
          shutdown(client)
          finish(false, 'the buffer did not change')
        end)
      end
      poll(function()
        return vim.b.entropy_complete_status ~= result.status
      end, 3000, after_next, after_next)
    end, function()
      shutdown(client)
      finish(false, 'no ghost text appeared')
    end)
  end,
})
