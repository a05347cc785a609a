//! The scan benchmark: `vigil check` over a directory against the parse-only time of
//! the same files.
//!
//!     server/benches/fetch-corpus.sh          # real npm packages and Go's std library
//!     cargo bench --bench scan -- DIR [--runs N] [--profile]
//!
//! Measures, as the median of N runs (default 5) after one warm-up run, parse-only
//! and full runs alternating (the ratio printed is the median of each round's):
//! - parse-only: read every supported file and parse it with tree-sitter;
//! - full: what `vigil check` does per file (read, parse, analyse with every built-in
//!   rule, verify the fixes of findings), using the CLI's own scan code;
//!
//! each on one thread and on the rayon pool, and prints files, lines, MB, files/s,
//! MB/s and the ratio full / parse-only, by wall time and by process CPU time (the
//! latter is the fairer figure on a loaded machine). Then it checks that the analysis,
//! which looks only where the patterns' literals occur, finds exactly what traversing
//! every tree finds on the corpus (exit code 1 and the file if not). Then start-up: loading the built-in
//! rules and compiling each grammar's query (alone, all one after another, all with
//! `RuleSet::prepare`). `--profile` then times each rule alone (and the per-file facts
//! every analysis computes) to show what dominates.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rayon::prelude::*;
use vigil::cli::scan::{DEFAULT_MAX_FILE_SIZE, Outcome, read_source, scan_file};
use vigil::cli::walk::{Candidate, WalkOptions, discover};
use vigil::engine::document::parse;
use vigil::engine::rule::load::load_rules;
use vigil::engine::semantics::FileFacts;
use vigil::engine::{Document, Language, RuleFilter, RuleSet, analyze, analyze_exhaustive};
use vigil::project::FilePolicy;
use vigil::project::rules::builtin_sources;

struct Options {
    dir: PathBuf,
    runs: usize,
    profile: bool,
}

fn options() -> Options {
    let mut dir = None;
    let mut runs = 5;
    let mut profile = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--runs" => {
                runs = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .unwrap_or_else(|| usage("--runs needs a positive number"))
            }
            "--profile" => profile = true,
            // cargo passes --bench to harness-less benchmarks.
            "--bench" => {}
            other if other.starts_with('-') => usage(&format!("unknown option {other}")),
            other => dir = Some(PathBuf::from(other)),
        }
    }
    let dir = dir.unwrap_or_else(|| usage("missing DIR"));
    // cargo runs benchmarks in the package directory (`server/`); a relative DIR is
    // more naturally typed from the repository root.
    let from_root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(&dir);
    let dir = if dir.is_relative() && !dir.exists() && from_root.exists() {
        from_root
    } else {
        dir
    };
    Options { dir, runs, profile }
}

fn usage(msg: &str) -> ! {
    eprintln!("error: {msg}\nusage: cargo bench --bench scan -- DIR [--runs N] [--profile]");
    std::process::exit(2)
}

fn parse_only(c: &Candidate) -> usize {
    match read_source(&c.path, DEFAULT_MAX_FILE_SIZE) {
        Ok(text) => parse(c.language, &text, None).root_node().child_count() as usize,
        Err(_) => 0,
    }
}

fn full(c: &Candidate, policy: &Arc<FilePolicy>) -> usize {
    match scan_file(c, policy, DEFAULT_MAX_FILE_SIZE) {
        Outcome::Scanned(s) => s.findings.len(),
        Outcome::Skipped(_) => 0,
    }
}

