-- Vigil for Neovim: starts `vigil serve` for JavaScript, TypeScript and Go buffers.
--
--   require("vigil").setup({
--     cmd = { "vigil", "serve" },           -- the server command
--     filetypes = { ... },                  -- buffers to attach to
--     settings = { minConfidence = "high" },-- server settings (see the README)
--     on_attach = function(client, bufnr) end,
--   })
--
-- Neovim 0.11+: registers the config with vim.lsp.config and enables it.
-- Neovim 0.7-0.10: starts one client per project root with vim.lsp.start_client and
-- attaches buffers to it on FileType.

local M = {}

local FIX_ALL_KIND = "source.fixAll.vigil"

M.defaults = {
  cmd = { "vigil", "serve" },
  filetypes = { "javascript", "javascriptreact", "typescript", "typescriptreact", "go" },
  root_markers = { ".git", "package.json", "go.mod" },
  settings = {},
  on_attach = nil,
  capabilities = nil,
}

M.config = nil

local function notify(message, level)
  vim.notify("vigil: " .. message, level or vim.log.levels.WARN)
end

local function has_native_config()
  return vim.lsp.config ~= nil and vim.lsp.enable ~= nil
end

-- The nearest ancestor of `path` holding one of `markers`, or the file's directory.
local function find_root(path, markers)
  local dir = vim.fn.fnamemodify(path, ":p:h")
  local current = dir
  while true do
    for _, marker in ipairs(markers) do
      if vim.loop.fs_stat(current .. "/" .. marker) then
        return current
      end
    end
    local parent = vim.fn.fnamemodify(current, ":h")
    if parent == current then
      return dir
    end
    current = parent
  end
end

-- Neovim before 0.11: one client per root directory, reused across buffers.
local clients_by_root = {}

local function client_is_alive(id)
  local client = id and vim.lsp.get_client_by_id(id)
  return client ~= nil and not client.is_stopped(client)
end

local function attach_legacy(bufnr, config)
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == "" or vim.bo[bufnr].buftype ~= "" then
    return
  end
  local root = find_root(name, config.root_markers)
  local id = clients_by_root[root]
  if not client_is_alive(id) then
    id = vim.lsp.start_client({
      name = "vigil",
      cmd = config.cmd,
      root_dir = root,
      workspace_folders = { { uri = vim.uri_from_fname(root), name = root } },
      init_options = config.settings,
      settings = { vigil = config.settings },
      capabilities = config.capabilities,
      on_attach = config.on_attach,
    })
    if id == nil then
      notify("could not start " .. table.concat(config.cmd, " "), vim.log.levels.ERROR)
      return
    end
    clients_by_root[root] = id
  end
  vim.lsp.buf_attach_client(bufnr, id)
end

local function check_executable(cmd)
  if vim.fn.executable(cmd[1]) == 1 then
    return true
  end
  notify(
    ("`%s` is not executable. Install the Vigil server and put `vigil` on your PATH "
      .. "(from a checkout: `cargo install --path server`), or pass its full path: "
      .. "require('vigil').setup({ cmd = { '/path/to/vigil', 'serve' } })"):format(cmd[1]),
    vim.log.levels.ERROR
  )
  return false
end

function M.setup(opts)
  local config = vim.tbl_deep_extend("force", {}, M.defaults, opts or {})
  -- Lists replace rather than merge: a user's filetypes or cmd are the whole list.
  for _, key in ipairs({ "cmd", "filetypes", "root_markers" }) do
    if opts and opts[key] then
      config[key] = opts[key]
    end
  end
  M.config = config
  if not check_executable(config.cmd) then
    return
  end

  if has_native_config() then
    vim.lsp.config("vigil", {
      cmd = config.cmd,
      filetypes = config.filetypes,
      root_markers = config.root_markers,
      init_options = config.settings,
      settings = { vigil = config.settings },
      capabilities = config.capabilities,
      on_attach = config.on_attach,
    })
    vim.lsp.enable("vigil")
  else
    local group = vim.api.nvim_create_augroup("vigil", { clear = true })
    vim.api.nvim_create_autocmd("FileType", {
      group = group,
      pattern = config.filetypes,
      callback = function(args)
        attach_legacy(args.buf, config)
      end,
    })
    -- Buffers already open when setup() runs.
    for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_is_loaded(bufnr) and vim.tbl_contains(config.filetypes, vim.bo[bufnr].filetype) then
        attach_legacy(bufnr, config)
      end
    end
  end
end

-- The Vigil client attached to `bufnr`, or nil.
function M.client(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local clients = vim.lsp.get_clients and vim.lsp.get_clients({ bufnr = bufnr, name = "vigil" })
    or vim.lsp.buf_get_clients(bufnr)
  for _, client in pairs(clients) do
    if client.name == "vigil" then
      return client
    end
  end
  return nil
end

-- Applies every safe fix in the buffer (the server's source.fixAll.vigil action).
function M.fix_all(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local client = M.client(bufnr)
  if client == nil then
    notify("no Vigil server is attached to this buffer")
    return false
  end
  local last = math.max(vim.api.nvim_buf_line_count(bufnr) - 1, 0)
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = { start = { line = 0, character = 0 }, ["end"] = { line = last + 1, character = 0 } },
    context = { diagnostics = {}, only = { FIX_ALL_KIND } },
  }
  local responses = vim.lsp.buf_request_sync(bufnr, "textDocument/codeAction", params, 5000) or {}
  local response = responses[client.id]
  if response == nil or response.err then
    notify("code action request failed: " .. vim.inspect(response and response.err))
    return false
  end
  for _, action in ipairs(response.result or {}) do
    if action.kind == FIX_ALL_KIND and action.edit then
      vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding)
      return true
    end
  end
  notify("no safe fixes in this buffer", vim.log.levels.INFO)
  return false
end

vim.api.nvim_create_user_command("VigilFixAll", function()
  M.fix_all()
end, { desc = "Vigil: apply every safe fix in the buffer" })

return M
