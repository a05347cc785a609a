#!/bin/sh
# Fetches the real code the latency benchmark (benches/latency.rs) edits, into
# $VIGIL_BENCH_CORPUS (default: ~/.cache/vigil-bench), outside the repository:
#   - lodash 4.17.21 from npm: lodash.js (17k lines) and its 600 module files
#   - the Go 1.19 standard library sources from Debian: net/http/h2_bundle.go (11k lines)
# Usage: server/benches/fetch-corpus.sh
set -eu
dir="${VIGIL_BENCH_CORPUS:-$HOME/.cache/vigil-bench}"
mkdir -p "$dir"
cd "$dir"
if [ ! -f package/lodash.js ]; then
    npm pack lodash@4.17.21
    tar xzf lodash-4.17.21.tgz
fi
if [ ! -d go/usr/share/go-1.19/src ]; then
    apt-get download golang-1.19-src
    dpkg -x golang-1.19-src_*.deb go
fi
echo "corpus ready in $dir"
