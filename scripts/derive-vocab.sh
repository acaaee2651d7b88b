#!/usr/bin/env bash
# Derives the reference model's vocab.txt (bert-base-uncased) from the
# all-MiniLM-L6-v2 tokenizer.json shipped in a Go module (Apache-2.0).
# Usage: scripts/derive-vocab.sh [OUT]   (default deploy/model_repository/langid/vocab.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-deploy/model_repository/langid/vocab.txt}
dir=$(go mod download -json github.com/clems4ever/all-minilm-l6-v2-go | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -n "$dir" ] || { echo "derive-vocab: module not found" >&2; exit 1; }
go run ./tokenizer/internal/derivevocab "$dir/all_minilm_l6_v2/tokenizer.json" > "$out.tmp"
mv "$out.tmp" "$out"
