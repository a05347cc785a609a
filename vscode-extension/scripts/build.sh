#!/usr/bin/env bash
# Builds the Vigil VS Code extension from a clean checkout, offline apart from the npm
# registry: install the locked dependencies, type-check, lint, unit-test, bundle, and
# package `vigil.vsix` for linux-x64 with the server binary inside.
#
#   scripts/build.sh [path/to/vigil]      (default: ../target/release/vigil)
#
# Set VIGIL_SKIP_INSTALL=1 to reuse an existing node_modules.
set -euo pipefail
cd "$(dirname "$0")/.."

server_bin="${1:-../target/release/vigil}"
if [[ ! -x "$server_bin" ]]; then
  echo "build.sh: server binary '$server_bin' not found; run 'cargo build --release' first" >&2
  exit 1
fi

step() {
  local name="$1"; shift
  local start=$SECONDS
  echo "==> $name"
  "$@"
  echo "    $name: $((SECONDS - start))s"
}

if [[ "${VIGIL_SKIP_INSTALL:-}" != 1 ]]; then
  step "npm ci" npm ci --no-audit --no-fund
fi
step "type check (tsc --noEmit)" npm run --silent typecheck
step "lint (eslint)" npm run --silent lint
step "unit tests (node --test)" npm run --silent test
step "bundle (esbuild)" npm run --silent bundle

rm -rf server
mkdir -p server
# The release profile keeps line tables for backtraces; the shipped copy is stripped
# (about a third of the size).
if command -v strip >/dev/null; then
  strip -o server/vigil "$server_bin"
else
  cp "$server_bin" server/vigil
fi
chmod 755 server/vigil
# serverPath.ts runs the bundled binary only on the platform recorded here.
echo "linux-x64" > server/platform
# The repository README shows screenshots by relative path, which vsce rejects without
# a repository URL; the packaged README is the same text without the images.
grep -v '^!\[' README.md > dist/README.md
step "package (vsce)" npm run --silent package
ls -l vigil.vsix
