#!/usr/bin/env bash
# Fetches HF tokenizers' Node binding (the reference implementation) with
# `npm pack` and unpacks it under node_modules/tokenizers; never `npm
# install`. The 0.23.2 package ships its native binaries inside it
# (tokenizers.linux-x64-gnu.node among them). Idempotent.
set -euo pipefail
cd "$(dirname "$0")"
version=0.23.2
dest=node_modules/tokenizers
if [ -f "$dest/package.json" ] && grep -q "\"version\": \"$version\"" "$dest/package.json"; then
	exit 0
fi
command -v npm >/dev/null || { echo "fetch-hf: npm is required (apt-get install npm)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "tokenizers@$version" >/dev/null)
rm -rf "$dest"
mkdir -p "$dest"
tar -xzf "$tmp/tokenizers-$version.tgz" -C "$dest" --strip-components=1
node -e "require('./$dest')" || { echo "fetch-hf: the native binding does not load on this machine" >&2; exit 1; }
