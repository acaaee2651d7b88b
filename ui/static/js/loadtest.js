// Load test: starts a bounded run of the gateway's own load generator
// (POST /v1/loadtest), follows it (GET) and can stop it (DELETE).

import { call } from "./api.js";
import { el, num, ms } from "./format.js";

const $ = (id) => document.getElementById(id);
const MAX_SECONDS = 60;

export function initLoadTest() {
  const form = $("loadtest-form");
  let timer = null;
  let duration = 0;

  const mode = () => form.querySelector('input[name="lt-mode"]:checked').value;
  const syncMode = () => {
    $("lt-conc-field").hidden = mode() !== "closed";
    $("lt-rate-field").hidden = mode() !== "open";
  };
  for (const r of form.querySelectorAll('input[name="lt-mode"]')) r.addEventListener("change", syncMode);
  window.addEventListener("infergate:models", () => syncModels());
  syncMode();

  const fail = (msg, field) => {
    $("lt-error").textContent = msg;
    if (field) { field.setAttribute("aria-invalid", "true"); field.focus(); }
  };

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    $("lt-error").textContent = "";
    for (const f of form.querySelectorAll("[aria-invalid]")) f.removeAttribute("aria-invalid");
    const secs = Number($("lt-duration").value);
    if (!Number.isInteger(secs) || secs < 1 || secs > MAX_SECONDS) return fail(`Seconds must be a whole number from 1 to ${MAX_SECONDS}.`, $("lt-duration"));
    const distinct = Number($("lt-distinct").value);
    if (!(distinct >= 1 && distinct <= 100)) return fail("New texts % must be from 1 to 100.", $("lt-distinct"));
    const body = {
      target: $("lt-target").value,
      model: $("lt-model").value || undefined,
      mode: mode(),
      duration_s: secs,
      workload: $("lt-workload").value,
      distinct: distinct / 100,
    };
    if (body.mode === "closed") {
      const c = Number($("lt-concurrency").value);
      if (!Number.isInteger(c) || c < 1 || c > 512) return fail("Concurrency must be a whole number from 1 to 512.", $("lt-concurrency"));
      body.concurrency = c;
    } else {
      const r = Number($("lt-rate").value);
      if (!(r > 0) || r > 100000) return fail("Requests per second must be a number above 0 and at most 100000.", $("lt-rate"));
      body.rate = r;
    }
    $("lt-start").disabled = true;
    try {
      await call("/v1/loadtest", { body });
      duration = secs;
      running(true);
      poll();
    } catch (err) {
      fail(`The load test did not start. ${err.message}`);
      $("lt-start").disabled = false;
    }
  });

  $("lt-stop").addEventListener("click", async () => {
    try {
      await call("/v1/loadtest", { method: "DELETE" });
    } catch (err) {
      if (err.status !== 404) fail(`Could not stop the load test. ${err.message}`);
    }
    poll();
  });

  // The model list is the playground's, which loads it from /v1/models.
  function syncModels() {
    const sel = $("lt-model"), from = $("model");
    const names = [...from.options].map((o) => o.value);
    if (names.join("\n") === [...sel.options].map((o) => o.value).join("\n")) return;
    const was = sel.value || from.value;
    sel.replaceChildren(...[...from.options].map((o) => o.cloneNode(true)));
    if (names.includes(was)) sel.value = was;
  }

  function running(on) {
    $("lt-start").disabled = on;
    $("lt-stop").disabled = !on;
    $("lt-progress").hidden = !on;
  }

  async function poll() {
    clearTimeout(timer);
    timer = null;
    let run = null;
    try {
      const { data } = await call("/v1/loadtest", { timeoutMs: 4000 });
      run = data && (data.run || data);
    } catch (err) {
      if (err.status !== 404) $("lt-error").textContent = `Load test status unavailable: ${err.message}`;
    }
    if (run && run.id) render(run);
    const on = !!(run && run.running);
    running(on);
    if (on) timer = setTimeout(poll, 1000);
  }

  function render(r) {
    const total = r.duration_s || duration || MAX_SECONDS;
    const p = $("lt-progress");
    p.max = total;
    p.value = Math.min(total, r.elapsed_s || 0);
    const item = (k, v) => el("div", {}, el("dt", {}, k), el("dd", { "data-k": k }, v));
    $("lt-stats").replaceChildren(...[
      item("state", r.running ? ({ warmup: "warming up", draining: "draining" }[r.phase] || "running") : "finished"),
      item("elapsed", `${num(r.elapsed_s, 1)} s`),
      item("sent", num(r.sent, 0)),
      item("ok", num(r.ok, 0)),
      item("errors", num(r.errors, 0)),
      item("achieved", `${num(r.rps, 1)} req/s`),
      item("p50", ms(r.p50_ms)),
      item("p95", ms(r.p95_ms)),
      item("p99", ms(r.p99_ms)),
      r.error_kinds && Object.keys(r.error_kinds).length
        ? item("error kinds", Object.entries(r.error_kinds).map(([k, n]) => `${k} ${n}`).join(", "))
        : null,
    ].filter(Boolean));
  }

  return {
    visible(on) {
      if (on && !timer) poll();
    },
  };
}
