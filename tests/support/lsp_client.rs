//! A small typed LSP client for the integration tests: it runs the real `vigil serve`
//! binary over stdio, frames JSON-RPC messages, answers the server's requests
//! (`workspace/configuration`, `client/registerCapability`, refreshes) and keeps the
//! notifications it receives for the tests to inspect.
//!
//! Position conversion is implemented here independently of the engine, so the tests
//! check the server's encodings against a second implementation.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub const TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

/// What the server sent on stdout: a message, or bytes that are not LSP framing.
enum Incoming {
    Message(Value),
    Violation(String),
    Closed,
}

pub struct LspClient {
    child: Child,
    stdin: Option<ChildStdin>,
    rx: Receiver<Incoming>,
    next_id: i64,
    responses: HashMap<i64, Value>,
    /// Notifications received and not yet taken by a `wait_*` call.
    pub notifications: Vec<Value>,
    /// Every notification ever received, in order.
    pub history: Vec<Value>,
    /// What `workspace/configuration` answers for the `vigil` section.
    pub settings: Value,
    /// How many `workspace/diagnostic/refresh` requests the server sent.
    pub refreshes: usize,
    pub stderr: Arc<Mutex<String>>,
    pub encoding: Encoding,
    closed: bool,
}

impl LspClient {
    pub fn spawn(env: &[(&str, &str)], args: &[&str]) -> LspClient {
        Self::spawn_in(Path::new("."), env, args)
    }

    /// Starts the server with `dir` as its working directory.
    pub fn spawn_in(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> LspClient {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_vigil"));
        cmd.current_dir(dir);
        cmd.arg("serve")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start vigil serve");
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || read_messages(stdout, tx));
        let log = Arc::new(Mutex::new(String::new()));
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        LspClient {
            stdin: child.stdin.take(),
            child,
            rx,
            next_id: 1,
            responses: HashMap::new(),
            notifications: Vec::new(),
            history: Vec::new(),
            settings: Value::Null,
            refreshes: 0,
            stderr: log,
            encoding: Encoding::Utf16,
            closed: false,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(bytes).unwrap();
        stdin.flush().unwrap();
    }

    pub fn send(&mut self, message: &Value) {
        let body = serde_json::to_vec(message).unwrap();
        let mut framed = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
        framed.extend(body);
        self.send_raw(&framed);
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and returns its id without waiting.
    pub fn request_async(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        id
    }

    /// Waits for the response to request `id`: `Ok(result)` or `Err(error)`.
    pub fn response(&mut self, id: i64) -> Result<Value, Value> {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(r) = self.responses.remove(&id) {
                return match r.get("error") {
                    Some(e) => Err(e.clone()),
                    None => Ok(r.get("result").cloned().unwrap_or(Value::Null)),
                };
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                self.pump(left),
                "no response to request {id} within {TIMEOUT:?}; stderr:\n{}",
                self.stderr()
            );
        }
    }

    pub fn request(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        let id = self.request_async(method, params);
        self.response(id)
    }

    /// Receives one message, answering server requests; false on timeout.
    pub fn pump(&mut self, timeout: Duration) -> bool {
        let incoming = match self.rx.recv_timeout(timeout) {
            Ok(m) => m,
            Err(RecvTimeoutError::Timeout) => return false,
            Err(RecvTimeoutError::Disconnected) => Incoming::Closed,
        };
        match incoming {
            Incoming::Violation(v) => panic!("server wrote non-LSP output on stdout: {v:?}"),
            Incoming::Closed => {
                self.closed = true;
                // Nothing more will come: behave like a timeout without sleeping.
                std::thread::sleep(timeout.min(Duration::from_millis(10)));
                false
            }
            Incoming::Message(m) => {
                let id = m.get("id").cloned();
                let method = m.get("method").and_then(Value::as_str).map(str::to_string);
                match (id, method) {
                    (Some(id), Some(method)) => self.answer(id, &method, &m),
                    (Some(id), None) => {
                        if let Some(n) = id.as_i64() {
                            self.responses.insert(n, m);
                        } else {
                            // Errors for unparsable messages have a null id.
                            self.responses.insert(-1, m);
                        }
                    }
                    (None, Some(_)) => {
                        self.history.push(m.clone());
                        self.notifications.push(m);
                    }
                    (None, None) => panic!("malformed message from server: {m}"),
                }
                true
            }
        }
    }

    fn answer(&mut self, id: Value, method: &str, message: &Value) {
        let result = match method {
            "workspace/configuration" => {
                let items = message["params"]["items"].as_array().map_or(0, Vec::len);
                Value::Array(vec![self.settings.clone(); items])
            }
            "workspace/diagnostic/refresh" => {
                self.refreshes += 1;
                Value::Null
            }
            _ => Value::Null,
        };
        self.history.push(message.clone());
        self.send(&json!({"jsonrpc": "2.0", "id": id, "result": result}));
    }

    /// Waits for (and removes) the first notification matching `pred`.
    pub fn wait_notification(
        &mut self,
        method: &str,
        timeout: Duration,
        pred: impl Fn(&Value) -> bool,
    ) -> Option<Value> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(i) = self
                .notifications
                .iter()
                .position(|n| n["method"] == method && pred(&n["params"]))
            {
                return Some(self.notifications.remove(i)["params"].clone());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || (!self.pump(left) && self.closed) {
                return None;
            }
        }
    }

