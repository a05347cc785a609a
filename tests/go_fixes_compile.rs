//! Every Go rule's examples are real Go, and so is what its fixes produce.
//!
//! For each built-in Go rule this writes, into one temporary module, a package per
//! bad example, per fixed text (the engine's actual fix output, computed the same
//! way `rule_examples` does) and per good example, then runs a single `go vet ./...`
//! over them: the code must type-check and pass vet. A fix that inserts an undefined
//! name, forgets an import or leaves an unused one fails here.
//!
//! Go runs offline (`GOPROXY=off`, `GOFLAGS=-mod=mod`, `GOTOOLCHAIN=local`), so an
//! example that imports a path outside the standard library (its first element
//! contains a dot, e.g. `golang.org/x/crypto/ssh`, `google.golang.org/grpc`)
//! cannot be checked and is skipped; the test prints how many were skipped.
//!
//! Without a `go` binary the test fails when the `CI` environment variable is set
//! (CI must install Go: `apt-get install -y golang-go`) and otherwise skips with a
//! message on stderr.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use vigil::engine::fix::apply::fix_all_with;
use vigil::engine::{Document, Language, RuleFilter, RuleLanguage, RuleSet};

/// One Go file to check, and where it came from (for failure messages).
struct Sample {
    dir: String,
    origin: String,
    code: String,
}

/// Import paths of a Go file, read from its syntax tree.
fn imports(doc: &Document) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor = doc.tree().walk();
    'walk: loop {
        let node = cursor.node();
        if node.kind() == "import_spec"
            && let Some(path) = node.child_by_field_name("path")
        {
            out.push(
                doc.slice(path.byte_range().into())
                    .trim_matches(['"', '`'])
                    .to_string(),
            );
        }
        if cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
    out
}

/// Whether an import path is outside the standard library (and so not available
/// offline): its first path element contains a dot.
fn is_third_party(path: &str) -> bool {
    path.split('/')
        .next()
        .is_some_and(|first| first.contains('.'))
}

fn go_available() -> bool {
    Command::new("go")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Collects every Go sample; returns them and the number skipped for third-party
/// imports.
fn collect_samples(rules: &RuleSet) -> (Vec<Sample>, usize) {
    let mut samples = Vec::new();
    let mut skipped = 0;
    let push = |dir: String, origin: String, code: String, samples: &mut Vec<Sample>| {
        let doc = Document::new(Language::Go, code.clone());
        if imports(&doc).iter().any(|p| is_third_party(p)) {
            return false;
        }
        samples.push(Sample { dir, origin, code });
        true
    };
    for rule in rules.rules() {
        if rule.language != RuleLanguage::Go {
            continue;
        }
        let name = rule.id.replace(['/', '-'], "_");
        let filter = RuleFilter {
            select: vec![rule.id.clone()],
            ..Default::default()
        };
        for (i, ex) in rule.bad.iter().enumerate() {
            let n = i + 1;
            if !push(
                format!("{name}_bad{n}"),
                format!("{} bad example {n}", rule.id),
                ex.code.clone(),
                &mut samples,
            ) {
                skipped += 1;
                continue;
            }
            if ex.fixed.is_none() {
                continue;
            }
            let doc = Document::new(Language::Go, ex.code.clone());
            let fixed = fix_all_with(&doc, rules, &filter, |_| true, ex.fix).document;
            push(
                format!("{name}_fixed{n}"),
                format!("{} bad example {n}, after its fix", rule.id),
                fixed.text().to_string(),
                &mut samples,
            );
        }
        for (i, ex) in rule.good.iter().enumerate() {
            let n = i + 1;
            if !push(
                format!("{name}_good{n}"),
                format!("{} good example {n}", rule.id),
                ex.code.clone(),
                &mut samples,
            ) {
                skipped += 1;
            }
        }
    }
    (samples, skipped)
}

fn write_module(root: &Path, samples: &[Sample]) {
    std::fs::write(root.join("go.mod"), "module vigilexamples\n\ngo 1.19\n").unwrap();
    for s in samples {
        let dir = root.join(&s.dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("example.go"), &s.code).unwrap();
    }
}

/// `go vet ./...` in `root`, offline, with caches in places that exist.
fn go_vet(root: &Path) -> std::process::Output {
    let mut cmd = Command::new("go");
    cmd.args(["vet", "./..."])
        .current_dir(root)
        .env("GOFLAGS", "-mod=mod")
        .env("GOPROXY", "off")
        .env("GOTOOLCHAIN", "local")
        .env("GOWORK", "off")
        .env("GO111MODULE", "on");
    // Go needs a build cache and a GOPATH; without HOME it cannot find defaults.
    if std::env::var_os("HOME").is_none() {
        let base = std::env::temp_dir().join("vigil-go-env");
        if std::env::var_os("GOCACHE").is_none() {
            cmd.env("GOCACHE", base.join("cache"));
        }
        if std::env::var_os("GOPATH").is_none() {
            cmd.env("GOPATH", base.join("path"));
        }
    }
    cmd.output().expect("go is available")
}

#[test]
fn go_examples_and_fixes_compile() {
    if !go_available() {
        let msg = "go_fixes_compile: no `go` binary on PATH; install Go \
                   (apt-get install -y golang-go) to check that Go fixes compile";
        if std::env::var_os("CI").is_some() {
            panic!("{msg}");
        }
        eprintln!("\n*** SKIPPED *** {msg}\n");
        return;
    }
    let (samples, skipped) = collect_samples(RuleSet::builtin());
    assert!(
        samples.iter().any(|s| s.dir.contains("_fixed")),
        "no Go fix output to check: the Go rule pack has no fixes?"
    );
    let tmp = tempfile::tempdir().unwrap();
    write_module(tmp.path(), &samples);
    let out = go_vet(tmp.path());
    eprintln!(
        "go_fixes_compile: vetted {} Go files ({} with fixes applied), skipped {skipped} \
         that import non-standard packages",
        samples.len(),
        samples.iter().filter(|s| s.dir.contains("_fixed")).count()
    );
    if out.status.success() {
        return;
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut report = String::new();
    for s in &samples {
        let marker = format!("{}/", s.dir);
        let failed = stderr.lines().any(|l| {
            l.contains(&marker) || l.trim_end().ends_with(&format!("vigilexamples/{}", s.dir))
        });
        if failed {
            let numbered: String = s
                .code
                .lines()
                .enumerate()
                .map(|(i, l)| format!("{:3} {l}\n", i + 1))
                .collect();
            let _ = writeln!(report, "--- {} ({})\n{numbered}", s.origin, s.dir);
        }
    }
    panic!("go vet failed:\n{stderr}\nfailing files:\n{report}");
}
