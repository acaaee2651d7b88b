// The HF tokenizers side of the speed benchmark (speed/main.go drives it).
// Loads the tokenizer and the texts once (not timed), prints "ready", then
// answers each stdin line "MODE SECONDS" (MODE: encode | batch) with one
// JSON line {"passes", "seconds"}: whole passes over the texts, timed
// around the encode calls only. encode: one awaited encode() per text, as
// a server would call it; batch: one encodeBatch() per pass (run with
// RAYON_NUM_THREADS=1 to keep it single-threaded).
// Usage: node hf-bench.js TOKENIZER_JSON TEXTS_JSON
'use strict'
const fs = require('fs')
const path = require('path')
const readline = require('readline')
const hf = require(path.join(__dirname, 'node_modules', 'tokenizers'))

async function main() {
  const [tokPath, textsPath] = process.argv.slice(2)
  const t = hf.Tokenizer.fromFile(tokPath)
  t.disablePadding()
  t.disableTruncation()
  const texts = JSON.parse(fs.readFileSync(textsPath, 'utf8'))
  let tokens = 0
  for (const s of texts) tokens += (await t.encode(s)).getLength()
  process.stdout.write(JSON.stringify({ ready: true, tokens }) + '\n')
  const rl = readline.createInterface({ input: process.stdin })
  for await (const line of rl) {
    const [mode, secs] = line.trim().split(/\s+/)
    const limit = BigInt(Math.round(Number(secs) * 1e9))
    let passes = 0
    const t0 = process.hrtime.bigint()
    while (process.hrtime.bigint() - t0 < limit) {
      if (mode === 'batch') {
        await t.encodeBatch(texts)
      } else {
        for (const s of texts) await t.encode(s)
      }
      passes++
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9
    process.stdout.write(JSON.stringify({ passes, seconds }) + '\n')
  }
}

main().catch((e) => {
  console.error('hf-bench:', e.message)
  process.exit(1)
})