    /// Lets messages arrive for `duration`, keeping them.
    pub fn drain_for(&mut self, duration: Duration) {
        let deadline = Instant::now() + duration;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            if !self.pump(left) && self.closed {
                return;
            }
        }
    }

    pub fn initialize(&mut self, capabilities: Value, init_options: Value) -> Value {
        self.initialize_in(None, capabilities, init_options)
    }

    /// `initialize` with a workspace root (`rootUri`), which relative paths in
    /// settings are resolved against.
    pub fn initialize_in(
        &mut self,
        root_uri: Option<&str>,
        capabilities: Value,
        init_options: Value,
    ) -> Value {
        let utf8 = capabilities["general"]["positionEncodings"]
            .as_array()
            .is_some_and(|e| e.iter().any(|x| x == "utf-8"));
        let result = self
            .request(
                "initialize",
                json!({
                    "processId": std::process::id(),
                    "clientInfo": {"name": "vigil-test-client"},
                    "rootUri": root_uri,
                    "capabilities": capabilities,
                    "initializationOptions": init_options,
                }),
            )
            .expect("initialize succeeds");
        let negotiated = result["capabilities"]["positionEncoding"].as_str();
        self.encoding = match negotiated {
            Some("utf-8") => Encoding::Utf8,
            _ => Encoding::Utf16,
        };
        assert!(utf8 || self.encoding == Encoding::Utf16);
        self.notify("initialized", json!({}));
        result
    }

    pub fn open(&mut self, uri: &str, language: &str, version: i32, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": language, "version": version, "text": text}}),
        );
    }

    pub fn change(&mut self, uri: &str, version: i32, changes: Vec<Value>) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": changes}),
        );
    }

    pub fn close(&mut self, uri: &str) {
        self.notify(
            "textDocument/didClose",
            json!({"textDocument": {"uri": uri}}),
        );
    }

    /// The diagnostics pushed for `uri` at `version`.
    pub fn published(&mut self, uri: &str, version: i32) -> Vec<Value> {
        let params = self
            .wait_notification("textDocument/publishDiagnostics", TIMEOUT, |p| {
                p["uri"] == uri && p["version"] == version
            })
            .unwrap_or_else(|| {
                panic!(
                    "no diagnostics for {uri} v{version}; stderr:\n{}",
                    self.stderr()
                )
            });
        params["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Pulls diagnostics: the full report's items.
    pub fn pull(&mut self, uri: &str) -> Result<Vec<Value>, Value> {
        let report = self.request(
            "textDocument/diagnostic",
            json!({"textDocument": {"uri": uri}}),
        )?;
        assert_eq!(report["kind"], "full", "{report}");
        Ok(report["items"].as_array().cloned().unwrap_or_default())
    }

    /// `shutdown` then `exit`; returns the exit status, waiting at most 5 seconds.
    pub fn shutdown_and_exit(&mut self) -> ExitStatus {
        self.request("shutdown", Value::Null).expect("shutdown");
        self.notify("exit", Value::Null);
        self.wait_exit(Duration::from_secs(5))
            .expect("server exits promptly after exit")
    }

    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }

    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Waits until the server's stderr contains `needle` (it is read by a thread, so
    /// it may lag behind the protocol).
    pub fn stderr_contains(&self, needle: &str) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if self.stderr().contains(needle) {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Position of a byte offset in the negotiated encoding.
    pub fn position(&self, text: &str, offset: usize) -> Value {
        position(text, offset, self.encoding)
    }

    pub fn range(&self, text: &str, start: usize, end: usize) -> Value {
        json!({"start": self.position(text, start), "end": self.position(text, end)})
    }
}

impl Drop for LspClient {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn read_messages(stdout: impl Read, tx: std::sync::mpsc::Sender<Incoming>) {
    let mut reader = BufReader::new(stdout);
    loop {
        let mut length = None;
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => {
                    let _ = tx.send(Incoming::Closed);
                    return;
                }
                Ok(_) => {}
            }
            if line == "\r\n" {
                break;
            }
            match line.strip_prefix("Content-Length: ") {
                Some(n) => length = n.trim().parse::<usize>().ok(),
                None if line.starts_with("Content-Type: ") => {}
                None => {
                    let _ = tx.send(Incoming::Violation(line));
                    return;
                }
            }
        }
        let Some(length) = length else {
            let _ = tx.send(Incoming::Violation("header without Content-Length".into()));
            return;
        };
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            let _ = tx.send(Incoming::Closed);
            return;
        }
        match serde_json::from_slice(&body) {
            Ok(v) => {
                if tx.send(Incoming::Message(v)).is_err() {
                    return;
                }
            }
            Err(e) => {
                let _ = tx.send(Incoming::Violation(format!("invalid JSON body: {e}")));
                return;
            }
        }
    }
}

