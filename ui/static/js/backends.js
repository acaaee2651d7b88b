// Backends: each model's replicas (type, health, breaker, in-flight,
// latency), refreshed every two seconds while the panel is shown, and the
// reload-config button that needs the admin key.

import { call } from "./api.js";
import { fetchModels } from "./models.js";
import { keys, bindKeyInput } from "./keys.js";
import { el, ms, num } from "./format.js";

const $ = (id) => document.getElementById(id);
const EVERY_MS = 2000;

export function initBackends() {
  let timer = null;
  let shown = false;

  bindKeyInput($("adminkey"), keys.admin, keys.setAdmin);
  $("reload-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const out = $("reload-result");
    if (!keys.admin()) {
      out.textContent = "Enter the admin key first: reloading changes the running gateway.";
      $("adminkey").focus();
      return;
    }
    $("reload-btn").disabled = true;
    out.textContent = "Reloading…";
    try {
      const { data } = await call("/admin/reload", { method: "POST", admin: true, timeoutMs: 60000 });
      const names = data && Array.isArray(data.models) ? data.models : [];
      out.textContent = `Configuration reloaded${names.length ? `; serving ${names.join(", ")}` : ""}.`;
      refresh();
    } catch (err) {
      out.textContent = `Reload failed. ${err.message}`;
    } finally {
      $("reload-btn").disabled = false;
    }
  });

  async function refresh() {
    clearTimeout(timer);
    timer = null;
    try {
      const models = await fetchModels();
      render(models);
      $("backends-status").textContent = `Updated ${new Date().toLocaleTimeString()}`;
    } catch (err) {
      $("backends-status").textContent = `Could not read the backends: ${err.message}`;
    }
    if (shown && !document.hidden) timer = setTimeout(refresh, EVERY_MS);
  }

  window.addEventListener("infergate:key", () => { if (shown) refresh(); });
  document.addEventListener("visibilitychange", () => { if (shown && !document.hidden && !timer) refresh(); });

  return {
    visible(on) {
      shown = on;
      if (on && !timer) refresh();
      if (!on) { clearTimeout(timer); timer = null; }
    },
  };
}

function render(models) {
  const root = $("models");
  if (!models.length) {
    root.replaceChildren(el("p", { class: "card" }, "The gateway serves no models."));
    return;
  }
  root.replaceChildren(...models.map((m) => el("section", { class: "card", "aria-label": `model ${m.name}` },
    el("h3", {}, m.name, " ", badge(m.ready, "ready", "not ready")),
    el("p", { class: "hint" }, [
      m.version && `version ${m.version}`,
      m.maxSeqLen != null && `up to ${m.maxSeqLen} tokens`,
      m.labels && `${m.labels.length} labels`,
      m.queueDepth != null && `${m.queueDepth} queued`,
    ].filter(Boolean).join(" · ")),
    el("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": `${m.name} replicas` },
      el("table", {},
        el("thead", {}, el("tr", {},
          el("th", { scope: "col" }, "Replica"), el("th", { scope: "col" }, "Type"), el("th", { scope: "col" }, "Health"),
          el("th", { scope: "col" }, "Breaker"), el("th", { scope: "col", class: "num" }, "In flight"),
          el("th", { scope: "col", class: "num" }, "Latency"), el("th", { scope: "col", class: "num" }, "Requests"),
          el("th", { scope: "col", class: "num" }, "Failures"))),
        el("tbody", {}, m.replicas.map((r) => el("tr", { "data-replica": r.name, "data-breaker": r.breaker },
          el("th", { scope: "row" }, r.name),
          el("td", {}, r.type || "–"),
          el("td", {}, badge(r.ready, "healthy", "unhealthy")),
          el("td", {}, breaker(r.breaker)),
          el("td", { class: "num" }, num(r.inFlight, 0)),
          el("td", { class: "num" }, ms(r.latencyMs)),
          el("td", { class: "num" }, num(r.requests, 0)),
          el("td", { class: "num" }, num(r.failures, 0))))))))));
}

function badge(ok, yes, no) {
  if (ok == null) return el("span", { class: "badge" }, "unknown");
  return el("span", { class: `badge ${ok ? "ok" : "bad"}` }, ok ? yes : no);
}

function breaker(state) {
  const cls = state === "closed" ? "ok" : state === "open" ? "bad" : state ? "warn" : "";
  return el("span", { class: `badge breaker ${cls}` }, state || "unknown");
}
