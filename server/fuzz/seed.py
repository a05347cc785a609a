"""Writes the fuzz corpora's seeds: real rule files, their examples and the demo apps,
settings and LSP sessions. Usage: seed.py REPO_ROOT CORPUS_DIR. Files are named by
content hash, as libFuzzer names its own, so running it again adds nothing new."""

import hashlib
import json
import pathlib
import sys
import tomllib

root, corpus = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])

# Language::ALL order, which the document_edits target's flags byte indexes.
GRAMMARS = {"js": 0, "jsx": 0, "ts": 1, "tsx": 2, "go": 3}
TARGET_OF = {"js": "analyze_js", "jsx": "analyze_js", "ts": "analyze_ts",
             "tsx": "analyze_tsx", "go": "analyze_go"}
# Which grammars a rule of each language runs on (see language.rs).
RULE_TARGETS = {"javascript": ["js", "ts", "tsx"], "typescript": ["ts", "tsx"],
                "jsx": ["js", "tsx"], "go": ["go"]}


def write(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = corpus / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)


def edits_seed(ext, text, flags=0, ops=b""):
    """document_edits input: flags (grammar, UTF-16, CRLF), op count, ops, base text."""
    header = bytes([GRAMMARS[ext] | flags, len(ops) // 4])
    write("document_edits", header + ops + text.encode())


sources = []  # (ext, text)
for path in sorted((root / "tests/demo").rglob("*")):
    ext = path.suffix.lstrip(".")
    if path.is_file() and ext in GRAMMARS:
        sources.append((ext, path.read_text()))

rule_files = sorted((root / "rules").rglob("*.toml")) + sorted(
    (root / "editors/fixtures").rglob("*.toml"))
for path in rule_files:
    text = path.read_text()
    write("rule_loader", text)
    rule = tomllib.loads(text)
    for example in rule.get("bad", []) + rule.get("good", []):
        exts = [example["ext"]] if "ext" in example else RULE_TARGETS[rule["language"]]
        for ext in exts:
            sources.append((ext, example["code"]))

for ext, text in sources:
    write(TARGET_OF[ext], text)
for i, (ext, text) in enumerate(sources):
    # Every demo file and every fourth example, in both encodings, some with CRLF
    # and a two-change edit script to start from.
    if i < 8 or i % 4 == 0:
        edits_seed(ext, text)
        edits_seed(ext, text, flags=4 | 8)
        edits_seed(ext, text, flags=4, ops=bytes([7, 0, 3, 1, 40, 128, 0, 200]))

settings = [
    {},
    {"rules": {"select": ["js/", "CWE-89", "crypto"], "ignore": ["js/weak-hash"],
               "severity": {"go/weak-hash-md5": "high"}},
     "minConfidence": "medium", "minSeverity": "low", "debounceMs": 25,
     "maxFileSize": 1048576, "extraRuleDirs": []},
    {"vigil": {"minConfidence": "low", "rules": {"select": ["go/"]}}},
    {"debounceMs": -1, "maxFileSize": 0, "minSeverity": "urgent", "rules": []},
    {"trace": {"server": "verbose"}, "enable": True, "unknown": 1},
]
for s in settings:
    write("settings", json.dumps(s))


# vigil.toml: the annotated sample, and small files with each kind of mistake.
write("vigil_toml", (root / "rules" / "examples" / "vigil.toml").read_text(encoding="utf-8"))
for toml_text in [
    "",
    'select = ["js/", "CWE-89"]\nignore = ["js/weak-hash"]\nmin-severity = "low"\n',
    '[severity]\n"go/weak-hash-md5" = "high"\n[[overrides]]\npaths = ["tests/**"]\nignore = ["go/"]\n',
    'exclude = ["vendor", "**/*.min.js"]\nextra-rule-dirs = ["../outside"]\n',
    '[suppressions]\nhonour-other-tools = false\nignroe = 1\n',
]:
    write("vigil_toml", toml_text)


def frame(message):
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


session = [
    {"jsonrpc": "2.0", "id": 1, "method": "initialize",
     "params": {"capabilities": {}, "initializationOptions": {"vigil": {}}}},
    {"jsonrpc": "2.0", "method": "initialized", "params": {}},
    {"jsonrpc": "2.0", "method": "textDocument/didOpen",
     "params": {"textDocument": {"uri": "file:///a.js", "languageId": "javascript",
                                 "version": 1, "text": "eval(x)\n"}}},
    {"jsonrpc": "2.0", "method": "textDocument/didChange",
     "params": {"textDocument": {"uri": "file:///a.js", "version": 2},
                "contentChanges": [{"range": {"start": {"line": 0, "character": 0},
                                              "end": {"line": 0, "character": 4}},
                                    "text": "😀"}]}},
    {"jsonrpc": "2.0", "id": "r1", "result": None},
    {"jsonrpc": "2.0", "id": 2, "method": "shutdown"},
    {"jsonrpc": "2.0", "method": "exit"},
]
write("lsp_framing", b"".join(frame(m) for m in session))
write("lsp_framing", frame(session[0]) + b"Content-Length: 5\r\n\r\n{bad}" + frame(session[2]))
write("lsp_framing", b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n"
      + frame(session[1]))
write("lsp_framing", b"\r\nContent-Length: x\r\n\r\n" + frame({"id": 1}) + frame([1, 2]))
print(f"seeded {sum(1 for _ in corpus.rglob('*') if _.is_file())} corpus files in {corpus}")