/// CPU time (user + system) this process has used so far, all threads.
fn cpu_time() -> Duration {
    // SAFETY: getrusage only writes into the struct we pass.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Median wall and CPU time of `runs` runs of `f`, after one warm-up run, and `f`'s
/// result.
struct Measured {
    wall: Duration,
    cpu: Duration,
    result: usize,
}

fn measure(runs: usize, mut f: impl FnMut() -> usize) -> Measured {
    let result = f();
    let mut walls = Vec::new();
    let mut cpus = Vec::new();
    for _ in 0..runs {
        let (t, c) = (Instant::now(), cpu_time());
        std::hint::black_box(f());
        walls.push(t.elapsed());
        cpus.push(cpu_time().saturating_sub(c));
    }
    walls.sort();
    cpus.sort();
    Measured {
        wall: walls[runs / 2],
        cpu: cpus[runs / 2],
        result,
    }
}

/// Runs `parse` and `full` alternately `runs` times after a warm-up of each: their
/// medians, and the median of each round's full/parse ratio (wall, CPU).
fn measure_pair(
    runs: usize,
    mut parse: impl FnMut() -> usize,
    mut full: impl FnMut() -> usize,
) -> (Measured, Measured, (f64, f64)) {
    let (p, f) = (parse(), full());
    let time = |g: &mut dyn FnMut() -> usize| {
        let (t, c) = (Instant::now(), cpu_time());
        std::hint::black_box(g());
        (t.elapsed(), cpu_time().saturating_sub(c))
    };
    let (mut pw, mut pc, mut fw, mut fc) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut rw, mut rc) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let (w1, c1) = time(&mut parse);
        let (w2, c2) = time(&mut full);
        rw.push(w2.as_secs_f64() / w1.as_secs_f64());
        rc.push(c2.as_secs_f64() / c1.as_secs_f64());
        pw.push(w1);
        pc.push(c1);
        fw.push(w2);
        fc.push(c2);
    }
    let median = |mut v: Vec<Duration>| {
        v.sort();
        v[runs / 2]
    };
    let median_f = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[runs / 2]
    };
    (
        Measured {
            wall: median(pw),
            cpu: median(pc),
            result: p,
        },
        Measured {
            wall: median(fw),
            cpu: median(fc),
            result: f,
        },
        (median_f(rw), median_f(rc)),
    )
}

fn main() {
    let opts = options();
    let rules = RuleSet::builtin();
    let policy = Arc::new(FilePolicy::builtin(RuleFilter::default()));
    let found = discover(std::slice::from_ref(&opts.dir), WalkOptions::default())
        .unwrap_or_else(|e| usage(&e));
    // Measure exactly the files `vigil check` would analyse.
    let mut files = Vec::new();
    let (mut lines, mut bytes, mut skipped) = (0usize, 0usize, found.skipped.len());
    for c in found.files {
        match read_source(&c.path, DEFAULT_MAX_FILE_SIZE) {
            Ok(text) => {
                lines += text.lines().count();
                bytes += text.len();
                files.push(c);
            }
            Err(_) => skipped += 1,
        }
    }
    if files.is_empty() {
        usage("no supported files under DIR");
    }
    let mb = bytes as f64 / 1e6;
    let threads = rayon::current_num_threads();
    println!("corpus      {}", opts.dir.display());
    println!(
        "files       {} ({} skipped)   lines {}   {:.1} MB   rules {}",
        files.len(),
        skipped,
        lines,
        mb,
        rules.len()
    );
    println!(
        "runs        median of {} after a warm-up; parallel = {threads} threads\n",
        opts.runs
    );
    println!(
        "{:<24} {:>10} {:>10} {:>8} {:>10}",
        "", "wall", "files/s", "MB/s", "CPU"
    );
    let report = |name: &str, m: &Measured| {
        let s = m.wall.as_secs_f64();
        println!(
            "{name:<24} {:>9.3}s {:>10.0} {:>8.2} {:>9.3}s",
            s,
            files.len() as f64 / s,
            mb / s,
            m.cpu.as_secs_f64()
        );
    };

    // Parse-only and full runs alternate, and each round gives its own ratio: on a
    // shared machine whose speed drifts by tens of percent over a minute, the median
    // of paired ratios is steadier than a ratio of medians taken minutes apart.
    let one = |c: &Candidate| full(c, &policy);
    let (parse_1, full_1, ratio_1) = measure_pair(
        opts.runs,
        || files.iter().map(parse_only).sum(),
        || files.iter().map(one).sum(),
    );
    report("parse-only, 1 thread", &parse_1);
    report("full scan, 1 thread", &full_1);
    let (parse_n, full_n, ratio_n) = measure_pair(
        opts.runs,
        || files.par_iter().map(parse_only).sum(),
        || files.par_iter().map(one).sum(),
    );
    report(&format!("parse-only, {threads} threads"), &parse_n);
    report(&format!("full scan, {threads} threads"), &full_n);
    println!(
        "\nratio full / parse-only, median of {} paired rounds (wall): {:.2}x (1 thread), {:.2}x ({threads} threads)",
        opts.runs, ratio_1.0, ratio_n.0,
    );
    println!(
        "ratio full / parse-only, median of {} paired rounds (CPU):  {:.2}x (1 thread), {:.2}x ({threads} threads)",
        opts.runs, ratio_1.1, ratio_n.1,
    );
    println!("findings: {}", full_1.result);
    check_prefilter(&files, rules);
    startup(opts.runs);
    if opts.profile {
        profile(&files, rules);
    }
}

