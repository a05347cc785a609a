//! Editor latency of `vigil serve`: the time from a `didChange` to the
//! `publishDiagnostics` of that version, over the real binary and stdio, as a user's
//! editor sees it; and the server's memory with 500 documents open.
//!
//! ```sh
//! server/benches/fetch-corpus.sh        # once, from the repository root: real code
//!                                       # into target/bench-corpus
//! cargo bench --bench latency
//! ```
//!
//! Corpus: jQuery's jquery.js (11k lines of JavaScript) and Go's
//! net/http/h2_bundle.go (11k lines), the issue's ~10k-line files; lodash.js (17k
//! lines, nearly all in one function body, which tree-sitter-javascript re-parses
//! slowly); ~100k-line JavaScript files made by concatenating lodash's package files
//! (~10,000 top-level statements) and whole libraries (react-dom, lodash, jQuery: few),
//! a ~100k-line Go file from Go's cmd/compile/internal/ssa package; and 500 Go
//! standard library files. Arguments select cases by name (`cargo bench --bench latency -- jquery
//! memory`). Each latency run makes 200 single-character
//! edits (a space at the end of a pseudo-random line, as typing does), one at a time,
//! with debounce 0. Set `VIGIL_BENCH_CORPUS` to use another corpus directory (the
//! directory `fetch-corpus.sh` was given).
//!
//! It also prints where the same edits' time goes in the engine (edit and re-parse,
//! incremental analysis, as p50/p99) and the server's CPU time per edit, which is
//! steadier than wall time on a busy machine.

#[path = "../../tests/support/lsp_client.rs"]
mod lsp_client;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use lsp_client::{Encoding, LspClient, push_client_caps};
use serde_json::json;
use vigil::engine::{
    Document, Language, RuleFilter, RuleSet, TextRange, analyze, analyze_document,
};

const EDITS: usize = 200;
const DOCUMENTS: usize = 500;

fn corpus() -> PathBuf {
    std::env::var_os("VIGIL_BENCH_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-corpus"))
}

fn server() -> LspClient {
    let mut c = LspClient::spawn(&[], &["--log-level", "warn"]);
    c.initialize(
        push_client_caps(),
        json!({"debounceMs": 0, "maxFileSize": 64 << 20}),
    );
    c
}

/// A small deterministic generator, so every run makes the same edits.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn latency(name: &str, language: &str, text: &str) {
    let mut c = server();
    let uri = format!("file:///bench/{name}");
    let opened = Instant::now();
    c.open(&uri, language, 1, text);
    let findings = c.published(&uri, 1).len();
    let first = opened.elapsed();
    let mut text = text.to_string();
    let cpu_before = cpu_ms(c.pid());
    let mut times = Vec::with_capacity(EDITS);
    for (i, end) in edit_offsets(&text).into_iter().enumerate() {
        let version = i as i32 + 2;
        let change = json!({
            "range": {
                "start": lsp_client::position(&text, end, Encoding::Utf16),
                "end": lsp_client::position(&text, end, Encoding::Utf16),
            },
            "text": " ",
        });
        text.insert(end, ' ');
        let sent = Instant::now();
        c.change(&uri, version, vec![change]);
        c.published(&uri, version);
        times.push(sent.elapsed());
    }
    let cpu_per_edit = (cpu_ms(c.pid()) - cpu_before) / EDITS as f64;
    times.sort();
    println!(
        "{name:<18} {:>7} lines {:>3} findings  open {:>7.1} ms  edit p50 {:>6.1} ms  p95 {:>6.1} ms  p99 {:>6.1} ms  max {:>6.1} ms  server CPU/edit {:>6.1} ms",
        text.lines().count(),
        findings,
        first.as_secs_f64() * 1000.0,
        percentile(&times, 0.50),
        percentile(&times, 0.95),
        percentile(&times, 0.99),
        percentile(&times, 1.0),
        cpu_per_edit,
    );
    c.shutdown_and_exit();
}

