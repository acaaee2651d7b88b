#!/usr/bin/env bash
# Every test: vet, the race-enabled suite, then bounded fuzzing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
go vet ./...
go test -race -count=1 -timeout 30m ./...
(cd deploy/training && /usr/bin/python3 -m unittest test_training)
go test -run '^$' -fuzz '^FuzzEncode$' -fuzztime 30s -fuzzminimizetime 5s ./tokenizer
go test -run '^$' -fuzz '^FuzzInputs$' -fuzztime 15s ./proxy
