// Writes corpus.jsonl: the hard parity corpus ({"name", "text",
// "text_pair"?} per line). Deterministic: rerunning gives the same file.
// Usage: node gen-corpus.js > corpus.jsonl
//        node gen-corpus.js --random N --seed S   (only N random strings, for parity-random.sh)
'use strict'

const argv = process.argv.slice(2)
const flag = (name, def) => (argv.indexOf(name) >= 0 ? Number(argv[argv.indexOf(name) + 1]) : def)
const randomOnly = flag('--random', 0)
let seed = flag('--seed', 20261128)
function rand() {
  // mulberry32
  seed |= 0
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
const pick = (a) => a[Math.floor(rand() * a.length)]
const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1))

const cases = []
const add = (name, text, pair) => cases.push(pair === undefined ? { name, text } : { name, text, text_pair: pair })

// Scripts.
const scripts = {
  chinese: '自然语言处理是人工智能的一个重要方向。我们在北京和上海测试了这个模型，效果很好！',
  chinese_traditional: '繁體中文的處理與簡體不同，例如「臺灣」與「台湾」。',
  japanese: '日本語のテキストを正しく分割できますか？カタカナ、ひらがな、漢字が混在しています。ｶﾀｶﾅ半角もあります。',
  korean: '한국어 문장은 음절 단위로 분해됩니다. 안녕하세요, 세계! 서울특별시',
  thai: 'ภาษาไทยไม่มีการเว้นวรรคระหว่างคำ สวัสดีครับ ประเทศไทย',
  arabic: 'مرحبا بالعالم! اللُّغَةُ العَرَبِيَّةُ جميلة، أليس كذلك؟ ١٢٣٤٥',
  hebrew: 'שָׁלוֹם עוֹלָם! עברית נכתבת מימין לשמאל.',
  devanagari: 'हिन्दी भाषा में लिखा गया वाक्य। नमस्ते दुनिया! क़ ज़ फ़',
  cyrillic: 'Привет, мир! Съешь же ещё этих мягких французских булок, да выпей чаю. Ёлка',
  greek: 'Γειά σου Κόσμε! Ξεσκεπάζω την ψυχοφθόρα βδελυγμία. ΣΊΣΥΦΟΣ ΌΡΟΣ',
  vietnamese: 'Tiếng Việt có rất nhiều dấu: Nguyễn, Đặng, Phạm, thuở, quỹ.',
  turkish: 'İstanbul, Iğdır, ılık ışık, DİYARBAKIR',
  german: 'Straße, STRASSE, Größe, Äpfel, Übermäßig, ẞ',
  french: "L'été à Noël, où l'œuvre naïve côtoie l'Ångström.",
  armenian: 'Բարեւ աշխարհ',
  georgian: 'გამარჯობა მსოფლიო',
  ethiopic: 'ሰላም ልዑል',
  tamil: 'வணக்கம் உலகம்',
  bengali: 'হ্যালো বিশ্ব',
  tibetan: 'བཀྲ་ཤིས་བདེ་ལེགས།',
  mongolian: 'ᠮᠣᠩᠭᠣᠯ ᠪᠢᠴᠢᠭ',
  khmer: 'សួស្តី​ពិភពលោក',
  myanmar: 'မင်္ဂလာပါ ကမ္ဘာလောက',
}
for (const [k, v] of Object.entries(scripts)) add('script/' + k, v)

// Combining marks, NFC vs NFD.
const nfcSamples = ['café', 'naïve', 'Ångström', 'Éire', 'ñandú', 'Nguyễn', 'Ελληνικά', 'Ḁḁ', 'ǅungla', 'ﬁ ﬂ', '가각갂', 'Å Å Å']
for (const s of nfcSamples) {
  add('nfc/' + s, s.normalize('NFC'))
  add('nfd/' + s, s.normalize('NFD'))
  add('nfkc/' + s, s.normalize('NFKC'))
}
add('combining/stacked', 'Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇ zalgo t̸e̵x̷t̴')
add('combining/alone', '\u0301\u0302 \u0301abc \u20DD\u20E3 a\u0345b')
add('combining/reorder', 'a\u0316\u0301 a\u0301\u0316 q\u0307\u0323 \u1100\u1161\u11A8')
add('combining/thai-marks', 'กั กิ กี กึ กื กุ กู ก่ ก้ ก๊ ก๋ ก็ ก์')
add('combining/dakuten', 'か\u3099 は\u309A ガ パ')
add('combining/enclosing', 'a\u20DD 1\u20E3 #\uFE0F\u20E3')
add('combining/mc-virama', 'ᬅ᭄ᬓ ꦲ꧀ꦤ 𑈶𑈵 𝅘𝅥𝅮 \u{1D165}\u{1D16D}\u{1D166}')