/// Where each of the benchmark's edits inserts its space, in the text as it is by
/// then (each insertion moves the text after it): the end of a pseudo-random line.
fn edit_offsets(text: &str) -> Vec<usize> {
    let mut text = text.to_string();
    let mut rng = Lcg(0x5eed);
    let mut offsets = Vec::with_capacity(EDITS);
    for _ in 0..EDITS {
        let lines = text.lines().count();
        let line = (rng.next() as usize) % lines;
        let start = match line {
            0 => 0,
            n => text
                .match_indices('\n')
                .nth(n - 1)
                .map_or(0, |(at, _)| at + 1),
        };
        let end = start + text[start..].find('\n').unwrap_or(text.len() - start);
        text.insert(end, ' ');
        offsets.push(end);
    }
    offsets
}

/// User plus system CPU time of a process so far, in milliseconds.
fn cpu_ms(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may contain spaces) start after ") ".
    let rest = stat.rsplit_once(") ").map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i).and_then(|f| f.parse::<f64>().ok()))
        .sum();
    // Linux reports in clock ticks of 1/100 s on every mainstream configuration.
    ticks * 10.0
}

/// Where an edit's time goes inside the engine, without the server: the edits of
/// [`latency`] (the same positions), through the path `vigil serve` takes for each
/// (`Document::edit`, incremental `reparse` with changed ranges, `analyze_document`),
/// as p50/p99 per phase; and, for scale, one analysis of the whole file from scratch.
fn engine_breakdown(name: &str, language: Language, text: &str) {
    let mut doc = Document::new(language, text.to_string());
    let filter = RuleFilter::default();
    let rules = RuleSet::builtin();
    analyze_document(&mut doc, rules, &filter);
    let (mut reparse, mut incremental) = (Vec::new(), Vec::new());
    for at in edit_offsets(text) {
        let t = Instant::now();
        doc.edit(TextRange::new(at, at), " ");
        doc.reparse();
        reparse.push(t.elapsed());
        let t = Instant::now();
        let _ = analyze_document(&mut doc, rules, &filter);
        incremental.push(t.elapsed());
    }
    let t = Instant::now();
    let _ = analyze(&doc, rules, &filter);
    let full = t.elapsed();
    let stat = |v: &mut Vec<Duration>| {
        v.sort();
        format!("{:>5.2}/{:>5.2}", percentile(v, 0.5), percentile(v, 0.99))
    };
    println!(
        "{name:<18} engine p50/p99 ms: edit+reparse {}  incremental analysis {}  (full analysis {:.1})",
        stat(&mut reparse),
        stat(&mut incremental),
        full.as_secs_f64() * 1000.0,
    );
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn go_files(root: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() && !path.ends_with("testdata") {
            go_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "go") {
            out.push(path);
        }
    }
}

fn memory_with_open_documents(go_src: &Path) {
    let mut files = Vec::new();
    go_files(go_src, &mut files);
    files.truncate(DOCUMENTS);
    let mut c = server();
    let before = rss_kib(c.pid()).unwrap_or(0);
    let mut bytes = 0;
    let started = Instant::now();
    for (i, path) in files.iter().enumerate() {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        bytes += text.len();
        c.open(&format!("file:///bench/go/{i}.go"), "go", 1, &text);
    }
    for i in 0..files.len() {
        c.published(&format!("file:///bench/go/{i}.go"), 1);
    }
    let elapsed = started.elapsed();
    let after = rss_kib(c.pid()).unwrap_or(0);
    println!(
        "{} Go documents open ({:.1} MB of text, analysed in {:.2} s): server RSS {:.1} MB (idle server {:.1} MB)",
        files.len(),
        bytes as f64 / 1e6,
        elapsed.as_secs_f64(),
        after as f64 / 1024.0,
        before as f64 / 1024.0,
    );
    c.shutdown_and_exit();
}

/// One file the latency is measured on.
struct Case {
    name: &'static str,
    language: Language,
    lsp_id: &'static str,
    text: String,
}

