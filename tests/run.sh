#!/usr/bin/env bash
# Runs Vigil's whole test suite, installing what it needs on a fresh Debian machine:
#
#   1. Rust: unit tests, rule examples, Go fixes compiled, CLI and LSP integration tests
#      (`cargo test`);
#   2. a second LSP client: pytest-lsp (tests/pytest_lsp);
#   3. Neovim end-to-end, on 0.7.2 (push diagnostics, UTF-16) and 0.11 (pull, UTF-8);
#   4. Emacs (Eglot) end-to-end;
#   5. the VS Code extension: type check, lint, unit tests, bundle, package the .vsix;
#   6. VS Code end-to-end: the .vsix in real VS Code (code-server) driven by Chromium;
#   7. a short fuzzing run: every libFuzzer target in server/fuzz for a few seconds.
#
# Usage: tests/run.sh [--quick]      --quick runs only step 1.
# Tool caches (Neovim 0.11 venv, code-server, pytest venv) go to $VIGIL_CACHE
# (default ~/.cache/vigil-tests), so a second run installs nothing.
set -uo pipefail
export DEBIAN_FRONTEND=noninteractive
cd "$(dirname "$0")/.."
root="$PWD"
quick=0
[[ "${1:-}" == "--quick" ]] && quick=1
cache="${VIGIL_CACHE:-$HOME/.cache/vigil-tests}"
mkdir -p "$cache"
log_dir="$(mktemp -d)"
trap 'rm -rf "$log_dir"' EXIT

passed=0
failed=0
failed_suites=()

# Runs one suite, streams its output, and adds its test counts to the totals.
suite() {
  local name="$1"; shift
  local log="$log_dir/$name.log" start=$SECONDS status=0
  echo
  echo "=== $name"
  "$@" 2>&1 | tee "$log" || status=$?
  local p=0 f=0
  # cargo test: "test result: ok. N passed; M failed"; others: "N passed, M failed".
  while read -r n m; do p=$((p + n)); f=$((f + m)); done < <(
    grep -oE 'test result: [a-zA-Z]+\. [0-9]+ passed; [0-9]+ failed' "$log" | awk '{print $4, $6}'
    grep -vE 'test result:' "$log" | grep -oE '^[a-z0-9 :-]*[0-9]+ passed, [0-9]+ failed' | grep -oE '[0-9]+ passed, [0-9]+ failed' | awk '{print $1, $3}'
    # pytest: "=== 2 passed in 1.2s ===" (or without the rules under -q), "1 failed, 2 passed".
    grep -oE '^=* ?[0-9]+ passed in ' "$log" | grep -oE '[0-9]+' | awk '{print $1, 0}'
    grep -oE '^=* ?[0-9]+ failed, [0-9]+ passed' "$log" | grep -oE '[0-9]+' | paste - - | awk '{print $2, $1}'
  )
  passed=$((passed + p)); failed=$((failed + f))
  if [[ $status -ne 0 ]]; then
    failed_suites+=("$name")
    # A suite that failed without reporting a failed test still counts as one failure.
    [[ $f -eq 0 ]] && failed=$((failed + 1))
    echo "=== $name: FAILED (exit $status, $((SECONDS - start))s)"
  else
    echo "=== $name: ok ($((SECONDS - start))s)"
  fi
}

suite setup bash tests/setup.sh
suite cargo-test cargo test --locked
bin="$root/target/debug/vigil"

if [[ $quick -eq 0 ]]; then
  pytest_venv() {
    if [[ ! -x "$cache/pytest-lsp/bin/pytest" ]]; then
      python3 -m venv "$cache/pytest-lsp" && "$cache/pytest-lsp/bin/pip" install -q --disable-pip-version-check "pytest-lsp>=1,<2" "pytest>=8,<9" || return 1
    fi
    rm -rf tests/pytest_lsp/.venv && ln -s "$cache/pytest-lsp" tests/pytest_lsp/.venv
    VIGIL_BIN="$bin" tests/pytest_lsp/run.sh
  }
  suite pytest-lsp pytest_venv
  suite neovim env VIGIL_NVIM_VENV="$cache/nvim-venv" editors/neovim/test/run.sh "$bin"
  suite emacs editors/emacs/test/run.sh "$bin"
  suite vscode-extension bash -c "cd vscode-extension && scripts/build.sh '$bin'"
  suite vscode-e2e-setup env VIGIL_E2E_HOME="$cache/vscode-e2e" vscode-extension/e2e/setup.sh
  suite vscode-e2e env VIGIL_E2E_HOME="$cache/vscode-e2e" vscode-extension/e2e/run.sh vscode-extension/vigil.vsix
  # Ends with "fuzz: N passed, M failed", N = targets that ran clean.
  suite fuzz nice -n 10 server/fuzz/run.sh "${VIGIL_FUZZ_SECONDS:-10}"
fi

echo
if ((${#failed_suites[@]})); then
  echo "failed suites: ${failed_suites[*]}"
fi
echo "total: $passed passed, $failed failed"
[[ ${#failed_suites[@]} -eq 0 ]]
