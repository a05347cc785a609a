"""A second, independent LSP client for `vigil serve`: pytest-lsp (pygls) with the
recorded capabilities of real editors. Run with tests/pytest_lsp/run.sh."""

import os
import sys

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

VIGIL = os.environ.get("VIGIL_BIN", "vigil")
URI = "file:///tmp/vigil-pytest/hash.js"
GO_URI = "file:///tmp/vigil-pytest/main.go"
JS = (
    "const crypto = require('crypto');\n"
    "// 😀 中文\n"
    "const d = crypto.createHash('md5').update('😀').digest('hex');\n"
)
GO = (
    "package main\n\nimport (\n\t\"crypto/md5\"\n\t\"fmt\"\n)\n\n"
    "func main() {\n\tfmt.Println(md5.Sum([]byte(\"😀\")))\n}\n"
)

CONFIG = ClientServerConfig(server_command=[VIGIL, "serve"])


def apply(text: str, edits, encoding: str) -> str:
    """Applies LSP text edits, counting columns in `encoding`."""

    def offset(pos):
        lines = text.split("\n")
        start = sum(len(l.encode()) + 1 for l in lines[: pos.line])
        line = lines[pos.line].encode()
        if encoding == "utf-8":
            return start + pos.character
        units = 0
        for i, ch in enumerate(lines[pos.line]):
            if units >= pos.character:
                return start + len(lines[pos.line][:i].encode())
            units += 2 if ord(ch) > 0xFFFF else 1
        return start + len(line)

    data = text.encode()
    spans = sorted(
        ((offset(e.range.start), offset(e.range.end), e.new_text) for e in edits),
        reverse=True,
    )
    for s, e, new in spans:
        data = data[:s] + new.encode() + data[e:]
    return data.decode()


def edits_of(action: types.CodeAction, uri: str):
    edit = action.edit
    if edit.document_changes:
        return edit.document_changes[0].edits
    return edit.changes[uri]


@pytest_lsp.fixture(config=CONFIG)
async def nvim07(lsp_client: LanguageClient):
    """Neovim 0.7: pushed diagnostics, UTF-16 positions."""
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("neovim@v0.7.0"),
            initialization_options={"debounceMs": 0},
        )
    )
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=CONFIG)
async def nvim011(lsp_client: LanguageClient):
    """Neovim 0.11: pulled diagnostics."""
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("neovim@v0.11.0"),
            initialization_options={"debounceMs": 0},
        )
    )
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio
async def test_push_quick_fix_and_hover(nvim07: LanguageClient):
    client = nvim07
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=URI, language_id="javascript", version=1, text=JS
            )
        )
    )
    await client.wait_for_notification("textDocument/publishDiagnostics")
    diags = client.diagnostics[URI]
    assert [d.code for d in diags] == ["js/weak-hash"]
    d = diags[0]
    assert d.source == "vigil"
    # 'md5' on line 2, after `const d = crypto.createHash(` (28 UTF-16 units).
    assert (d.range.start.line, d.range.start.character) == (2, 28)
    assert d.range.end.character == 33

    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=URI),
            range=d.range,
            context=types.CodeActionContext(diagnostics=[d]),
        )
    )
    titles = [a.title for a in actions]
    assert "Use SHA-256" in titles and "Suppress js/weak-hash here" in titles
    fix = next(a for a in actions if a.title == "Use SHA-256")
    fixed = apply(JS, edits_of(fix, URI), "utf-16")
    assert fixed == JS.replace("'md5'", "'sha256'")

    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=URI, version=2),
            content_changes=[
                types.TextDocumentContentChangePartial(range=e.range, text=e.new_text)
                for e in edits_of(fix, URI)
            ],
        )
    )
    await client.wait_for_notification("textDocument/publishDiagnostics")
    assert len(client.diagnostics[URI]) == 0

    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=URI),
            position=types.Position(line=2, character=30),
        )
    )
    assert hover is None, "nothing flagged any more"


@pytest.mark.asyncio
async def test_pull_go_fix_with_imports(nvim011: LanguageClient):
    client = nvim011
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=GO_URI, language_id="go", version=1, text=GO
            )
        )
    )
    report = await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(
            text_document=types.TextDocumentIdentifier(uri=GO_URI)
        )
    )
    assert [d.code for d in report.items] == ["go/weak-hash-md5"]
    d = report.items[0]
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=GO_URI),
            position=d.range.start,
        )
    )
    assert "CWE-328" in hover.contents.value
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=GO_URI),
            range=d.range,
            context=types.CodeActionContext(diagnostics=[d]),
        )
    )
    fix = next(a for a in actions if a.title == "Use sha256.Sum256")
    encoding = "utf-16"  # neovim 0.11's recorded capabilities offer utf-16 only
    fixed = apply(GO, edits_of(fix, GO_URI), encoding)
    assert '"crypto/sha256"' in fixed and "crypto/md5" not in fixed
    assert "sha256.Sum256([]byte(\"😀\"))" in fixed
