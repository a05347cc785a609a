//! Vigil's own security guarantees (ARCHITECTURE.md, "Threat model"), checked on the
//! real binary: `vigil check` writes nothing and runs nothing from the workspace, the
//! server holds no network socket and creates no file, and rules that would cost unbounded
//! time or memory are refused.

#[path = "support/process.rs"]
mod process;
use process::write;

#[path = "support/lsp_client.rs"]
mod lsp_client;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use lsp_client::{LspClient, push_client_caps};
use serde_json::json;
use tempfile::TempDir;

#[cfg(unix)]
fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Every entry under `dir` (files, directories, links) with its kind, bytes,
/// permissions and modification time.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (String, Vec<u8>, u32, std::time::SystemTime)> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let kind = format!("{:?}", meta.file_type());
            let bytes = if meta.is_file() {
                std::fs::read(&path).unwrap()
            } else {
                Vec::new()
            };
            if meta.is_dir() {
                stack.push(path.clone());
            }
            out.insert(
                path.strip_prefix(dir).unwrap().to_path_buf(),
                (
                    kind,
                    bytes,
                    meta.permissions().mode(),
                    meta.modified().unwrap(),
                ),
            );
        }
    }
    out
}

/// A workspace that tries to get code run: git hooks, package scripts, build files,
/// tool binaries on a relative PATH, and file names that are shell commands. Each
/// would create `pwned` in the workspace if anything ran it.
fn booby_trapped_workspace() -> TempDir {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    let trap =
        "#!/bin/sh\ntouch \"$(dirname \"$0\")/pwned\"\ntouch /tmp/vigil-threat-model-pwned\n";
    for rel in [
        ".git/hooks/pre-commit",
        ".git/hooks/post-checkout",
        "node_modules/.bin/tsc",
        "node_modules/.bin/eslint",
        "bin/go",
        "bin/git",
        "bin/node",
    ] {
        let p = write(root, rel, trap);
        make_executable(&p);
    }
    write(root, ".git/HEAD", "ref: refs/heads/main\n");
    write(
        root,
        "package.json",
        r#"{"name": "x", "scripts": {"preinstall": "touch pwned", "postinstall": "touch pwned", "prepare": "touch pwned", "lint": "touch pwned"}}"#,
    );
    write(
        root,
        "go.mod",
        "module example.com/x\n\ngo 1.22\ntoolchain go1.99.0\n",
    );
    write(root, "Makefile", "all:\n\ttouch pwned\n");
    write(
        root,
        ".vscode/settings.json",
        r#"{"vigil.extraRuleDirs": ["/"]}"#,
    );
    write(
        root,
        ".eslintrc.js",
        "require('child_process').execSync('touch pwned');\n",
    );
    write(
        root,
        "src/app.js",
        "const crypto = require('crypto');\nconst h = crypto.createHash('md5');\nrequire('child_process').exec('touch pwned ' + process.argv[2]);\n",
    );
    write(root, "src/$(touch pwned).js", "eval(`touch ${x}`);\n");
    write(
        root,
        "src/;touch pwned;.ts",
        "const h = require('crypto').createHash('sha1');\n",
    );
    write(
        root,
        "svc/main.go",
        "package main\n\nimport \"crypto/md5\"\n\nfunc main() { _ = md5.Sum(nil) }\n",
    );
    dir
}

