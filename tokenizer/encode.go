package tokenizer

import (
	"fmt"
	"math"
	"slices"
	"unicode/utf8"
)

// normalizer is HF's BertNormalizer configuration; strip is already
// resolved (strip_accents unset means "same as lowercase").
type normalizer struct {
	clean, cjk, strip, lower bool
}

// asciiAction is what the fused normaliser and pre-tokenizer do with an
// ASCII byte, precomputed per tokenizer for the fast path.
type asciiAction struct {
	kind uint8 // actSkip, actBreak, actPunct, actChar
	b    byte  // the byte to append (lowercased when configured)
}

const (
	actChar uint8 = iota
	actSkip
	actBreak
	actPunct
)

func (t *Tokenizer) buildASCII() {
	for c := 0; c < 128; c++ {
		f := t.chars.get(rune(c))
		a := asciiAction{kind: actChar, b: byte(c)}
		switch {
		case t.norm.clean && f&cRemove != 0:
			a.kind = actSkip
		case f&cSpace != 0:
			a.kind = actBreak
		case f&cPunct != 0:
			a.kind = actPunct
		}
		if t.norm.lower && 'A' <= c && c <= 'Z' {
			a.b = byte(c) + 'a' - 'A'
		}
		t.ascii[c] = a
	}
}

// scratch is the per-call working memory, pooled so that the hot path
// allocates only the caller's output.
type scratch struct {
	word   []byte  // the current pre-token, normalized
	start  []int32 // per byte of word: the original code point it came from
	chars  int     // code points in word
	keep   int     // code points worth keeping: past max_input_chars_per_word the word is [UNK] anyway
	end    int32   // original code point of the word's last character
	pieces []pop
	r1, r2 []rune
	pend   []pendingMark // combining marks awaiting canonical reordering
	slots  []int32
	last   int32 // alignment of the last character NFD produced
	a, b   seqBuf

	limit, boundary int  // early stop: see encodeSequence
	stop            bool // encodeSequence may stop reading
}

// seqBuf is one sequence's tokens before the post-processor.
type seqBuf struct {
	ids   []int32
	offs  [][2]int
	words []int32 // index of the first token of each word
}

func (q *seqBuf) reset() {
	q.ids = q.ids[:0]
	q.offs = q.offs[:0]
	q.words = q.words[:0]
}

// capLen is how HF sizes a sequence for longest_first pair truncation:
// its length, or, when it has at least maxLen tokens, the tokens of the
// fewest whole words (counted from the kept side) that reach maxLen.
func (q *seqBuf) capLen(maxLen int, left bool) int {
	n := len(q.ids)
	if n < maxLen {
		return n
	}
	if !left {
		for i := 1; i < len(q.words); i++ {
			if int(q.words[i]) >= maxLen {
				return int(q.words[i])
			}
		}
		return n
	}
	for i := len(q.words) - 1; i >= 0; i-- {
		if n-int(q.words[i]) >= maxLen {
			return n - int(q.words[i])
		}
	}
	return n
}

func (q *seqBuf) add(id int32, start, end int) {
	q.ids = append(q.ids, id)
	q.offs = append(q.offs, [2]int{start, end})
}

