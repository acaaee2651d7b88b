// Playground: classify text (one input per line), show score bars, the
// latency split from the timing headers, the cache state and the WordPiece
// tokens; compare two texts by the cosine similarity of their embeddings.

import { call, timings } from "./api.js";
import { fetchModels } from "./models.js";
import { el, ms, pct, cosine } from "./format.js";
import { tokenView } from "./tokens.js";
import { examples } from "./examples.js";

const $ = (id) => document.getElementById(id);
const languageNames = typeof Intl.DisplayNames === "function" ? new Intl.DisplayNames(["en"], { type: "language" }) : null;

export function initPlayground() {
  const form = $("classify-form");
  const inputs = $("inputs");
  let busy = null;

  for (const ex of examples) {
    $("examples").append(el("button", {
      type: "button",
      title: ex.text,
      onclick: () => { inputs.value = ex.text; clearInputError(); inputs.focus(); },
    }, ex.name));
  }
  $("examples").append(el("button", {
    type: "button",
    title: "One line per language: a batch",
    onclick: () => { inputs.value = examples.map((e) => e.text).join("\n"); clearInputError(); inputs.focus(); },
  }, "All as a batch"));

  inputs.addEventListener("input", clearInputError);
  inputs.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit(); }
  });
  $("model").addEventListener("change", syncTopK);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (busy) busy.abort();
    busy = new AbortController();
    await classify(busy.signal);
  });
  $("similarity-form").addEventListener("submit", (e) => { e.preventDefault(); similarity(); });

  loadModels();
  window.addEventListener("infergate:key", loadModels);
  return { visible() {} };
}

// labelCount is the number of classes of each model, for the top-k bound;
// maxTokens its max_seq_len, to say when a text was cut.
const labelCount = new Map();
const maxTokens = new Map();

function syncTopK() {
  const n = labelCount.get($("model").value);
  $("topk").max = n > 0 ? String(Math.min(n, 100)) : "100";
}

async function loadModels() {
  const sel = $("model");
  try {
    const models = await fetchModels();
    for (const m of models) {
      if (Array.isArray(m.labels)) labelCount.set(m.name, m.labels.length);
      if (m.maxSeqLen > 0) maxTokens.set(m.name, m.maxSeqLen);
    }
    const was = sel.value;
    $("classify-status").textContent = "";
    sel.replaceChildren(...models.map((m) => el("option", { value: m.name }, m.name)));
    if (!models.length) sel.append(el("option", { value: "" }, "(server default)"));
    if (models.some((m) => m.name === was)) sel.value = was;
    syncTopK();
    window.dispatchEvent(new Event("infergate:models"));
  } catch (err) {
    $("classify-status").textContent = `Could not list the models: ${err.message}`;
  }
}

function clearInputError() {
  $("inputs-error").textContent = "";
  $("inputs").removeAttribute("aria-invalid");
}

function inputError(msg) {
  $("inputs-error").textContent = msg;
  $("inputs").setAttribute("aria-invalid", "true");
  $("inputs").focus();
}

async function classify(signal) {
  const lines = $("inputs").value.split("\n").map((l) => l.trim()).filter(Boolean);
  const topK = Number($("topk").value);
  const errBox = $("classify-error");
  errBox.hidden = true;
  if (!lines.length) return inputError("Type some text to classify: at least one non-empty line.");
  const maxK = Number($("topk").max) || 100;
  if (!Number.isInteger(topK) || topK < 1 || topK > maxK) {
    $("topk").setAttribute("aria-invalid", "true");
    $("topk").focus();
    $("classify-error").textContent = `Top-k must be a whole number from 1 to ${maxK} (the model's number of labels).`;
    $("classify-error").hidden = false;
    return;
  }
  $("topk").removeAttribute("aria-invalid");
  clearInputError();

  const model = $("model").value || undefined;
  const status = $("classify-status");
  status.textContent = `Classifying ${lines.length} input${lines.length > 1 ? "s" : ""}…`;
  $("classify-btn").disabled = true;
  try {
    // Tokens come from their own call so a tokenizer hiccup never hides the scores.
    const tokensP = call("/v1/tokenize", { body: { model, inputs: lines }, signal }).then((r) => r.data, () => null);
    const res = await call("/v1/classify", { body: { model, inputs: lines, top_k: topK }, signal });
    const tokens = await tokensP;
    renderTiming(timings(res.headers), lines.length);
    renderResults(lines, res.data, tokens, maxTokens.get(res.data.model || model));
    const usage = res.data && res.data.usage;
    status.textContent = `${lines.length} input${lines.length > 1 ? "s" : ""} classified by ${res.data.model || "the default model"}` +
      (usage && usage.tokens != null ? `, ${usage.tokens} tokens.` : ".");
  } catch (err) {
    if (signal.aborted) return;
    status.textContent = "";
    errBox.textContent = err.message;
    errBox.hidden = false;
  } finally {
    if (!signal.aborted) $("classify-btn").disabled = false; // else the newer call owns the button
  }
}

function langName(label) {
  if (!languageNames || !/^[a-z]{2,3}(-[A-Za-z]{2,4})?$/.test(label)) return "";
  try {
    const n = languageNames.of(label);
    return n && n !== label ? n : "";
  } catch { return ""; }
}

