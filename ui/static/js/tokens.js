// WordPiece tokens with their ids: each id gets its own hue, special tokens
// are grey, continuation pieces ("##…") carry a dotted left edge and [UNK]
// stands out in the error colour, since it means the vocabulary lost the text.

import { el, hue } from "./format.js";

const SPECIAL = /^\[(CLS|SEP|PAD|MASK)\]$|^<\/?s>$|^<pad>$/;
const UNKNOWN = /^\[UNK\]$|^<unk>$/;

/**
 * tokenView renders one tokenize result {ids, tokens, offsets} of text as a
 * <details>; each token's tooltip shows the piece of text it came from
 * (offsets count Unicode code points).
 */
export function tokenView(t, text, open) {
  const chars = [...text];
  const ids = t.ids || [];
  const toks = t.tokens || [];
  const unk = toks.filter((s) => UNKNOWN.test(s)).length;
  const summary = `${toks.length} WordPiece tokens` + (unk ? `, ${unk} unknown ([UNK])` : "");
  return el("details", { class: "tokens", open },
    el("summary", {}, summary),
    el("div", { class: "toks" }, toks.map((s, i) => {
      const id = ids[i];
      const off = t.offsets && t.offsets[i];
      let cls = "tok";
      if (UNKNOWN.test(s)) cls += " unk";
      else if (SPECIAL.test(s)) cls += " special";
      else if (s.startsWith("##")) cls += " cont";
      const from = off && off[1] > off[0] ? ` from "${chars.slice(off[0], off[1]).join("")}"` : "";
      const title = `id ${id}${from}` +
        (UNKNOWN.test(s) ? ": not in the vocabulary" : "");
      return el("span", { class: cls, style: { "--h": hue(id ?? i) }, title, "data-id": id }, s, el("small", {}, id));
    })));
}
