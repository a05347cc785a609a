#!/bin/sh
# Creates tests/pytest_lsp/.venv with pytest-lsp, the second, independent LSP client
# used to test `vigil serve` (the venv is not committed).
# Usage: tests/pytest_lsp/setup-venv.sh && tests/pytest_lsp/run.sh
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
python3 -m venv "$here/.venv"
"$here/.venv/bin/pip" install --quiet --disable-pip-version-check "pytest-lsp>=1,<2" "pytest>=8,<9"
echo "venv ready: $here/.venv"
