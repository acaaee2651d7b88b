// Writes goldens.jsonl: HF tokenizers' output for every line of
// corpus.jsonl, in four modes, for the Go parity test
// (tokenizer/parity_test.go):
//   full:   no truncation, no padding
//   max512: truncation to 512 (longest_first), no padding
//   max64:  truncation to 64 (longest_first), no padding
//   file:   the tokenizer.json as configured (truncation and padding to 128)
// and, without truncation or padding, for texts under 2,000 characters,
// three other BertNormalizer settings of the same tokenizer.json:
//   cased:         lowercase false, strip_accents false
//   lower_nostrip: lowercase true, strip_accents false
//   raw:           clean_text, handle_chinese_chars, strip_accents, lowercase all false
// full, max512 and max64 are computed twice, by the all-MiniLM-L6-v2
// tokenizer.json and by a tokenizer built from vocab.txt with HF's BERT
// components, and must agree: that is the reference for loading vocab.txt.
// Usage: node gen-goldens.js TOKENIZER_JSON VOCAB_TXT < corpus.jsonl > goldens.jsonl
'use strict'
const fs = require('fs')
const path = require('path')
const hf = require(path.join(__dirname, 'node_modules', 'tokenizers'))

async function vocabTokenizer(vocabPath) {
  const model = await hf.WordPiece.fromFile(vocabPath, { unkToken: '[UNK]', continuingSubwordPrefix: '##', maxInputCharsPerWord: 100 })
  const t = new hf.Tokenizer(model)
  t.setNormalizer(hf.bertNormalizer({ cleanText: true, handleChineseChars: true, lowercase: true }))
  t.setPreTokenizer(hf.bertPreTokenizer())
  t.setPostProcessor(hf.bertProcessing(['[SEP]', t.tokenToId('[SEP]')], ['[CLS]', t.tokenToId('[CLS]')]))
  t.addSpecialTokens(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'])
  return t
}

function view(e, withMask) {
  const out = { ids: e.getIds(), type_ids: e.getTypeIds(), offsets: e.getOffsets() }
  if (withMask) out.attention_mask = e.getAttentionMask()
  return out
}

async function main() {
  const [jsonPath, vocabPath] = process.argv.slice(2)
  if (!jsonPath || !vocabPath) throw new Error('usage: node gen-goldens.js TOKENIZER_JSON VOCAB_TXT < corpus.jsonl')
  const fileTok = hf.Tokenizer.fromFile(jsonPath)
  const jsonTok = hf.Tokenizer.fromFile(jsonPath)
  const vocabTok = await vocabTokenizer(vocabPath)
  for (const t of [jsonTok, vocabTok]) {
    t.disablePadding()
  }
  const variants = []
  for (const [mode, opts] of [
    ['cased', { cleanText: true, handleChineseChars: true, stripAccents: false, lowercase: false }],
    ['lower_nostrip', { cleanText: true, handleChineseChars: true, stripAccents: false, lowercase: true }],
    ['raw', { cleanText: false, handleChineseChars: false, stripAccents: false, lowercase: false }],
  ]) {
    const t = hf.Tokenizer.fromFile(jsonPath)
    t.setNormalizer(hf.bertNormalizer(opts))
    t.disablePadding()
    t.disableTruncation()
    variants.push([mode, t])
  }
  const lines = fs.readFileSync(0, 'utf8').split('\n').filter((l) => l.length > 0)
  const out = []
  for (const line of lines) {
    const c = JSON.parse(line)
    const pair = c.text_pair === undefined ? null : c.text_pair
    const g = {}
    for (const [mode, max] of [['full', 0], ['max512', 512], ['max64', 64]]) {
      const got = []
      for (const t of [jsonTok, vocabTok]) {
        if (max > 0) t.setTruncation(max)
        else t.disableTruncation()
        got.push(JSON.stringify(view(await t.encode(c.text, pair), false)))
      }
      if (got[0] !== got[1]) throw new Error(`${c.name}: tokenizer.json and vocab.txt disagree in mode ${mode}`)
      g[mode] = JSON.parse(got[0])
    }
    g.file = view(await fileTok.encode(c.text, pair), true)
    if (c.text.length + (pair || '').length < 2000) {
      for (const [mode, t] of variants) g[mode] = view(await t.encode(c.text, pair), false)
    }
    out.push(JSON.stringify(g))
  }
  fs.writeFileSync(1, out.join('\n') + '\n')
}

main().catch((e) => {
  console.error('gen-goldens:', e.message)
  process.exit(1)
})
