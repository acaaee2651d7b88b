// Prints, for every code point where HF tokenizers' BERT components do
// something other than the identity, one TSV line:
//   hex  clean  pretok  cjk  strip  lower  ccc
// clean: R removed, S mapped to a space, K kept (clean_text only)
// pretok: W whitespace, P punctuation, K other (BertPreTokenizer)
// cjk: C surrounded by spaces (handle_chinese_chars only), K otherwise
// strip, lower: the strip_accents and lowercase outputs, as hex code points
// ccc: N when NFD reorders it after a lower class (a nonzero canonical
//      combining class), 0 otherwise
// tokenizer/internal/gentables turns this into tokenizer/tables_hf.go.
'use strict'
const path = require('path')
const hf = require(path.join(__dirname, 'node_modules', 'tokenizers'))
const bert = (o) => hf.bertNormalizer(Object.assign({ cleanText: false, handleChineseChars: false, stripAccents: false, lowercase: false }, o))
const clean = bert({ cleanText: true })
const cjk = bert({ handleChineseChars: true })
const strip = bert({ stripAccents: true })
const lower = bert({ lowercase: true })
const nfd = hf.nfdNormalizer()
const pre = hf.bertPreTokenizer()
const hex = (s) => [...s].map((x) => x.codePointAt(0).toString(16)).join(' ')
const out = []
for (let cp = 0; cp <= 0x10ffff; cp++) {
  if (cp >= 0xd800 && cp <= 0xdfff) continue
  const c = String.fromCodePoint(cp)
  const s = 'a' + c + 'b'
  const cl = clean.normalizeString(s)
  const fc = cl === 'ab' ? 'R' : cl === 'a b' ? 'S' : cl === s ? 'K' : 'X'
  const p = pre.preTokenizeString(s).length
  const fp = p === 1 ? 'K' : p === 2 ? 'W' : p === 3 ? 'P' : 'X'
  const fj = cjk.normalizeString(s) === s ? 'K' : 'C'
  const st = strip.normalizeString(c)
  const lo = lower.normalizeString(c)
  // A nonzero class sorts after U+0334 (class 1) or before U+0301 (230).
  let fccc = '0'
  if (nfd.normalizeString(c) === c) {
    const reorders1 = nfd.normalizeString('a' + c + '\u0334') === 'a\u0334' + c
    const reorders2 = nfd.normalizeString('a\u0301' + c) === 'a' + c + '\u0301'
    if (reorders1 || reorders2) fccc = 'N'
  }
  if (fc !== 'K' || fp !== 'K' || fj !== 'K' || st !== c || lo !== c || fccc !== '0') {
    out.push([cp.toString(16), fc, fp, fj, hex(st), hex(lo), fccc].join('\t'))
  }
}
process.stdout.write(out.join('\n') + '\n')
