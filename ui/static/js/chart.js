// A small hand-written time-series line chart on <canvas>.
//
// Why hand-written: the dashboard ships with no build step and nothing from a
// CDN, and it needs only one chart type (a few lines over a sliding time
// window). About 150 lines here cost less to read and keep than vendoring a
// charting library tens of kilobytes large, and it draws with the page's own
// colour variables so light and dark follow the system.

import { el } from "./format.js";

const PAD = { left: 46, right: 8, top: 8, bottom: 20 };
const TABLE_ROWS = 60;

export class LineChart {
  /**
   * opts: {id, title, series: [{name, color}] (color: a CSS variable name),
   * format(v) for axis and readout, max (fixed top, e.g. 1 for ratios)}.
   */
  constructor(opts) {
    this.opts = opts;
    this.points = [];
    this.window = 300;
    this.canvas = el("canvas", { role: "img", "aria-label": `${opts.title}: no data yet` });
    this.now = el("span", { class: "now" }, "no data yet");
    const keys = opts.series.length > 1
      ? el("div", { class: "keys" }, opts.series.map((s) => el("span", { style: { "--c": `var(${s.color})` } }, s.name)))
      : null;
    // The numbers behind the lines, for screen readers and for copying.
    this.table = el("details", { class: "data" }, el("summary", {}, "Numbers", el("span", { class: "visually-hidden" }, ` of ${opts.title.toLowerCase()}`)), el("div", { class: "table-wrap" }));
    this.table.addEventListener("toggle", () => this.renderTable());
    this.root = el("figure", { class: "chart", id: opts.id },
      el("figcaption", {}, el("strong", {}, opts.title), this.now), keys, this.canvas, this.table);
    new ResizeObserver(() => this.draw()).observe(this.canvas);
    matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => this.draw());
  }

  /** set replaces the data: points are {t (ms since epoch), v: [value per series]}, sorted by t; window in seconds. */
  set(points, windowSec) {
    this.points = points;
    this.window = windowSec;
    const n = this.opts.series.length;
    if (points.length) {
      const f = this.opts.format;
      const last = points[points.length - 1].v;
      const from = points[points.length - 1].t - windowSec * 1000;
      const peak = new Array(n).fill(null);
      for (const p of points) {
        if (p.t < from) continue;
        p.v.forEach((v, i) => { if (v != null && (peak[i] == null || v > peak[i])) peak[i] = v; });
      }
      this.now.replaceChildren(...this.opts.series.map((s, i) =>
        el("span", {}, n > 1 ? `${s.name} ` : "", el("b", {}, f(last[i])), i < n - 1 ? " · " : "")));
      const words = this.opts.series.map((s, i) => `${s.name} ${f(last[i])}, peak ${f(peak[i])}`);
      this.canvas.setAttribute("aria-label", `${this.opts.title} over the last ${windowSec / 60} minutes; latest: ${words.join("; ")}`);
      // For tests and scripts: the newest values and the window's peaks.
      this.root.dataset.last = last.map((x) => (x == null ? "" : String(x))).join(",");
      this.root.dataset.peak = peak.map((x) => (x == null ? "" : String(x))).join(",");
    }
    this.draw();
    this.renderTable();
  }

  /** renderTable lists the last TABLE_ROWS points, newest first, while the table is open. */
  renderTable() {
    if (!this.table.open) return;
    const f = this.opts.format;
    const rows = this.points.slice(-TABLE_ROWS).reverse();
    this.table.lastChild.replaceChildren(el("table", {},
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "time"),
        this.opts.series.map((s) => el("th", { scope: "col", class: "num" }, s.name)))),
      el("tbody", {}, rows.map((p) => el("tr", { "data-t": p.t },
        el("td", {}, new Date(p.t).toLocaleTimeString()),
        p.v.map((v) => el("td", { class: "num", "data-v": v ?? "" }, f(v))))))));
  }

  draw() {
    const c = this.canvas;
    const w = c.clientWidth, h = c.clientHeight;
    if (!w || !h) return;
    const dpr = window.devicePixelRatio || 1;
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
      c.width = Math.round(w * dpr);
      c.height = Math.round(h * dpr);
    }
    const g = c.getContext("2d");
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    const css = getComputedStyle(c);
    const color = (name) => css.getPropertyValue(name).trim() || "#888";
    const plotW = w - PAD.left - PAD.right, plotH = h - PAD.top - PAD.bottom;
    // The newest point is "now": the gateway's clock, not this browser's.
    const tEnd = this.points.length ? this.points[this.points.length - 1].t : Date.now();
    // Until the window fills, zoom to the data so a fresh page shows something.
    const first = this.points.length ? this.points[0].t : tEnd;
    const span = Math.min(this.window, Math.max(30, Math.ceil((tEnd - first) / 1000)));
    const tStart = tEnd - span * 1000;

    let top = this.opts.max ?? 0;
    if (this.opts.max == null) {
      for (const p of this.points) {
        if (p.t < tStart) continue;
        for (const v of p.v) if (v != null && v > top) top = v;
      }
      top = niceCeil(top);
    }
    const x = (t) => PAD.left + ((t - tStart) / (tEnd - tStart)) * plotW;
    const y = (v) => PAD.top + plotH - (v / top) * plotH;

    // Grid and axis labels.
    g.font = `11px ${css.fontFamily}`;
    g.fillStyle = color("--muted");
    g.strokeStyle = color("--grid");
    g.lineWidth = 1;
    g.textAlign = "right";
    g.textBaseline = "middle";
    const n = this.opts.max != null ? 4 : divisions(top);
    for (let i = 0; i <= n; i++) {
      const v = (top * i) / n;
      const yy = Math.round(y(v)) + 0.5;
      g.beginPath(); g.moveTo(PAD.left, yy); g.lineTo(w - PAD.right, yy); g.stroke();
      g.fillText(this.opts.format(v, true), PAD.left - 6, yy);
    }
    g.textAlign = "center";
    g.textBaseline = "top";
    // Time labels at least ~48 px apart, on round seconds.
    const pxPerSec = plotW / span;
    const step = [5, 10, 15, 30, 60, 120, 180, 300, 600].find((s) => s * pxPerSec >= 48) || 900;
    for (let s = 0; s <= span; s += step) {
      const xx = x(tEnd - s * 1000);
      g.fillText(s === 0 ? "now" : `-${s >= 60 && s % 60 === 0 ? `${s / 60}m` : `${s}s`}`, Math.min(Math.max(xx, PAD.left + 10), w - PAD.right - 12), h - PAD.bottom + 5);
    }

    // Lines, clipped to the plot; a null value breaks the line.
    g.save();
    g.beginPath();
    g.rect(PAD.left, PAD.top - 2, plotW, plotH + 4);
    g.clip();
    g.lineWidth = 1.8;
    g.lineJoin = "round";
    this.opts.series.forEach((s, i) => {
      g.strokeStyle = color(s.color);
      g.beginPath();
      let pen = false;
      for (const p of this.points) {
        if (p.t < tStart - 2000) continue;
        const v = p.v[i];
        if (v == null || !isFinite(v)) { pen = false; continue; }
        const px = x(p.t), py = y(Math.min(v, top));
        if (pen) g.lineTo(px, py); else g.moveTo(px, py);
        pen = true;
      }
      g.stroke();
    });
    g.restore();
  }
}

/** divisions splits an axis from 0 to a niceCeil top into round steps. */
export function divisions(top) {
  const m = Number((top / Math.pow(10, Math.floor(Math.log10(top)))).toPrecision(3));
  return { 1: 5, 1.5: 3, 2: 4, 2.5: 5, 3: 3, 4: 4, 5: 5, 6: 3, 8: 4 }[m] || 4;
}

/**
 * niceCeil rounds up to a round axis top (1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8
 * times a power of ten) so the lines use most of the height; 1 when v <= 0.
 */
export function niceCeil(v) {
  if (!(v > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) {
    const top = Number((m * p).toPrecision(12)); // 0.1 * 3 is not 0.3
    if (v <= top) return top;
  }
  return 10 * p;
}