// Emoji.
add('emoji/basic', 'I ❤️ NY 😀😃😄 👍🏽 🇫🇷🇯🇵 ☺ ✌︎')
add('emoji/zwj', '👩‍👩‍👧‍👦 👨🏻‍💻 🏳️‍🌈 🧑‍🤝‍🧑 👁️‍🗨️')
add('emoji/inside-words', 'hello😀world pre🔥post a🇺🇸b')
add('emoji/keycaps-tags', '1️⃣ 🏴󠁧󠁢󠁳󠁣󠁴󠁿 ©️ ®️ ™️')
add('emoji/new', '🥰 🫠 🫶 🪿 🩷 🫨 🛜')

// Control, format and zero-width characters.
add('control/c0', 'a\u0000b\u0001c\u0007d\u0008e\u000bf\u000cg\u001bh\u001fi\u007fj')
add('control/whitespace', 'tab\there\nnew\r\nline\u000b\u000c end')
add('control/c1', 'a\u0080b\u0085c\u009fd')
add('control/unicode-spaces', 'a\u00a0b\u1680c\u2000d\u2003e\u2009f\u200ag\u2028h\u2029i\u202fj\u205fk\u3000l')
add('zero-width/joiners', 'a\u200bb\u200cc\u200dd\u2060e\ufefff\u00adg\u180eh')
add('zero-width/bidi', 'abc\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069def')
add('zero-width/variation', 'a\ufe00b\ufe0fc \u{E0100}d')
add('replacement', 'a\ufffdb \ufffd \ufffd\ufffd c')
add('private-use', 'a\ue000b \uf8ff \u{F0000}\u{10FFFD}')
add('noncharacters', 'a\ufdd0b \uffff \u{10FFFF} \ufffe')
add('unassigned', 'a\u0378b \u{2FFFF} \u{E0080} \u0890\u0891 \u08e2')
add('tags', 'x\u{E0001}\u{E0041}\u{E007F}y')

// Full-width and compatibility forms.
add('fullwidth/latin', 'ＦＵＬＬ　ｗｉｄｔｈ１２３！？（ａｂｃ）')
add('fullwidth/mixed', 'Ｈｅｌｌｏ， ｗｏｒｌｄ． abc ｘｙｚ')
add('halfwidth/katakana', 'ﾊﾝｶｸ ｶﾞｷﾞｸﾞ ﾟﾞ')
add('compat/cjk', '\uF900\uF901\uFA0E\uFA6D \u{2F800}\u{2F81A} ⼀⼁ ㊀ ㈱')
add('cjk/extensions', '\u3400\u4DBF \u{20000}\u{2A6DF} \u{2A700}\u{2B739} \u{2B740}\u{2B81D} \u{2B820}\u{2B8FF} \u{2B920}\u{2CEA1} \u{30000}\u{31350} 〇')
add('cjk/punctuation', '「引用」『二重』【括弧】〈山〉《書名》、。・〜ー')

// Casing edge cases.
add('case/special', 'İ ı I i ẞ ß ǅ ǈ ǋ Σ σ ς ΣΑΣ Ω Ω K K Å')
add('case/newer', '\u1c89\u1c8a \ua7cb\ua7cc\ua7cd\ua7dc \u{10D50}\u{10D70} \u{16EA0}\u{16EBB}')
add('case/roman', 'Ⅻ ⅻ Ⓐⓐ 🅰')