// encodeSequence runs added-token splitting, normalisation,
// pre-tokenisation and WordPiece over text in one pass, appending to out.
//
// With limit > 0 it stops early, once it has passed the first word
// boundary at or beyond limit tokens by at least one token: right-side
// truncation to limit (specials included) never keeps more than that, and
// that boundary is all longest_first needs (seqBuf.capLen). So truncated
// requests cost O(limit), not O(len(text)).
func (t *Tokenizer) encodeSequence(s *scratch, text string, out *seqBuf, limit int) error {
	s.limit, s.boundary, s.stop = limit, -1, false
	s.keep = t.wp.maxChars
	if s.keep < math.MaxInt {
		s.keep++
	}
	s.word, s.start, s.chars = s.word[:0], s.start[:0], 0
	s.pend, s.last = s.pend[:0], 0
	ci := 0 // code point index of text[i]
	i := 0
	for i < len(text) && !s.stop {
		c := text[i]
		if t.added.first[c] {
			if id, n, cps := t.added.match(text[i:]); n > 0 {
				t.flushPending(s, out)
				t.flush(s, out)
				out.words = append(out.words, int32(len(out.ids)))
				out.add(id, ci, ci+cps)
				s.checkLimit(out)
				i += n
				ci += cps
				continue
			}
		}
		if c < utf8.RuneSelf {
			a := t.ascii[c]
			if len(s.pend) > 0 && a.kind != actSkip {
				t.flushPending(s, out) // removed controls do not end a combining run
			}
			switch a.kind {
			case actChar:
				if s.chars < s.keep {
					s.word = append(s.word, a.b)
					s.start = append(s.start, int32(ci))
				}
				s.chars++
				s.end = int32(ci)
			case actBreak:
				t.flush(s, out)
			case actPunct:
				t.flush(s, out)
				s.word = append(s.word, a.b)
				s.start = append(s.start, int32(ci))
				s.chars++
				s.end = int32(ci)
				t.flush(s, out)
			}
			i++
			ci++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		if r == utf8.RuneError && size == 1 {
			return fmt.Errorf("byte %d: %w", i, ErrInvalidUTF8)
		}
		t.normalizeRune(s, out, r, ci)
		i += size
		ci++
	}
	if s.stop {
		// The rest is not tokenized, but invalid input is rejected alike.
		for j := i; j < len(text); {
			r, size := utf8.DecodeRuneInString(text[j:])
			if r == utf8.RuneError && size == 1 {
				return fmt.Errorf("byte %d: %w", j, ErrInvalidUTF8)
			}
			j += size
		}
		return nil
	}
	t.flushPending(s, out)
	t.flush(s, out)
	return nil
}

// checkLimit notes the early-stop point after a word was added.
func (s *scratch) checkLimit(out *seqBuf) {
	switch n := len(out.ids); {
	case s.limit <= 0:
	case s.boundary < 0 && n >= s.limit:
		s.boundary = n
	case s.boundary >= 0 && n > s.boundary:
		s.stop = true
	}
}

// normalizeRune applies BertNormalizer to one non-ASCII code point and
// feeds the result to the pre-tokenizer.
func (t *Tokenizer) normalizeRune(s *scratch, out *seqBuf, r rune, ci int) {
	f := t.chars.get(r)
	if t.norm.clean {
		if f&cRemove != 0 {
			return
		}
		if f&cSpace != 0 {
			t.flushPending(s, out)
			t.flush(s, out)
			return
		}
	}
	if !t.norm.strip {
		if t.norm.cjk && f&cCJK != 0 {
			t.flush(s, out)
			t.lowerFeed(s, out, r, ci)
			t.flush(s, out)
			return
		}
		t.lowerFeed(s, out, r, ci)
		return
	}
	if f&(cDecomp|cMn|cCCC) == 0 {
		t.flushPending(s, out)
		if t.norm.cjk && f&cCJK != 0 {
			t.flush(s, out)
			t.lowerFeed(s, out, r, ci)
			t.flush(s, out)
			return
		}
		t.lowerFeed(s, out, r, ci)
		return
	}
	// strip_accents: NFD, then drop nonspacing marks. Canonical reordering
	// moves marks across original code points; HF's alignments follow its
	// transform rule: the first character of each original code point
	// takes the next original position, the extra characters of a
	// decomposition take the position of the character before them.
	// Marks wait in s.pend until the next starter.
	cjk := t.norm.cjk && f&cCJK != 0
	if cjk {
		t.flushPending(s, out)
		t.flush(s, out)
	}
	s.r1 = t.chars.decompose(r, s.r1[:0])
	for k, x := range s.r1 {
		if t.chars.get(x)&cCCC == 0 {
			t.flushPending(s, out)
			at := int32(ci)
			if k > 0 {
				at = s.last
			}
			s.last = at
			if t.chars.get(x)&cMn == 0 {
				t.lowerFeed(s, out, x, int(at))
			}
			continue
		}
		s.pend = append(s.pend, pendingMark{r: x, ccc: t.chars.ccc[x], first: k == 0, at: int32(ci)})
	}
	if cjk {
		t.flushPending(s, out)
		t.flush(s, out)
	}
}

// pendingMark is a character with a nonzero combining class waiting for
// canonical reordering.
type pendingMark struct {
	r     rune
	ccc   uint8
	first bool  // first character of its original code point's decomposition
	at    int32 // that original code point's index
}

// flushPending emits the pending run of combining marks in canonical
// order (stable by combining class) with HF's alignments; nonspacing
// marks are dropped.
func (t *Tokenizer) flushPending(s *scratch, out *seqBuf) {
	if len(s.pend) == 0 {
		return
	}
	p := s.pend
	s.slots = s.slots[:0]
	for _, m := range p {
		if m.first {
			s.slots = append(s.slots, m.at)
		}
	}
	slices.SortStableFunc(p, func(a, b pendingMark) int { return int(a.ccc) - int(b.ccc) })
	k := 0
	for _, m := range p {
		at := s.last
		if m.first {
			at = s.slots[k]
			k++
		}
		s.last = at
		if t.chars.get(m.r)&cMn == 0 {
			t.lowerFeed(s, out, m.r, int(at))
		}
	}
	s.pend = s.pend[:0]
}

func (t *Tokenizer) lowerFeed(s *scratch, out *seqBuf, r rune, ci int) {
	if t.norm.lower && t.chars.get(r)&cLower != 0 {
		s.r2 = lowerString(r, s.r2[:0])
		for _, y := range s.r2 {
			t.feed(s, out, y, ci)
		}
		return
	}
	t.feed(s, out, r, ci)
}

// feed is BertPreTokenizer for one normalized code point: whitespace ends
// a word, punctuation is a word of its own, anything else extends the word.
func (t *Tokenizer) feed(s *scratch, out *seqBuf, r rune, ci int) {
	f := t.chars.get(r)
	if f&cSpace != 0 {
		t.flush(s, out)
		return
	}
	punct := f&cPunct != 0
	if punct {
		t.flush(s, out)
	}
	if s.chars < s.keep {
		n := len(s.word)
		s.word = utf8.AppendRune(s.word, r)
		for j := n; j < len(s.word); j++ {
			s.start = append(s.start, int32(ci))
		}
	}
	s.chars++
	s.end = int32(ci)
	if punct {
		t.flush(s, out)
	}
}

// flush runs WordPiece over the pending word.
func (t *Tokenizer) flush(s *scratch, out *seqBuf) {
	if len(s.word) == 0 {
		return
	}
	out.words = append(out.words, int32(len(out.ids)))
	var ok bool
	s.pieces, ok = t.wp.tokenize(s.word, s.chars, s.pieces[:0])
	if !ok {
		out.add(t.wp.unk, int(s.start[0]), int(s.end)+1)
	} else {
		pos := int32(0)
		for _, p := range s.pieces {
			out.add(p.id, int(s.start[pos]), int(s.start[pos+p.len-1])+1)
			pos += p.len
		}
	}
	s.word, s.start, s.chars = s.word[:0], s.start[:0], 0
	s.checkLimit(out)
}

// addedTokens matches the tokenizer.json added tokens (specials such as
// [CLS] and [SEP]) in the original text, leftmost-longest like HF, before
// normalisation.
type addedTokens struct {
	first  [256]bool
	tokens []addedToken // longest first
}

type addedToken struct {
	content string
	id      int32
	cps     int // length in code points
}

func (a *addedTokens) add(content string, id int32) {
	if content == "" {
		return
	}
	a.first[content[0]] = true
	tok := addedToken{content, id, utf8.RuneCountInString(content)}
	i := len(a.tokens)
	for i > 0 && len(a.tokens[i-1].content) < len(content) {
		i--
	}
	a.tokens = append(a.tokens, addedToken{})
	copy(a.tokens[i+1:], a.tokens[i:])
	a.tokens[i] = tok
}

// match returns the longest added token that text starts with.
func (a *addedTokens) match(text string) (id int32, n, cps int) {
	for _, tok := range a.tokens {
		if len(tok.content) <= len(text) && text[:len(tok.content)] == tok.content {
			return tok.id, len(tok.content), tok.cps
		}
	}
	return 0, 0, 0
}
