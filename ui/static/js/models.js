// GET /v1/models, read into one shape the panels share:
// [{name, ready, replicas: [{name, type, ready, breaker, inFlight, latencyMs, requests, failures}]}]

import { call, durationMs } from "./api.js";

export async function fetchModels(signal) {
  const { data } = await call("/v1/models", { signal, timeoutMs: 5000 });
  return readModels(data);
}

/** readModels accepts {models: [...]}, {data: [...]} (OpenAI style) or a bare list. */
export function readModels(data) {
  const list = Array.isArray(data) ? data : (data && (data.models || data.data)) || [];
  return list.map((m) => {
    const replicas = (m.replicas || m.backends || []).map(readReplica);
    return {
      name: m.name || m.id || "",
      ready: m.ready ?? (replicas.length ? replicas.some((r) => r.ready) : null),
      labels: m.labels || null,
      version: m.version || "",
      maxSeqLen: m.max_seq_len ?? null,
      queueDepth: m.queue_depth ?? null,
      replicas,
    };
  });
}

function readReplica(r) {
  let ready = r.ready ?? r.healthy ?? null;
  if (ready == null && typeof r.health === "string") ready = /^(ok|ready|healthy|up|serving)$/i.test(r.health);
  return {
    name: r.name || "",
    type: r.type || "",
    ready,
    breaker: String(r.breaker ?? r.breaker_state ?? r.state ?? "").toLowerCase(),
    inFlight: r.in_flight ?? r.inflight ?? r.inFlight ?? null,
    latencyMs: latency(r),
    requests: r.requests ?? null,
    failures: r.failures ?? null,
  };
}

function latency(r) {
  if (typeof r.latency_ewma_ns === "number") return r.latency_ewma_ns > 0 ? r.latency_ewma_ns / 1e6 : null;
  for (const k of ["latency_ms", "latency_ewma_ms", "ewma_ms"]) if (typeof r[k] === "number") return r[k];
  for (const k of ["latency_us", "latency_ewma_us"]) if (typeof r[k] === "number") return r[k] / 1e3;
  for (const k of ["latency", "latency_ewma"]) {
    if (typeof r[k] === "string") return durationMs(r[k]);
    if (typeof r[k] === "number") return r[k];
  }
  return null;
}