// Unicode punctuation and symbols.
add('punct/unicode', '¿Qué? ¡Sí! «guillemets» „Anführung“ ‘single’ “double” — – … • ‧ ※ ⁂ ‼ ⁇')
add('punct/newer', 'a\u2e43b\u2e4fc\u2e5dd\u061de\u09fdf\u0a76g\u0c77h\u166di\u1b7dj\u{111C9}k\u{10EAD}l')
add('punct/ascii', '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~')
add('symbols', '€100 £5 ¥¥ ₹ ₿ © ® ™ ° ± × ÷ ∑ ∫ √ ∞ ≠ ≤ ≥ ← → ⇒ ♠ ♥ ☃ ✓')
add('mn-changed', '\u1734 \u{11938} \u07fd \u0898 \u08ca a\u1734b')

// URLs, code, numbers.
add('url/basic', 'https://example.com/path/to/page?query=1&b=two#frag')
add('url/complex', 'Visit http://user:pa$$w0rd@sub.example.co.uk:8080/a_b-c/%E2%82%AC?x=[1,2]&y={z} now!')
add('email', 'contact: first.last+tag@example-domain.org, <admin@localhost>')
add('code/go', 'func (t *Tokenizer) Encode(text string, opts Options) (Encoding, error) { return t.encode(&e, text) }')
add('code/python', 'def f(x: int = 0) -> list[str]:\n\tif x >= 10 and not x % 2: return ["a", \'b\']\n\treturn [f"{x!r}"]')
add('code/shell', 'cat /etc/passwd | grep -E "^root:" && echo $((1+2)) >> ~/out.log 2>&1')
add('code/json', '{"key": [1, 2.5, -3e10, true, null], "nested": {"a": "\\u00e9"}}')
add('numbers', '1,234,567.89 3.14159 -0.5 1e-10 0x1F 2^32 12:30 50% 1st 2nd ½ ¾ ² ³ ١٢٣ ०१२ 一二三')
add('numbers/long', '12345678901234567890123456789012345678901234567890 3.141592653589793238462643383279')

// Long words and max_input_chars_per_word boundaries.
add('long/99', 'a'.repeat(99))
add('long/100', 'b'.repeat(100))
add('long/101', 'c'.repeat(101))
add('long/mixed', 'pneumonoultramicroscopicsilicovolcanoconiosis supercalifragilisticexpialidocious ' + 'x'.repeat(150) + ' end')
add('long/accents-100', 'é'.repeat(100))
add('long/nfd-accents-100', 'é'.normalize('NFD').repeat(100))
add('long/nfd-accents-101', 'é'.normalize('NFD').repeat(101))
add('long/cjk-run', '中'.repeat(150))
add('long/hangul-34', '한'.repeat(34))
add('long/punct-run', '!'.repeat(120))
add('long/unmatchable', 'qzxqzxqzx'.repeat(5) + ' ' + '\u{1F600}'.repeat(20))

// Empty and whitespace-only.
add('empty', '')
add('space', ' ')
add('whitespace', ' \t\n\r  \u00a0\u3000 ')
add('controls-only', '\u0000\u0001\u200b\ufeff')

// Added tokens in text.
add('added/basic', '[CLS] hello [SEP] world [MASK] [PAD] [UNK]')
add('added/adjacent', '[SEP][SEP]x[CLS][MASK]y')
add('added/nested', '[[SEP]] [ [SEP] ] [SE P] [sep] [Sep]')
add('added/in-words', 'pre[MASK]post word[UNK]word')

// Mixed prose.
add('mixed/1', 'The quick brown fox — 快速的狐狸 — jumps over the lazy dog (犬) in 2026; price: $12.50!')
add('mixed/2', "It's a well-known fact: e-mail isn't 'email', O'Neill's café serves crème brûlée & piña coladas.")
add('mixed/3', 'Лёгкий тест: naïve résumé — 東京 🗼 (Tokyo) vs. 서울 (Seoul) → ok?')

// Pairs.
add('pair/basic', 'What is the capital of France?', 'Paris is the capital and most populous city of France.')
add('pair/empty-both', '', '')
add('pair/empty-first', '', 'only the second')
add('pair/empty-second', 'only the first', '')
add('pair/scripts', scripts.chinese, scripts.arabic)
add('pair/specials', '[SEP] first', 'second [CLS]')
add('pair/whitespace', '   ', '\t\n')

