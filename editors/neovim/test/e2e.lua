-- End-to-end test of the Vigil Neovim plugin against the real `vigil serve`.
--
--   VIGIL_BIN=/path/to/vigil nvim --headless --clean -u editors/neovim/test/e2e.lua
--
-- Opens a vulnerable JavaScript file and a Go file, waits for Vigil's diagnostics,
-- checks rule id and range, requests the code actions, applies the quick fix, and checks
-- the buffer text and that the diagnostic is gone. Exits 0 on success, 1 on failure.

local script_dir = vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":p:h")
local plugin_dir = vim.fn.fnamemodify(script_dir, ":h")
vim.opt.runtimepath:prepend(plugin_dir)
vim.cmd("filetype on")

local TIMEOUT_MS = tonumber(os.getenv("VIGIL_TEST_TIMEOUT_MS") or "") or 15000
local version = vim.version()
local nvim = ("nvim %d.%d.%d"):format(version.major, version.minor, version.patch)
local passed, failed = 0, 0

local function log(message)
  io.stderr:write(("[%s] %s\n"):format(nvim, message))
end

local function fail(message)
  error(message, 0)
end

local function check(condition, message)
  if not condition then
    fail(message)
  end
end

local function lines_of(text)
  return vim.split(text, "\n", { plain = true })
end

-- Neovim 0.7 keeps the LSP code only in user_data; later versions also set `code`.
local function lsp_diagnostic(d)
  return d.user_data and d.user_data.lsp or {}
end

local function code_of(d)
  return d.code or lsp_diagnostic(d).code
end

-- Position in the client's encoding of a 0-based byte column.
local function lsp_position(bufnr, row, col, encoding)
  local line = vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ""
  if encoding == "utf-8" then
    return { line = row, character = col }
  end
  local utf32, utf16 = vim.str_utfindex(line, col)
  return { line = row, character = encoding == "utf-32" and utf32 or utf16 }
end

-- The diagnostic as the server sent it. Neovim 0.11 keeps it whole in user_data.lsp;
-- 0.7 keeps only code and data there, so the rest is rebuilt from the vim diagnostic.
local function to_lsp_diagnostic(bufnr, d, encoding)
  local lsp = vim.deepcopy(lsp_diagnostic(d))
  if lsp.range == nil then
    lsp.range = {
      start = lsp_position(bufnr, d.lnum, d.col, encoding),
      ["end"] = lsp_position(bufnr, d.end_lnum, d.end_col, encoding),
    }
    lsp.message = d.message
    lsp.source = d.source
    lsp.severity = d.severity
    lsp.code = code_of(d)
  end
  return lsp
end

local function vigil_diagnostics(bufnr, rule)
  local found = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    if d.source == "vigil" and (rule == nil or code_of(d) == rule) then
      table.insert(found, d)
    end
  end
  return found
end

local bin = os.getenv("VIGIL_BIN")
check(bin ~= nil and bin ~= "", "set VIGIL_BIN to the vigil binary")
bin = vim.fn.fnamemodify(bin, ":p")
check(vim.fn.executable(bin) == 1, "VIGIL_BIN is not executable: " .. bin)

-- A throwaway project: files on disk so the server gets real file URIs.
local workdir = vim.fn.tempname()
vim.fn.mkdir(workdir, "p")
local function write(name, text)
  local path = workdir .. "/" .. name
  vim.fn.writefile(lines_of(text), path)
  return path
end
write("go.mod", "module example.com/demo\n\ngo 1.22")

