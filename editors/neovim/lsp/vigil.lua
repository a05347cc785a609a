-- Native Neovim 0.11+ configuration for the Vigil language server.
-- With this plugin on 'runtimepath', `vim.lsp.enable("vigil")` is all it takes;
-- `require("vigil").setup({...})` layers your options on top of this.
return {
  cmd = { "vigil", "serve" },
  filetypes = { "javascript", "javascriptreact", "typescript", "typescriptreact", "go" },
  root_markers = { ".git", "package.json", "go.mod" },
  -- Answers the server's `workspace/configuration` request for section "vigil".
  settings = { vigil = {} },
  init_options = {},
}
