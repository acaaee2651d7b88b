// Calls to the gateway's HTTP API. Every failure becomes an ApiError whose
// message is meant for people: the gateway's own message from its error
// envelope {"error": {"message", "type", "code"}}, prefixed by what the status
// means for the user.

import { keys } from "./keys.js";

/** ApiError is a failed call; message is plain words, status the HTTP code (0: no answer). */
export class ApiError extends Error {
  constructor(message, status, type) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.type = type || "";
  }
}

const statusWords = {
  400: "The request was not accepted",
  401: "The gateway needs a valid API key (enter it at the top of the page)",
  403: "This key may not do that",
  404: "Not found",
  409: "Already busy",
  413: "Too much input at once",
  422: "The text could not be tokenized",
  429: "The gateway is busy",
  503: "No model replica can answer right now",
  504: "The gateway ran out of time",
};

/**
 * call sends a JSON request and returns {data, headers, status}.
 * opts: {method, body, admin (use the admin key), signal, timeoutMs}.
 */
export async function call(path, opts = {}) {
  const headers = { Accept: "application/json" };
  const key = opts.admin ? keys.admin() : keys.api();
  if (key) headers.Authorization = `Bearer ${key}`;
  let body;
  if (opts.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(opts.body);
  }
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), opts.timeoutMs || 30000);
  if (opts.signal) opts.signal.addEventListener("abort", () => ctl.abort(), { once: true });
  let res;
  try {
    res = await fetch(path, { method: opts.method || (body ? "POST" : "GET"), headers, body, signal: ctl.signal });
  } catch (err) {
    clearTimeout(timer);
    if (ctl.signal.aborted && !(opts.signal && opts.signal.aborted)) {
      throw new ApiError("The gateway did not answer in time.", 0, "timeout");
    }
    throw new ApiError("Could not reach the gateway. Is it running, and is this page served by it?", 0, "network");
  }
  const text = await res.text().finally(() => clearTimeout(timer));
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!res.ok) throw errorFrom(res, data, text, opts.admin);
  return { data, headers: res.headers, status: res.status };
}

function errorFrom(res, data, text, admin) {
  const env = data && data.error;
  let detail = "";
  let type = "";
  if (env && typeof env === "object") {
    detail = env.message || "";
    type = env.type || "";
  } else if (typeof env === "string") {
    detail = env;
  } else if (text && text.length < 300 && !text.trimStart().startsWith("<")) {
    detail = text.trim();
  }
  let lead = statusWords[res.status] || (res.status >= 500 ? "The gateway failed" : `Request failed (${res.status})`);
  if (admin && (res.status === 401 || res.status === 403)) lead = "The admin key was not accepted";
  const retry = res.headers.get("Retry-After");
  if (retry && (res.status === 429 || res.status === 503)) lead += `; try again in ${retry} s`;
  const msg = detail ? `${lead}: ${sentence(detail)}` : `${lead}.`;
  return new ApiError(msg, res.status, type);
}

function sentence(s) {
  s = String(s).trim();
  return /[.!?]$/.test(s) ? s : s + ".";
}

/**
 * durationMs reads a timing header as milliseconds. Bare numbers are
 * milliseconds (as TEI writes them); values with a unit ("1.2ms", "350µs",
 * "0.002s") are converted. Returns null when the header is absent or unreadable.
 */
export function durationMs(v) {
  if (v == null || v === "") return null;
  const m = /^\s*([0-9]*\.?[0-9]+(?:e[-+]?\d+)?)\s*(ns|us|µs|μs|ms|s)?\s*$/i.exec(v);
  if (!m) return null;
  const n = parseFloat(m[1]);
  switch ((m[2] || "ms").toLowerCase()) {
    case "ns": return n / 1e6;
    case "us": case "µs": case "μs": return n / 1e3;
    case "s": return n * 1e3;
    default: return n;
  }
}

/** timings extracts the per-request timing headers the gateway writes. */
export function timings(headers) {
  return {
    tokenize: durationMs(headers.get("x-tokenization-time")),
    queue: durationMs(headers.get("x-queue-time")),
    inference: durationMs(headers.get("x-inference-time")),
    total: durationMs(headers.get("x-total-time")),
    cache: headers.get("x-cache"),
    batch: headers.get("x-batch-size"),
    requestId: headers.get("x-request-id"),
  };
}
