#!/bin/sh
# Runs the pytest-lsp tests against the debug build of `vigil` (built first).
# Set VIGIL_BIN to test another binary.
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
if [ -z "${VIGIL_BIN:-}" ]; then
    (cd "$root" && cargo build --quiet --bin vigil)
    VIGIL_BIN="$root/target/debug/vigil"
fi
export VIGIL_BIN
exec "$here/.venv/bin/pytest" -q "$here" "$@"
