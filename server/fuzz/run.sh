#!/usr/bin/env bash
# Fuzzes Vigil's untrusted-input entry points with libFuzzer via cargo-fuzz, on stable
# Rust: `--sanitizer none` needs no nightly flag (Rust code is memory safe; the fuzzer
# looks for panics, broken invariants, hangs and unbounded memory).
#
# Usage: server/fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]
#   SECONDS_PER_TARGET  default 10; targets run one after another, one job each
#   TARGET              default: every target in TARGETS below
#
# Corpora grow in server/fuzz/corpus/<target>, seeded on every run from the rule
# files, their examples and the demo apps; a failing input is saved in
# server/fuzz/artifacts/<target>/ (replay: cargo fuzz run -s none -a TARGET FILE).
# A crash, a hang (longer than -timeout) or memory above -rss_limit_mb fails the
# target. The last line is "fuzz: N passed, M failed" (N = targets that ran clean).
set -uo pipefail
cd "$(dirname "$0")"
fuzz_dir="$PWD"
root="$(cd ../.. && pwd)"
seconds="${1:-10}"
shift $(($# > 0 ? 1 : 0))

# Every target. A new one (such as the project config loader) goes here, in
# Cargo.toml, and in fuzz_targets/; seeds, if any, in seed.py.
TARGETS=(document_edits analyze_js analyze_ts analyze_tsx analyze_go rule_loader settings vigil_toml lsp_framing)
targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=("${TARGETS[@]}")

# Bounds that make a hang or runaway memory a failure rather than a slow run
# (FUZZ_TIMEOUT: seconds per input; raise it on a machine starved of CPU).
LIMITS=(-timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb=2048 -malloc_limit_mb=2048)
max_len() { case "$1" in rule_loader) echo 16384 ;; *) echo 8192 ;; esac; }

CARGO_FUZZ_VERSION=0.13.2
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz $CARGO_FUZZ_VERSION"
  cargo install --locked cargo-fuzz --version "$CARGO_FUZZ_VERSION" || exit 1
fi
# The same flags for build and run, so `run` finds everything built.
FUZZ_FLAGS=(--sanitizer none --debug-assertions)

if command -v python3 >/dev/null; then
  python3 seed.py "$root" "$fuzz_dir/corpus" || exit 1
else
  echo "python3 not found: corpora start without seeds"
fi

echo "building fuzz targets"
cargo fuzz build "${FUZZ_FLAGS[@]}" || { echo "fuzz: 0 passed, ${#targets[@]} failed"; exit 1; }

log_dir="$(mktemp -d)"
trap 'rm -rf "$log_dir"' EXIT
passed=0
failed=0
total_execs=0
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t"
  log="$log_dir/$t.log"
  start=$SECONDS
  cargo fuzz run "${FUZZ_FLAGS[@]}" "$t" "corpus/$t" -- \
    -max_total_time="$seconds" -max_len="$(max_len "$t")" "${LIMITS[@]}" \
    -print_final_stats=1 >"$log" 2>&1
  status=$?
  execs=$(grep -oE 'stat::number_of_executed_units: [0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
  execs=${execs:-0}
  total_execs=$((total_execs + execs))
  corpus=$(find "corpus/$t" -type f | wc -l)
  if [[ $status -eq 0 ]]; then
    passed=$((passed + 1))
    echo "$t: ok, $execs execs in $((SECONDS - start))s, corpus $corpus"
  else
    failed=$((failed + 1))
    echo "$t: FAILED (exit $status) after $execs execs"
    grep -E 'ERROR: libFuzzer|panicked at|SUMMARY|Test unit written to|==[0-9]+== ERROR' "$log" | head -20
    tail -40 "$log"
  fi
done
echo "fuzz: $total_execs execs in total"
echo "fuzz: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