local cases = {
  {
    name = "javascript",
    file = "app.js",
    filetype = "javascript",
    text = table.concat({
      "const crypto = require('crypto');",
      "const d = crypto.createHash('md5').update(x).digest('hex');",
    }, "\n"),
    rule = "js/weak-hash",
    -- 'md5' on line 1 (0-based), columns 28..33 (end exclusive).
    range = { lnum = 1, col = 28, end_lnum = 1, end_col = 33 },
    fix = "Use SHA-256",
    fixed = table.concat({
      "const crypto = require('crypto');",
      "const d = crypto.createHash('sha256').update(x).digest('hex');",
    }, "\n"),
  },
  {
    -- Multi-byte text before the finding: UTF-16 (0.7) and UTF-8 (0.11) columns differ
    -- from each other and from character counts, so a wrong conversion shows here.
    name = "typescript, multi-byte",
    file = "etag.ts",
    filetype = "typescript",
    text = table.concat({
      "import { createHash } from 'node:crypto';",
      'export const etag = (body: string): string => /* ✓ 日本 😀 */ createHash("sha1").update(body).digest("base64");',
    }, "\n"),
    rule = "js/weak-hash",
    range = "\"sha1\"",
    fix = "Use SHA-256",
    fixed = table.concat({
      "import { createHash } from 'node:crypto';",
      'export const etag = (body: string): string => /* ✓ 日本 😀 */ createHash("sha256").update(body).digest("base64");',
    }, "\n"),
  },
  {
    name = "go",
    file = "main.go",
    filetype = "go",
    text = table.concat({
      "package main",
      "",
      "import (",
      '\t"crypto/md5"',
      '\t"fmt"',
      ")",
      "",
      "func main() {",
      '\tfmt.Printf("%x\\n", md5.Sum([]byte("hi")))',
      "}",
    }, "\n"),
    rule = "go/weak-hash-md5",
    -- md5.Sum on line 8: a tab, then `fmt.Printf("%x\n", ` is 19 bytes.
    range = { lnum = 8, col = 20, end_lnum = 8, end_col = 27 },
    fix = "Use sha256.Sum256",
    fixed = table.concat({
      "package main",
      "",
      "import (",
      '\t"crypto/sha256"',
      '\t"fmt"',
      ")",
      "",
      "func main() {",
      '\tfmt.Printf("%x\\n", sha256.Sum256([]byte("hi")))',
      "}",
    }, "\n"),
  },
  {
    name = "fix all (organisation rule)",
    file = "legacy.js",
    filetype = "javascript",
    fix_all = true,
    text = table.concat({
      "const crypto = require('crypto');",
      "const d = crypto.createHash('md5').update(x).digest('hex');",
    }, "\n"),
    rule = "acme/legacy-digest",
    fixed = table.concat({
      "const crypto = require('crypto');",
      "const d = crypto.createHash('sha256').update(x).digest('hex');",
    }, "\n"),
  },
}

-- "Fix all": an organisation rule (extraRuleDirs) with a safe fix, applied by
-- require("vigil").fix_all(), the function behind :VigilFixAll.
local function run_fix_all(case)
  local path = write(case.file, case.text)
  vim.cmd("edit " .. vim.fn.fnameescape(path))
  local bufnr = vim.api.nvim_get_current_buf()
  local ok = vim.wait(TIMEOUT_MS, function()
    return #vigil_diagnostics(bufnr, case.rule) > 0
  end, 50)
  check(ok, ("no %s diagnostic within %d ms (was extraRuleDirs applied?)"):format(case.rule, TIMEOUT_MS))
  check(require("vigil").fix_all(bufnr), "fix_all found nothing to apply")
  local text = table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), "\n")
  check(text == case.fixed, ("buffer after fix_all:\n%s\nexpected:\n%s"):format(text, case.fixed))
  ok = vim.wait(TIMEOUT_MS, function()
    return #vigil_diagnostics(bufnr) == 0
  end, 50)
  check(ok, "diagnostics still there after fix_all: " .. vim.inspect(vigil_diagnostics(bufnr)))
  log(("%s: fix_all applied the safe fix, no diagnostics left"):format(case.name))
end