/// Times what a run pays before its first analysis: loading the built-in rules (a
/// fresh set each run) and compiling the queries of the grammars it meets.
fn startup(runs: usize) {
    let load = || load_rules(builtin_sources()).0;
    println!("\nstartup, built-in rules   (median of {runs}, load included in each compile row)");
    let report = |name: &str, m: &Measured| {
        println!(
            "{name:<34} {:>7.0} ms wall {:>7.0} ms CPU",
            m.wall.as_secs_f64() * 1e3,
            m.cpu.as_secs_f64() * 1e3
        );
    };
    report("load (no query compiled)", &measure(runs, || load().len()));
    for lang in Language::ALL {
        let m = measure(runs, || {
            let rules = load();
            rules.prepare(&[lang]);
            rules.len()
        });
        report(&format!("compile {}", lang.name()), &m);
    }
    let m = measure(runs, || {
        let rules = load();
        Language::ALL.iter().for_each(|&l| rules.prepare(&[l]));
        rules.len()
    });
    report("compile all, one after another", &m);
    let m = measure(runs, || {
        let rules = load();
        rules.prepare(&Language::ALL);
        rules.len()
    });
    report("compile all, in parallel (prepare)", &m);
}

/// Checks on the corpus that looking only where the patterns' literals occur finds
/// exactly what traversing every tree finds; exits with the first difference.
fn check_prefilter(files: &[Candidate], rules: &RuleSet) {
    let filter = RuleFilter::default();
    let describe = |doc: &Document, a: &vigil::engine::Analysis| -> Vec<String> {
        a.findings
            .iter()
            .map(|f| format!("{} {:?} {}", f.rule.id, doc.slice(f.range), f.fixes.len()))
            .collect()
    };
    let mut wall = (Duration::ZERO, Duration::ZERO);
    for c in files {
        let Ok(text) = read_source(&c.path, DEFAULT_MAX_FILE_SIZE) else {
            continue;
        };
        let doc = Document::new(c.language, text);
        let t = Instant::now();
        let scoped = analyze(&doc, rules, &filter);
        wall.0 += t.elapsed();
        let t = Instant::now();
        let whole = analyze_exhaustive(&doc, rules, &filter);
        wall.1 += t.elapsed();
        if describe(&doc, &scoped) != describe(&doc, &whole) {
            eprintln!(
                "prefilter check FAILED on {}:\n  prefilter:  {:?}\n  whole tree: {:?}",
                c.path.display(),
                describe(&doc, &scoped),
                describe(&doc, &whole)
            );
            std::process::exit(1);
        }
    }
    println!(
        "prefilter check: the same findings as traversing every tree, on {} files (analysis {:.3}s vs {:.3}s whole-tree, 1 thread)",
        files.len(),
        wall.0.as_secs_f64(),
        wall.1.as_secs_f64()
    );
}

/// Times, on already parsed documents, the file facts and each rule alone.
fn profile(files: &[Candidate], rules: &RuleSet) {
    let docs: Vec<Document> = files
        .iter()
        .filter_map(|c| {
            read_source(&c.path, DEFAULT_MAX_FILE_SIZE)
                .ok()
                .map(|t| Document::new(c.language, t))
        })
        .collect();
    let time = |f: &dyn Fn(&Document)| {
        let t = cpu_time();
        docs.iter().for_each(f);
        cpu_time().saturating_sub(t)
    };
    let all = time(&|d| {
        std::hint::black_box(analyze(d, rules, &RuleFilter::default()));
    });
    let facts = time(&|d| {
        std::hint::black_box(FileFacts::compute(d));
    });
    println!("\nprofile (CPU time, 1 thread, on parsed documents, one run)");
    println!("  analyze, all rules      {:>9.3}s", all.as_secs_f64());
    println!("  file facts alone        {:>9.3}s", facts.as_secs_f64());
    let mut per_rule: Vec<(Duration, &str)> = rules
        .rules()
        .iter()
        .map(|r| {
            let only = RuleFilter {
                select: vec![r.id.clone()],
                ..RuleFilter::default()
            };
            (
                time(&|d| {
                    std::hint::black_box(analyze(d, rules, &only));
                }),
                r.id.as_str(),
            )
        })
        .collect();
    per_rule.sort_by_key(|r| std::cmp::Reverse(r.0));
    println!("  each rule alone (the query traversal, its constraints and the facts they need):");
    for (d, id) in per_rule.iter().take(15) {
        println!("    {id:<40} {:>9.3}s", d.as_secs_f64());
    }
}
