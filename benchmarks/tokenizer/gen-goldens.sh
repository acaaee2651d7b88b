#!/usr/bin/env bash
# Regenerates the parity corpus and HF's golden outputs for it.
# Needs node and npm (fetches HF tokenizers 0.23.2 with npm pack) and Go.
set -euo pipefail
cd "$(dirname "$0")"
./fetch-hf.sh
dir=$(go mod download -json github.com/clems4ever/all-minilm-l6-v2-go | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
node gen-corpus.js > corpus.jsonl
node gen-goldens.js "$dir/all_minilm_l6_v2/tokenizer.json" ../../deploy/model_repository/langid/vocab.txt < corpus.jsonl > goldens.jsonl
wc -l corpus.jsonl goldens.jsonl
