#!/usr/bin/env bash
# Regenerates tokenizer/tables_hf.go: where HF tokenizers' Unicode behaviour
# (older category and normalisation tables, newer lowercase) differs from
# Go's, measured on the real library for every code point.
set -euo pipefail
cd "$(dirname "$0")"
./fetch-hf.sh
tsv=$(mktemp)
trap 'rm -f "$tsv"' EXIT
node hf-unicode.js > "$tsv"
cd ../..
go run ./tokenizer/internal/gentables "$tsv" > tokenizer/tables_hf.go.tmp
mv tokenizer/tables_hf.go.tmp tokenizer/tables_hf.go
