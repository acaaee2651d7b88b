#!/usr/bin/env bash
# Checks a running gateway end to end: alive, ready, classifies, embeds, and
# exports its metrics. For a gateway started from these deploy files:
#
#   deploy/smoke.sh                          # docker compose: localhost:8080
#   deploy/smoke.sh http://localhost:8090    # the triton profile's gateway
#   kubectl port-forward svc/infergate 8080 & deploy/smoke.sh
#
# Exits non-zero with the failing step on the first problem.
set -euo pipefail
base=${1:-http://localhost:8080}

fail() {
	echo "smoke: $*" >&2
	exit 1
}
step() { echo "smoke: $*"; }

# Ready can take a moment after start: the model loads, replicas are probed.
for i in $(seq 1 30); do
	if curl -fsS -o /dev/null "$base/readyz"; then
		break
	fi
	[ "$i" = 30 ] && fail "GET /readyz: not ready after 30s"
	sleep 1
done
step "ready"

curl -fsS -o /dev/null "$base/healthz" || fail "GET /healthz"

out=$(curl -fsS "$base/v1/classify" -H 'content-type: application/json' \
	-d '{"inputs": ["Bonjour tout le monde, comment allez-vous ?"], "top_k": 3}') ||
	fail "POST /v1/classify"
grep -q '"label"' <<<"$out" || fail "POST /v1/classify: no label in $out"
step "classify: $out"

out=$(curl -fsS "$base/v1/embeddings" -H 'content-type: application/json' \
	-d '{"input": "hello world", "model": "langid"}') || fail "POST /v1/embeddings"
grep -q '"embedding"' <<<"$out" || fail "POST /v1/embeddings: no embedding"
step "embeddings: ok"

# The same text again: served by a cache tier (x-cache: hit).
hdr=$(curl -fsS -o /dev/null -D - "$base/v1/classify" -H 'content-type: application/json' \
	-d '{"inputs": ["Bonjour tout le monde, comment allez-vous ?"], "top_k": 3}') || fail "POST /v1/classify (again)"
grep -qi '^x-cache: hit' <<<"$hdr" || fail "second identical request was not a cache hit"
step "cache: hit"

metrics=$(curl -fsS "$base/metrics") || fail "GET /metrics"
for m in infergate_requests_total infergate_request_duration_seconds_bucket infergate_batch_rows_bucket \
	infergate_cache_hits_total infergate_backend_requests_total infergate_queue_depth; do
	grep -q "^$m{" <<<"$metrics" || fail "GET /metrics: no $m"
done
step "metrics: ok"