// Texts far over 512 tokens.
const fragments = Object.values(scripts).concat(cases.map((c) => c.text)).filter((s) => s.length > 0)
const words = 'the of and to in is was for on that with as by at from his her it an were are which this be or has had not but one all new more also been two other after first its when who they their there into time may can some would only'.split(' ')
function prose(nwords) {
  const out = []
  for (let i = 0; i < nwords; i++) {
    const r = rand()
    if (r < 0.7) out.push(pick(words))
    else if (r < 0.9) out.push(pick(fragments).slice(0, int(1, 40)))
    else out.push(pick([',', '.', ';', '!', '?', '(', ')', '"', '—', '\n', '\t', '…']))
  }
  return out.join(' ')
}
for (let i = 0; i < 8; i++) add('long-text/' + i, prose(int(600, 2500)))
for (let i = 0; i < 6; i++) add('long-pair/' + i, prose(int(100, 900)), prose(int(100, 900)))
add('long-pair/short-long', 'short question?', prose(1200))
add('long-pair/long-short', prose(1200), 'short answer.')

// Random strings over interesting code point ranges.
const ranges = [
  [0x20, 0x7e], [0x20, 0x7e], [0x20, 0x7e], [0x00, 0x1f], [0x80, 0xff], [0x100, 0x24f],
  [0x300, 0x36f], [0x370, 0x3ff], [0x400, 0x4ff], [0x590, 0x5ff], [0x600, 0x6ff], [0x800, 0x8ff],
  [0x900, 0x97f], [0xe00, 0xe7f], [0x1100, 0x11ff], [0x1ab0, 0x1aff], [0x1b00, 0x1b7f], [0x1dc0, 0x1dff],
  [0x2000, 0x206f], [0x20d0, 0x20ff], [0x2e00, 0x2e7f], [0x3000, 0x30ff], [0x4e00, 0x9fff],
  [0xa700, 0xa7ff], [0xac00, 0xd7a3], [0xf900, 0xfaff], [0xfe00, 0xfe0f], [0xff00, 0xffef],
  [0xfff0, 0xffff], [0x10d40, 0x10d8f], [0x11900, 0x1195f], [0x1d160, 0x1d17f], [0x1f300, 0x1faff],
  [0x20000, 0x2ceaf], [0x2f800, 0x2fa1f], [0x30000, 0x3134f], [0xe0000, 0xe007f], [0xe000, 0xf8ff],
]
function randomString() {
  const n = int(1, 40)
  let s = ''
  for (let j = 0; j < n; j++) {
    const r = rand()
    if (r < 0.15) s += ' '
    else if (r < 0.2) s += pick(['[SEP]', '[CLS]', 'the', 'ing', '##', '#', '[', ']'])
    else {
      const [lo, hi] = pick(ranges)
      let cp = int(lo, hi)
      if (cp >= 0xd800 && cp <= 0xdfff) cp = 0x41
      s += String.fromCodePoint(cp)
    }
  }
  return s
}
if (randomOnly > 0) {
  cases.length = 0
  for (let i = 0; i < randomOnly; i++) {
    if (i % 5 === 0) add('random-pair/' + i, randomString(), randomString())
    else add('random/' + i, randomString())
  }
  process.stdout.write(cases.map((c) => JSON.stringify(c)).join('\n') + '\n')
  process.exit(0)
}
for (let i = 0; i < 300; i++) {
  const n = int(1, 40)
  let s = ''
  for (let j = 0; j < n; j++) {
    const r = rand()
    if (r < 0.15) s += ' '
    else if (r < 0.2) s += pick(['[SEP]', '[CLS]', 'the', 'ing', '##', '#', '[', ']'])
    else {
      const [lo, hi] = pick(ranges)
      let cp = int(lo, hi)
      if (cp >= 0xd800 && cp <= 0xdfff) cp = 0x41
      s += String.fromCodePoint(cp)
    }
  }
  if (i % 5 === 0) add('random-pair/' + i, s, prose(int(0, 30)))
  else add('random/' + i, s)
}

process.stdout.write(cases.map((c) => JSON.stringify(c)).join('\n') + '\n')