/// Files concatenated in order until the text has at least `lines` lines. Go files
/// keep only the first `package` clause, as one package in one file would: Go has
/// one per file, and a rule's pattern over the package clause and the imports would
/// otherwise meet hundreds.
fn concatenated(files: &[PathBuf], lines: usize) -> String {
    let mut text = String::new();
    let mut count = 0;
    while count < lines && !files.is_empty() {
        for f in files {
            let mut file = std::fs::read_to_string(f).unwrap_or_default();
            if !text.is_empty() && f.extension().is_some_and(|e| e == "go") {
                file = file
                    .lines()
                    .filter(|l| !l.starts_with("package "))
                    .flat_map(|l| [l, "\n"])
                    .collect();
            }
            count += file.lines().count();
            text.push_str(&file);
            text.push('\n');
            if count >= lines {
                break;
            }
        }
    }
    text
}

fn files_with_extension(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| {
        p.extension().is_some_and(|e| e == ext) && !p.to_string_lossy().ends_with("_test.go")
    });
    files.sort();
    files
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|_| {
        eprintln!(
            "latency benchmark: {} is missing; run server/benches/fetch-corpus.sh first",
            path.display()
        );
        std::process::exit(1);
    })
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing useful.
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    // Other arguments select cases by name: `cargo bench --bench latency -- jquery`.
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let dir = corpus();
    let lodash_dir = dir.join("npm/lodash");
    let go_src = dir.join("go/usr/share/go-1.19/src");
    let cases = [
        // ~10k lines each: the issue's reference size.
        Case {
            name: "jquery.js",
            language: Language::JavaScript,
            lsp_id: "javascript",
            text: read(&dir.join("npm/jquery/dist/jquery.js")),
        },
        Case {
            name: "h2_bundle.go",
            language: Language::Go,
            lsp_id: "go",
            text: read(&go_src.join("net/http/h2_bundle.go")),
        },
        // 17k lines in one function body: the slowest file to re-parse per line that
        // we know of (see README).
        Case {
            name: "lodash.js",
            language: Language::JavaScript,
            lsp_id: "javascript",
            text: read(&lodash_dir.join("lodash.js")),
        },
        // 100k+ lines: lodash's package files, and Go's SSA compiler package, each
        // concatenated into one file.
        Case {
            name: "lodash-concat.js",
            language: Language::JavaScript,
            lsp_id: "javascript",
            text: concatenated(&files_with_extension(&lodash_dir, "js"), 100_000),
        },
        // 100k+ lines made of whole libraries (react-dom, lodash, jQuery): few
        // top-level statements, as in bundles that wrap each module in a function.
        // lodash-concat.js above is the other kind, ~10,000 top-level statements, as
        // in bundles that hoist every module into one scope; tree-sitter re-builds
        // the list of statements around an edit, so those re-parse far slower.
        Case {
            name: "libs-concat.js",
            language: Language::JavaScript,
            lsp_id: "javascript",
            text: concatenated(
                &[
                    dir.join("npm/react-dom/cjs/react-dom.development.js"),
                    dir.join("npm/react-dom/umd/react-dom.development.js"),
                    lodash_dir.join("lodash.js"),
                    dir.join("npm/jquery/dist/jquery.js"),
                    dir.join("npm/jquery/dist/jquery.slim.js"),
                    dir.join("npm/react-dom/cjs/react-dom-server-legacy.node.development.js"),
                ],
                100_000,
            ),
        },
        Case {
            name: "ssa-concat.go",
            language: Language::Go,
            lsp_id: "go",
            text: concatenated(
                &files_with_extension(&go_src.join("cmd/compile/internal/ssa"), "go"),
                100_000,
            ),
        },
    ];
    let selected = |name: &str| only.is_empty() || only.iter().any(|o| name.contains(o.as_str()));
    for case in cases.iter().filter(|c| selected(c.name)) {
        engine_breakdown(case.name, case.language, &case.text);
    }
    println!(
        "vigil serve latency, didChange -> publishDiagnostics, {EDITS} edits each, debounce 0"
    );
    for case in cases.iter().filter(|c| selected(c.name)) {
        latency(case.name, case.lsp_id, &case.text);
    }
    if selected("memory") {
        memory_with_open_documents(&go_src);
    }
}
