#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine (idempotent: it only
# installs what is missing). Needs root, or sudo, for apt-get.
#   - Go (Debian's golang-go): tests/go_fixes_compile.rs compiles every Go fix result.
#   - Neovim 0.7.2 (Debian) and 0.11 (PyPI, in a venv): the Neovim end-to-end tests
#     (editors/neovim/test/run.sh installs 0.11 itself).
#   - Node.js and npm: the VS Code extension's build and unit tests.
set -euo pipefail

if [[ $EUID -eq 0 ]]; then sudo=""; else sudo="sudo"; fi
missing=()
command -v go >/dev/null || missing+=(golang-go)
command -v nvim >/dev/null || missing+=(neovim)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
if ((${#missing[@]})); then
  echo "==> apt-get install ${missing[*]}"
  $sudo apt-get update -q >/dev/null
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
fi
