// Live: while shown, polls GET /v1/stats once a second and keeps the last
// 15 minutes in the page, drawn as line charts. The load-test form lives on
// the same panel so its effect shows in the charts while it runs.

import { call } from "./api.js";
import { LineChart } from "./chart.js";
import { num, pct, ms } from "./format.js";
import { merge } from "./stats.js";
import { initLoadTest } from "./loadtest.js";

const $ = (id) => document.getElementById(id);
const KEEP_MS = 15 * 60 * 1000;
const EVERY_MS = 1000;

export function initLive() {
  const charts = [
    { key: ["rps"], chart: new LineChart({ id: "chart-rps", title: "Requests per second", series: [{ name: "req/s", color: "--series-1" }], format: (v) => num(v, 1) }) },
    { key: ["p50", "p95", "p99"], chart: new LineChart({ id: "chart-latency", title: "Latency", series: [{ name: "p50", color: "--series-1" }, { name: "p95", color: "--series-3" }, { name: "p99", color: "--series-2" }], format: (v, axis) => (axis ? num(v, 1) : ms(v)) }) },
    { key: ["batchRows"], chart: new LineChart({ id: "chart-batch", title: "Batch rows (mean)", series: [{ name: "rows", color: "--series-1" }], format: (v) => num(v, 1) }) },
    { key: ["padding"], chart: new LineChart({ id: "chart-padding", title: "Padding ratio", series: [{ name: "padding", color: "--series-3" }], max: 1, format: (v) => pct(v, 0) }) },
    { key: ["cacheHit"], chart: new LineChart({ id: "chart-cache", title: "Cache hit ratio", series: [{ name: "hits", color: "--series-1" }], max: 1, format: (v) => pct(v, 0) }) },
    { key: ["errors"], chart: new LineChart({ id: "chart-errors", title: "Error ratio", series: [{ name: "errors", color: "--series-2" }], max: 1, format: (v) => pct(v, 0) }) },
    { key: ["queue"], chart: new LineChart({ id: "chart-queue", title: "Queue depth", series: [{ name: "queued", color: "--series-2" }], format: (v, axis) => num(v, axis ? 1 : 0) }) },
  ];
  $("charts").append(...charts.map((c) => c.chart.root));

  const history = new Map(); // ms -> point
  let points = [];
  let timer = null;
  let shown = false;
  let failures = 0;
  let lastT = 0; // newest second we have, in ms
  const serverWindow = 299; // the most seconds of history GET /v1/stats serves

  const redraw = () => {
    const win = Number($("window").value);
    for (const c of charts) c.chart.set(points.map((p) => ({ t: p.t, v: c.key.map((k) => p[k]) })), win);
  };
  $("window").addEventListener("change", redraw);

  // Polls run only while the panel is shown and the page visible; on coming
  // back, the next one asks for the seconds missed, up to the gateway's window.
  let inflight = false;
  async function poll() {
    clearTimeout(timer);
    timer = null;
    if (inflight || !shown || document.hidden) return;
    inflight = true;
    // The first call loads the gateway's whole window; later ones ask only
    // for the seconds since the newest point we hold.
    const need = lastT ? Math.ceil((Date.now() - lastT) / 1000) + 2 : serverWindow;
    const span = Math.max(5, Math.min(serverWindow, need));
    try {
      const { data } = await call(`/v1/stats?window=${span}&step=1`, { timeoutMs: 4000 });
      points = merge(history, data, KEEP_MS);
      if (points.length) lastT = points[points.length - 1].t;
      failures = 0;
      $("live-status").textContent = points.length ? "" : "The gateway sent no numbers yet.";
      redraw();
    } catch (err) {
      failures++;
      $("live-status").textContent = `Live numbers unavailable: ${err.message}`;
    } finally {
      inflight = false;
    }
    schedule();
  }

  function schedule() {
    if (timer || inflight || !shown || document.hidden) return;
    timer = setTimeout(poll, failures ? Math.min(10000, EVERY_MS * 2 ** failures) : EVERY_MS);
  }
  document.addEventListener("visibilitychange", () => {
    if (document.hidden) { clearTimeout(timer); timer = null; } else poll();
  });
  window.addEventListener("infergate:key", () => { failures = 0; poll(); });

  const loadTest = initLoadTest();
  return {
    visible(on) {
      shown = on;
      loadTest.visible(on);
      if (on) { redraw(); poll(); } else { clearTimeout(timer); timer = null; }
    },
  };
}
