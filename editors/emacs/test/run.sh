#!/usr/bin/env bash
# Runs the Eglot end-to-end test (e2e.el) in batch Emacs against the given vigil binary,
# installing Debian's emacs-nox and elpa-eglot first if they are missing (about 45 s).
#
#   editors/emacs/test/run.sh [path/to/vigil]     (default: target/release/vigil)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
bin="$(realpath "${1:-$repo/target/release/vigil}")"
if [[ ! -x "$bin" ]]; then
  echo "run.sh: vigil binary '$bin' not found; build it with 'cargo build --release'" >&2
  exit 2
fi
if ! command -v emacs >/dev/null || [[ ! -d /usr/share/emacs/site-lisp/elpa-src ]] || ! ls -d /usr/share/emacs/site-lisp/elpa-src/eglot-* >/dev/null 2>&1; then
  echo "==> apt-get install emacs-nox elpa-eglot"
  if [[ $EUID -eq 0 ]]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -q >/dev/null
  $sudo apt-get install -y -q emacs-nox elpa-eglot >/dev/null
fi
VIGIL_BIN="$bin" timeout 120 emacs --batch -l "$here/e2e.el" 2>&1 | grep -v '^Loading '