local function run_case(case)
  if case.fix_all then
    return run_fix_all(case)
  end
  local path = write(case.file, case.text)
  vim.cmd("edit " .. vim.fn.fnameescape(path))
  local bufnr = vim.api.nvim_get_current_buf()
  check(vim.bo[bufnr].filetype == case.filetype, ("filetype is %q, expected %q"):format(vim.bo[bufnr].filetype, case.filetype))

  local ok = vim.wait(TIMEOUT_MS, function()
    return #vigil_diagnostics(bufnr, case.rule) > 0
  end, 50)
  check(ok, ("no %s diagnostic within %d ms; diagnostics: %s"):format(case.rule, TIMEOUT_MS, vim.inspect(vim.diagnostic.get(bufnr))))

  local client = require("vigil").client(bufnr)
  check(client ~= nil, "no vigil client attached")
  log(("%s: attached, offset encoding %s"):format(case.name, client.offset_encoding))

  local diagnostics = vigil_diagnostics(bufnr, case.rule)
  check(#diagnostics == 1, ("expected one %s diagnostic, got %d"):format(case.rule, #diagnostics))
  local d = diagnostics[1]
  if type(case.range) == "string" then
    -- The expected range is where this text first occurs, in bytes, as Neovim counts.
    for lnum, line in ipairs(lines_of(case.text)) do
      local start = line:find(case.range, 1, true)
      if start then
        case.range = { lnum = lnum - 1, col = start - 1, end_lnum = lnum - 1, end_col = start - 1 + #case.range }
        break
      end
    end
  end
  local got = { lnum = d.lnum, col = d.col, end_lnum = d.end_lnum, end_col = d.end_col }
  check(vim.deep_equal(got, case.range), ("range %s, expected %s"):format(vim.inspect(got), vim.inspect(case.range)))
  log(("%s: diagnostic %s at %d:%d-%d:%d: %s"):format(case.name, code_of(d), d.lnum, d.col, d.end_lnum, d.end_col, d.message))

  -- Ask for the code actions at the diagnostic, as a user's `vim.lsp.buf.code_action()` does.
  local lsp_diag = to_lsp_diagnostic(bufnr, d, client.offset_encoding)
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = lsp_diag.range,
    context = { diagnostics = { lsp_diag } },
  }
  local responses = vim.lsp.buf_request_sync(bufnr, "textDocument/codeAction", params, TIMEOUT_MS) or {}
  local response = responses[client.id]
  check(response ~= nil and response.err == nil, "codeAction failed: " .. vim.inspect(response))
  local titles, action = {}, nil
  for _, candidate in ipairs(response.result or {}) do
    table.insert(titles, candidate.title)
    if candidate.title == case.fix then
      action = candidate
    end
  end
  log(("%s: code actions: %s"):format(case.name, table.concat(titles, " | ")))
  check(action ~= nil, ("no code action titled %q"):format(case.fix))
  check(action.kind == "quickfix", "quick fix has kind " .. tostring(action.kind))
  if action.edit == nil and action.data ~= nil then
    local resolved = vim.lsp.buf_request_sync(bufnr, "codeAction/resolve", action, TIMEOUT_MS) or {}
    action = resolved[client.id] and resolved[client.id].result or action
  end
  check(action.edit ~= nil, "quick fix has no edit")
  vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding)

  local text = table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), "\n")
  check(text == case.fixed, ("buffer after the fix:\n%s\nexpected:\n%s"):format(text, case.fixed))

  -- The edit reaches the server as didChange; its diagnostics for the new version
  -- must no longer contain the finding.
  ok = vim.wait(TIMEOUT_MS, function()
    return #vigil_diagnostics(bufnr, case.rule) == 0
  end, 50)
  check(ok, ("%s diagnostic still there after the fix: %s"):format(case.rule, vim.inspect(vigil_diagnostics(bufnr))))
  log(("%s: fix applied, diagnostic gone"):format(case.name))
end

local function main()
  local org_rules = vim.fn.fnamemodify(plugin_dir, ":h") .. "/fixtures/org-rules"
  require("vigil").setup({ cmd = { bin, "serve" }, settings = { extraRuleDirs = { org_rules } } })
  log("plugin loaded, " .. (vim.lsp.config and "vim.lsp.config/enable" or "vim.lsp.start_client") .. " path")
  for _, case in ipairs(cases) do
    local ok, err = pcall(run_case, case)
    if ok then
      passed = passed + 1
      log("PASS " .. case.name)
    else
      failed = failed + 1
      log("FAIL " .. case.name .. ": " .. tostring(err))
    end
  end
end

local ok, err = pcall(main)
if not ok then
  failed = failed + 1
  log("FAIL setup: " .. tostring(err))
end

-- Stop the server cleanly so no process outlives the editor.
local clients = vim.lsp.get_clients and vim.lsp.get_clients() or vim.lsp.get_active_clients()
for _, client in pairs(clients) do
  vim.lsp.stop_client(client.id)
end
vim.wait(5000, function()
  for _, client in pairs(clients) do
    -- is_stopped is a closure on 0.7 and a method on 0.11: passing the client suits both.
    if not client.is_stopped(client) then
      return false
    end
  end
  return true
end, 50)

log(("%d passed, %d failed"):format(passed, failed))
vim.fn.delete(workdir, "rf")
if failed > 0 then
  vim.cmd("cquit 1")
else
  vim.cmd("qall!")
end
