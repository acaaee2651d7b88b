// readStats turns one GET /v1/stats answer into the numbers the charts draw:
// {rps, p50, p95, p99 (ms), batchRows, padding (0..1), cacheHit (0..1), queue}.
// When the gateway reports only running totals, rates are derived from the
// previous answer (prev: {data, t}).

export function readStats(d, prev, now) {
  if (!d || typeof d !== "object") return {};
  const lat = d.latency_ms || d.latency || {};
  const batch = d.batch || {};
  const cache = d.cache || {};
  const out = {
    rps: pick(d.rps, d.requests_per_second, d.requests && d.requests.rps),
    p50: pick(lat.p50, lat.p50_ms, d.p50_ms),
    p95: pick(lat.p95, lat.p95_ms, d.p95_ms),
    p99: pick(lat.p99, lat.p99_ms, d.p99_ms),
    batchRows: pick(d.batch_rows, batch.rows, batch.rows_mean, batch.mean_rows),
    padding: pick(d.padding_ratio, batch.padding_ratio),
    cacheHit: pick(d.cache_hit_ratio, cache.hit_ratio),
    queue: pick(d.queue_depth, d.queue),
  };
  if (out.queue != null && typeof out.queue === "object") out.queue = Object.values(out.queue).reduce((a, b) => a + (Number(b) || 0), 0);
  if (out.rps == null && prev && typeof d.requests_total === "number" && typeof prev.data.requests_total === "number") {
    const dt = (now - prev.t) / 1000;
    if (dt > 0) out.rps = Math.max(0, (d.requests_total - prev.data.requests_total) / dt);
  }
  return out;
}

function pick(...vs) {
  for (const v of vs) if (v != null && (typeof v !== "number" || isFinite(v))) return v;
  return null;
}