/// Byte offset to an LSP position, counted in `enc` code units.
pub fn position(text: &str, offset: usize, enc: Encoding) -> Value {
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col: usize = match enc {
        Encoding::Utf8 => offset - line_start,
        Encoding::Utf16 => text[line_start..offset].encode_utf16().count(),
    };
    json!({"line": line, "character": col})
}

/// LSP position to a byte offset.
pub fn offset(text: &str, pos: &Value, enc: Encoding) -> usize {
    let line = pos["line"].as_u64().unwrap() as usize;
    let col = pos["character"].as_u64().unwrap() as usize;
    let mut start = 0;
    for _ in 0..line {
        start += text[start..].find('\n').expect("line exists") + 1;
    }
    let line_text = &text[start..];
    let line_text = &line_text[..line_text.find('\n').unwrap_or(line_text.len())];
    match enc {
        Encoding::Utf8 => {
            assert!(line_text.is_char_boundary(col.min(line_text.len())));
            start + col.min(line_text.len())
        }
        Encoding::Utf16 => {
            let mut units = 0;
            for (i, ch) in line_text.char_indices() {
                if units >= col {
                    assert_eq!(units, col, "position inside a surrogate pair");
                    return start + i;
                }
                units += ch.len_utf16();
            }
            start + line_text.len()
        }
    }
}

/// Applies LSP text edits (all relative to `text`) the way an editor does.
pub fn apply_edits(text: &str, edits: &[Value], enc: Encoding) -> String {
    let mut spans: Vec<(usize, usize, String)> = edits
        .iter()
        .map(|e| {
            (
                offset(text, &e["range"]["start"], enc),
                offset(text, &e["range"]["end"], enc),
                e["newText"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    spans.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
    let mut out = text.to_string();
    for (s, e, t) in spans {
        out.replace_range(s..e, &t);
    }
    out
}

/// Client capabilities: a client that only takes pushed diagnostics and UTF-16
/// (like Neovim 0.7), or one that pulls and offers UTF-8 (like Neovim 0.11).
pub fn push_client_caps() -> Value {
    json!({
        "textDocument": {
            "publishDiagnostics": {"versionSupport": true},
            "codeAction": {"codeActionLiteralSupport": {"codeActionKind": {"valueSet": ["quickfix", "source"]}}},
            "hover": {"contentFormat": ["markdown"]}
        },
        "workspace": {"configuration": false, "workspaceEdit": {"documentChanges": false}}
    })
}

pub fn pull_client_caps() -> Value {
    json!({
        "general": {"positionEncodings": ["utf-8", "utf-16"]},
        "textDocument": {
            "diagnostic": {"dynamicRegistration": false},
            "codeAction": {"codeActionLiteralSupport": {"codeActionKind": {"valueSet": ["quickfix", "source"]}}},
            "hover": {"contentFormat": ["markdown"]}
        },
        "workspace": {
            "configuration": true,
            "didChangeConfiguration": {"dynamicRegistration": true},
            "diagnostics": {"refreshSupport": true},
            "workspaceEdit": {"documentChanges": true}
        }
    })
}
