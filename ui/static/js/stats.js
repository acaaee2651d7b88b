// Reading GET /v1/stats. The gateway keeps the last minutes in one-second
// slots and answers {..latest summary, series: [point], step_s, window_s};
// a point is {t (unix s), rps, p50_ms, p95_ms, p99_ms, batch_rows,
// padding_ratio, cache_hit_ratio, queue_depth, error_ratio}, with null where nothing
// happened to compute a value from (the charts leave a gap there).

/** readPoint maps one stats point to the numbers the charts draw. */
export function readPoint(p) {
  return {
    t: p.t * 1000,
    rps: num(p.rps),
    p50: num(p.p50_ms),
    p95: num(p.p95_ms),
    p99: num(p.p99_ms),
    batchRows: num(p.batch_rows),
    padding: num(p.padding_ratio),
    cacheHit: num(p.cache_hit_ratio),
    queue: num(p.queue_depth),
    errors: num(p.error_ratio),
  };
}

/**
 * merge folds the series of one answer into history (a Map from time in ms
 * to point), replacing points it already had, and drops points older than
 * keepMs before the newest. It returns the points sorted by time.
 */
export function merge(history, data, keepMs) {
  const series = data && Array.isArray(data.series) ? data.series : [];
  for (const p of series) if (typeof p.t === "number") history.set(p.t * 1000, readPoint(p));
  let newest = 0;
  for (const t of history.keys()) newest = Math.max(newest, t);
  for (const t of [...history.keys()]) if (t < newest - keepMs) history.delete(t);
  return [...history.values()].sort((a, b) => a.t - b.t);
}

function num(v) {
  return typeof v === "number" && isFinite(v) ? v : null;
}
