// Entry point: tabs (keyboard operable, in the URL hash), the API key field,
// and the three panels.

import { keys, bindKeyInput } from "./keys.js";
import { initPlayground } from "./playground.js";
import { initLive } from "./live.js";
import { initBackends } from "./backends.js";

const $ = (id) => document.getElementById(id);

const panels = {
  playground: initPlayground(),
  live: initLive(),
  backends: initBackends(),
};

bindKeyInput($("apikey"), keys.api, keys.setApi);
// A new key may unlock what failed with 401: panels listen and refresh.
const keyChanged = () => window.dispatchEvent(new Event("infergate:key"));
$("apikey").addEventListener("change", keyChanged);
$("apikey-form").addEventListener("submit", (e) => { e.preventDefault(); keyChanged(); });

const tabs = [...document.querySelectorAll('[role="tab"]')];

function select(name, focus) {
  if (!panels[name]) name = "playground";
  for (const t of tabs) {
    const on = t.getAttribute("aria-controls") === name;
    t.setAttribute("aria-selected", String(on));
    t.tabIndex = on ? 0 : -1;
    $(t.getAttribute("aria-controls")).hidden = !on;
    if (on && focus) t.focus();
  }
  for (const [n, p] of Object.entries(panels)) p.visible(n === name);
  if (location.hash.slice(1) !== name) history.replaceState(null, "", `#${name}`);
}

for (const [i, t] of tabs.entries()) {
  t.addEventListener("click", () => select(t.getAttribute("aria-controls")));
  t.addEventListener("keydown", (e) => {
    const moves = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 };
    if (!(e.key in moves)) return;
    e.preventDefault();
    const next = tabs[(moves[e.key] + tabs.length) % tabs.length];
    select(next.getAttribute("aria-controls"), true);
  });
}
window.addEventListener("hashchange", () => select(location.hash.slice(1)));
select(location.hash.slice(1) || "playground");
