#!/usr/bin/env bash
# A wider differential run than the committed goldens: N random strings
# (default 20000) over the hard Unicode ranges, HF tokenizers against this
# package, every mode of the parity test. Usage: parity-random.sh [N] [SEED]
set -euo pipefail
cd "$(dirname "$0")"
./fetch-hf.sh
n=${1:-20000}
seed=${2:-$RANDOM}
dir=$(go mod download -json github.com/clems4ever/all-minilm-l6-v2-go | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
node gen-corpus.js --random "$n" --seed "$seed" > "$tmp/corpus.jsonl"
node gen-goldens.js "$dir/all_minilm_l6_v2/tokenizer.json" ../../deploy/model_repository/langid/vocab.txt < "$tmp/corpus.jsonl" > "$tmp/goldens.jsonl"
echo "parity-random: $n strings, seed $seed"
cd ../..
INFERGATE_TOKENIZER_GOLDENS="$tmp" go test -count=1 -run '^TestParityWithHF$' ./tokenizer
