// Small pure helpers shared by the panels.

/** el builds an element: el("span", {class: "x"}, "text", child). */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "style" && typeof v === "object") {
      for (const [prop, val] of Object.entries(v)) e.style.setProperty(prop, String(val));
    }
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    e.append(c instanceof Node ? c : String(c));
  }
  return e;
}

/** ms formats milliseconds for people: "0.42 ms", "12.3 ms", "1.25 s". */
export function ms(v) {
  if (v == null || !isFinite(v)) return "–";
  if (v >= 1000) return `${(v / 1000).toFixed(2)} s`;
  if (v >= 100) return `${v.toFixed(0)} ms`;
  if (v >= 10) return `${v.toFixed(1)} ms`;
  return `${v.toFixed(2)} ms`;
}

/** num formats a number with at most `digits` decimals, "–" when missing. */
export function num(v, digits = 1) {
  if (v == null || !isFinite(v)) return "–";
  return Number(v).toLocaleString("en-US", { maximumFractionDigits: digits });
}

/** pct formats a 0..1 ratio as a percentage. */
export function pct(v, digits = 1) {
  if (v == null || !isFinite(v)) return "–";
  return `${(v * 100).toFixed(digits)} %`;
}

/** cosine is the cosine similarity of two vectors (null if either is zero). */
export function cosine(a, b) {
  if (!a || !b || a.length !== b.length || a.length === 0) return null;
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  if (na === 0 || nb === 0) return null;
  return dot / Math.sqrt(na * nb);
}

/** hue spreads token ids over the colour wheel (golden angle) so neighbours differ. */
export function hue(id) {
  return Math.round((id * 137.508) % 360);
}