function renderResults(lines, data, tokens, maxLen) {
  const list = $("results");
  const results = (data && data.results) || [];
  list.replaceChildren(...results.map((r, i) => {
    const top = r.top && r.top.length ? r.top : [{ label: r.label, score: r.score }];
    const name = langName(r.label);
    const toks = Array.isArray(tokens) ? tokens[i] : null;
    return el("li", { class: "result", "data-label": r.label },
      el("p", { class: "text" }, lines[i] ?? ""),
      el("div", {},
        el("span", { class: "top-label" }, r.label),
        name ? el("span", { class: "hint" }, `${name} · `) : null,
        el("span", { class: "hint" }, pct(r.score)),
        toks && maxLen && toks.tokens && toks.tokens.length >= maxLen
          ? el("span", { class: "badge warn" }, `cut to ${maxLen} tokens`)
          : null),
      el("div", { class: "scores" },
        top.map((t) => [
          el("span", { class: "lbl" }, t.label, el("span", { class: "visually-hidden" }, ` ${pct(t.score)}`)),
          el("div", { class: "bar", "aria-hidden": "true" }, el("span", { style: { width: `${Math.max(0, Math.min(1, t.score)) * 100}%` } })),
          el("span", { class: "val", "aria-hidden": "true" }, pct(t.score)),
        ])),
      toks ? tokenView(toks, lines[i] ?? "", results.length <= 3) : null);
  }));
}

// renderTiming draws the timing headers. For a batch the gateway sums
// tokenization over the texts and reports the queue and inference time of
// the slowest text, and "hit" only when every text came from the cache.
function renderTiming(t, texts) {
  const card = $("timing");
  const parts = [
    ["tokenize", t.tokenize, "--t-tokenize"],
    ["queue", t.queue, "--t-queue"],
    ["inference", t.inference, "--t-inference"],
  ];
  const known = parts.reduce((s, p) => s + (p[1] || 0), 0);
  const total = t.total ?? (known || null);
  const other = total != null ? Math.max(0, total - known) : null;
  if (other >= 0.005) parts.push(["other", other, "--t-other"]);
  const bar = $("timing-bar");
  bar.replaceChildren(...parts.filter((p) => p[1] > 0 && total > 0).map((p) =>
    el("span", { title: `${p[0]} ${ms(p[1])}`, style: { width: `${(p[1] / total) * 100}%`, background: `var(${p[2]})` } })));
  bar.setAttribute("aria-label", "Latency split: " + parts.map((p) => `${p[0]} ${ms(p[1])}`).join(", ") + `, total ${ms(total)}`);
  const cache = t.cache == null ? "unknown"
    : /^hit/i.test(t.cache) ? (texts > 1 ? "all cached" : "cached")
    : /^miss/i.test(t.cache) ? (texts > 1 ? "not all cached" : "not cached")
    : t.cache;
  $("timing-legend").replaceChildren(...[
    ...parts.map((p) => el("div", { style: { "--c": `var(${p[2]})` } }, el("dt", {}, p[0]), el("dd", {}, ms(p[1])))),
    el("div", {}, el("dt", { class: "plain" }, "total"), el("dd", { id: "timing-total" }, ms(total))),
    el("div", {}, el("dt", {}, "cache"), el("dd", {}, el("span", { id: "cache-state", class: `badge ${/^(all )?cached$/.test(cache) ? "ok" : ""}` }, cache))),
    t.batch ? el("div", {}, el("dt", {}, "batch rows"), el("dd", {}, t.batch)) : null,
  ].filter(Boolean));
  $("timing-note").textContent = texts > 1
    ? `${texts} texts: tokenize is their sum; queue and inference are those of the slowest text.`
    : "";
  card.hidden = false;
}

async function similarity() {
  const a = $("sim-a").value.trim(), b = $("sim-b").value.trim();
  const err = $("sim-error"), out = $("sim-result");
  err.textContent = "";
  if (!a || !b) {
    err.textContent = "Type a text in both fields to compare them.";
    (a ? $("sim-b") : $("sim-a")).focus();
    return;
  }
  $("sim-btn").disabled = true;
  out.textContent = "Embedding…";
  try {
    const model = $("model").value || undefined;
    const res = await call("/v1/embed", { body: { model, inputs: [a, b] } });
    const embs = (res.data && res.data.embeddings) || [];
    const c = cosine(embs[0], embs[1]);
    if (c == null) throw new Error("The gateway returned embeddings that cannot be compared.");
    const t = timings(res.headers);
    out.replaceChildren(
      el("div", {}, el("span", { class: "value", id: "sim-value" }, c.toFixed(3)), " ",
        el("span", { class: "hint" }, `cosine similarity (${words(c)}) · ${embs[0].length} dimensions · ${ms(t.total)}`)),
      el("div", { class: "bar", role: "meter", "aria-valuemin": "-1", "aria-valuemax": "1", "aria-valuenow": c.toFixed(3), "aria-label": "cosine similarity" },
        el("span", { style: { width: `${((c + 1) / 2) * 100}%` } })));
  } catch (e) {
    out.textContent = "";
    err.textContent = e.message;
  } finally {
    $("sim-btn").disabled = false;
  }
}

function words(c) {
  if (c >= 0.9) return "nearly the same";
  if (c >= 0.7) return "similar";
  if (c >= 0.4) return "somewhat related";
  return "different";
}