fn vigil(dir: &Path, home: &Path, args: &[&str]) -> Output {
    let path = format!(
        "{}:{}",
        dir.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .current_dir(dir)
        .env("HOME", home)
        .env("TMPDIR", home)
        .env("XDG_CONFIG_HOME", home)
        .env("XDG_CACHE_HOME", home)
        // The workspace's own tools come first on PATH: if Vigil ran `git`, `go` or
        // `node`, it would run the trap.
        .env("PATH", path)
        .output()
        .expect("run vigil")
}

fn nothing_ran(root: &Path) {
    assert!(
        !root.join("pwned").exists(),
        "something in the workspace ran"
    );
    for sub in [".git/hooks", "node_modules/.bin", "bin", "src"] {
        assert!(!root.join(sub).join("pwned").exists(), "{sub}: a trap ran");
    }
}

#[test]
fn check_without_fix_leaves_the_workspace_byte_identical_and_runs_nothing() {
    let _ = std::fs::remove_file("/tmp/vigil-threat-model-pwned");
    let dir = booby_trapped_workspace();
    let home = TempDir::new().unwrap();
    let root = dir.path();
    let before = snapshot(root);
    for args in [
        &["check"][..],
        &["check", "--no-ignore", "--format", "json"],
        &["check", "--format", "sarif", "."],
        &["check", "--diff", "--unsafe-fixes"],
        &["check", "--diff", "--unsafe-fixes", "src/$(touch pwned).js"],
        &["rules"],
    ] {
        let out = vigil(root, home.path(), args);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(snapshot(root), before, "{args:?} changed the workspace");
        nothing_ran(root);
    }
    // Findings were really made (the scan did read the traps' neighbours).
    let out = vigil(root, home.path(), &["check", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        report["summary"]["findings"].as_u64().unwrap() >= 4,
        "{report}"
    );
    assert!(
        std::fs::read_dir(home.path()).unwrap().next().is_none(),
        "nothing is written to $HOME or $TMPDIR"
    );
    assert!(!Path::new("/tmp/vigil-threat-model-pwned").exists());

    // `-o` creates exactly the report; `--fix` changes exactly the fixed files and
    // leaves no temporary file behind.
    let out = vigil(
        root,
        home.path(),
        &["check", "--format", "json", "-o", "report.json"],
    );
    assert_eq!(out.status.code(), Some(1));
    let after = snapshot(root);
    let added: Vec<&PathBuf> = after.keys().filter(|k| !before.contains_key(*k)).collect();
    assert_eq!(added, vec![&PathBuf::from("report.json")]);
    std::fs::remove_file(root.join("report.json")).unwrap();
    let out = vigil(root, home.path(), &["check", "--fix", "--unsafe-fixes"]);
    assert!(matches!(out.status.code(), Some(0 | 1)));
    let after = snapshot(root);
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>(),
        "--fix creates no file"
    );
    let mut changed: Vec<String> = after
        .iter()
        .filter(|(k, v)| before[*k].1 != v.1)
        .map(|(k, _)| k.display().to_string())
        .collect();
    changed.sort();
    for path in &changed {
        assert!(
            path.starts_with("src/") || path.starts_with("svc/"),
            "--fix changed {path}, which had no finding"
        );
    }
    assert!(changed.contains(&"src/app.js".to_string()), "{changed:?}");
    nothing_ran(root);
}

/// The targets of the process's open file descriptors.
fn open_fds(pid: u32) -> Vec<String> {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("procfs")
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .map(|p| p.display().to_string())
        .collect()
}

/// Inodes of the Unix sockets without an address (socket pairs) in the process's
/// network namespace.
fn unnamed_unix_sockets(pid: u32) -> Vec<String> {
    let table = std::fs::read_to_string(format!("/proc/{pid}/net/unix")).unwrap_or_default();
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            // Num RefCount Protocol Flags Type St Inode [Path]
            let fields: Vec<&str> = line.split_whitespace().collect();
            (fields.len() == 7).then(|| fields[6].to_string())
        })
        .collect()
}

#[cfg(target_os = "linux")]
#[test]
fn the_server_holds_no_network_socket_and_creates_no_file() {
    let dir = booby_trapped_workspace();
    let root = dir.path();
    let home = TempDir::new().unwrap();
    let rules = TempDir::new().unwrap();
    write(rules.path(), "noisy.toml", NOISY_RULE);
    let before = snapshot(root);
    let home_str = home.path().display().to_string();
    let mut c = LspClient::spawn_in(
        root,
        &[
            ("HOME", &home_str),
            ("TMPDIR", &home_str),
            ("XDG_CACHE_HOME", &home_str),
        ],
        &["--log-level", "trace"],
    );
    c.initialize(
        push_client_caps(),
        json!({"debounceMs": 0, "extraRuleDirs": [rules.path()]}),
    );
    let uri = format!("file://{}/src/app.js", root.display());
    let text = std::fs::read_to_string(root.join("src/app.js")).unwrap();
    c.open(&uri, "javascript", 1, &text);
    let diagnostics = c.published(&uri, 1);
    assert!(diagnostics.len() >= 2, "{diagnostics:?}");
    let actions = c
        .request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": diagnostics[0]["range"],
                   "context": {"diagnostics": diagnostics}}),
        )
        .unwrap();
    assert!(!actions.as_array().unwrap().is_empty());
    c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": diagnostics[0]["range"]["start"]}),
    )
    .unwrap();
    // Mid-session, with every subsystem started: pipes, the runtime's event fds, and
    // the unnamed Unix socket pair tokio's signal driver wakes itself with. No
    // network socket, and no Unix socket with an address.
    let fds = open_fds(c.pid());
    assert!(fds.iter().any(|f| f.starts_with("pipe:")), "{fds:?}");
    let unnamed_unix = unnamed_unix_sockets(c.pid());
    for fd in &fds {
        if let Some(inode) = fd
            .strip_prefix("socket:[")
            .and_then(|s| s.strip_suffix(']'))
        {
            assert!(
                unnamed_unix.iter().any(|i| i == inode),
                "socket {inode} is not an unnamed Unix socket: {fds:?}"
            );
        }
    }
    for table in ["tcp", "tcp6", "udp", "udp6", "raw", "raw6"] {
        let text =
            std::fs::read_to_string(format!("/proc/{}/net/{table}", c.pid())).unwrap_or_default();
        for fd in &fds {
            if let Some(inode) = fd
                .strip_prefix("socket:[")
                .and_then(|s| s.strip_suffix(']'))
            {
                assert!(
                    !text.split_whitespace().any(|w| w == inode),
                    "a {table} socket: {fds:?}"
                );
            }
        }
    }
    c.close(&uri);
    assert!(c.shutdown_and_exit().success());
    assert_eq!(snapshot(root), before, "the server changed the workspace");
    assert!(std::fs::read_dir(home.path()).unwrap().next().is_none());
    nothing_ran(root);
}

