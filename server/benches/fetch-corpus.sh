#!/bin/sh
# Fetches real code for the scan benchmark into a cache directory (default:
# target/bench-corpus) and prints the directories to pass to it:
#
#   server/benches/fetch-corpus.sh            # or: ... /some/cache/dir
#   cargo bench --bench scan -- target/bench-corpus/npm
#   cargo bench --bench scan -- target/bench-corpus/go/usr/share/go-1.19/src
#
# npm packages come from the npm registry (`npm pack`: the published tarball, no
# dependencies, no install scripts run); Go sources from Debian's golang-1.19-src
# package (`apt-get download` + `dpkg -x`: unpacked, never installed).
# Re-running skips what is already there.
set -eu

CACHE=${1:-target/bench-corpus}
NPM_PACKAGES="lodash@4.17.21 jquery@3.7.1 express@4.21.2 react-dom@18.3.1 rxjs@7.8.1 @typescript-eslint/eslint-plugin@8.18.0 @typescript-eslint/typescript-estree@8.18.0"

mkdir -p "$CACHE/npm" "$CACHE/debs"
CACHE=$(cd "$CACHE" && pwd)

for spec in $NPM_PACKAGES; do
    name=$(echo "${spec%@*}" | tr '/@' '__')
    dest="$CACHE/npm/$name"
    if [ -d "$dest" ]; then
        continue
    fi
    echo "fetching $spec" >&2
    tarball=$(cd "$CACHE/npm" && npm pack --silent "$spec" | tail -n 1)
    mkdir -p "$dest"
    tar -xzf "$CACHE/npm/$tarball" -C "$dest" --strip-components=1
    rm -f "$CACHE/npm/$tarball"
done

if [ ! -d "$CACHE/go/usr/share/go-1.19/src" ]; then
    echo "fetching golang-1.19-src" >&2
    (cd "$CACHE/debs" && apt-get download golang-1.19-src)
    mkdir -p "$CACHE/go"
    dpkg -x "$CACHE"/debs/golang-1.19-src_*.deb "$CACHE/go"
fi

echo "$CACHE/npm"
echo "$CACHE/go/usr/share/go-1.19/src"