const HEAD: &str = r#"
title = "t"
language = "javascript"
severity = "low"
confidence = "high"
cwe = [1]
owasp = []
message = "m"
explanation = "e"
"#;

const NOISY_RULE: &str = r#"
id = "org/noisy"
title = "t"
language = "javascript"
severity = "low"
confidence = "high"
cwe = [1]
owasp = []
message = "exec call"
explanation = "e"
query = "(call_expression function: (member_expression property: (property_identifier) @p (#eq? @p \"exec\"))) @finding"
"#;

#[test]
fn rules_over_the_size_limits_are_refused_and_the_others_load() {
    let rules = TempDir::new().unwrap();
    // A regex whose compiled program is far above the limit (a 1000-fold repeat of a
    // Unicode class), a query over 64 KiB, a rule file over 1 MiB.
    write(
        rules.path(),
        "regex.toml",
        format!(
            "id = \"org/huge-regex\"\n{HEAD}query = \"(identifier) @finding\"\n[[constraints]]\ncapture = \"finding\"\nmatches = '\\w{{1000}}\\w{{1000}}'\n"
        ),
    );
    let big_query = format!(
        "((identifier) @finding (#any-of? @finding {}))",
        "\"x\" ".repeat(20_000)
    );
    write(
        rules.path(),
        "query.toml",
        format!("id = \"org/huge-query\"\n{HEAD}query = '{big_query}'\n"),
    );
    write(
        rules.path(),
        "file.toml",
        format!(
            "id = \"org/huge-file\"\n{HEAD}query = \"(identifier) @finding\"\n# {}\n",
            "x".repeat(2 << 20)
        ),
    );
    write(rules.path(), "noisy.toml", NOISY_RULE);
    let mut c = LspClient::spawn(&[], &[]);
    c.initialize(
        push_client_caps(),
        json!({"debounceMs": 0, "extraRuleDirs": [rules.path()]}),
    );
    let shown = c
        .wait_notification("window/showMessage", lsp_client::TIMEOUT, |_| true)
        .expect("the rejected rules are shown to the user");
    let message = shown["message"].as_str().unwrap();
    assert!(
        message.contains("regex.toml") && message.contains("size limit"),
        "{message}"
    );
    assert!(message.contains("query.toml"), "{message}");
    assert!(
        message.contains("file.toml") && message.contains("over the limit of 1048576"),
        "{message}"
    );
    // The valid organisation rule in the same directory works.
    c.open(
        "file:///r/a.js",
        "javascript",
        1,
        "require('child_process').exec(cmd);\nconst zz = 1;\n",
    );
    let diagnostics = c.published("file:///r/a.js", 1);
    let codes: Vec<&str> = diagnostics
        .iter()
        .filter_map(|d| d["code"].as_str())
        .collect();
    assert!(codes.contains(&"org/noisy"), "{codes:?}");
    assert!(
        !codes.iter().any(|c| c.starts_with("org/huge")),
        "{codes:?}"
    );
    assert!(c.shutdown_and_exit().success());
}
