package tokenizer

import (
	"errors"
	"reflect"
	"testing"
	"unicode/utf8"
)

// FuzzEncode checks the invariants every caller relies on, for any input:
// no panic; invalid UTF-8 rejected with ErrInvalidUTF8 and nothing else
// rejected; ids inside the vocabulary; offsets inside their text and
// non-decreasing; truncation respected; buffer reuse changes nothing.
func FuzzEncode(f *testing.F) {
	tok := loadT(f, vocabPath)
	for _, s := range []string{"", " ", "Hello, world!", "naïve café", "e\u0301\u0316 ѓ𝅲", "中文 한국어 ภาษาไทย", "[CLS] x [SEP]",
		"a\x00b\u200bc", "bad\xffutf8", "👩\u200d👩\u200d👧", "ＦＵＬＬ", "𑈶𑈵 \u1d165\u05b2"} {
		f.Add(s, "", uint8(0))
		f.Add(s, "pair text", uint8(9))
	}
	var reused Encoding
	f.Fuzz(func(t *testing.T, text, pair string, maxLen uint8) {
		opts := Options{NoTruncate: maxLen == 0, MaxLength: int(maxLen)}
		if maxLen > 0 && maxLen < 3 {
			opts.MaxLength = 3
		}
		isPair := len(pair)%2 == 1 // exercise both single and pair encoding
		var got Encoding
		var err error
		if isPair {
			got, err = tok.EncodePair(text, pair, opts)
		} else {
			got, err = tok.Encode(text, opts)
		}
		valid := utf8.ValidString(text) && (!isPair || utf8.ValidString(pair))
		if !valid {
			if !errors.Is(err, ErrInvalidUTF8) {
				t.Fatalf("invalid UTF-8 %q: error = %v; want ErrInvalidUTF8", text, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("Encode(%q, %q): %v", text, pair, err)
		}
		n := got.Len()
		if len(got.TypeIDs) != n || len(got.AttentionMask) != n || len(got.Tokens) != n || len(got.Offsets) != n {
			t.Fatalf("Encode(%q): slice lengths differ: %d %d %d %d %d", text, n, len(got.TypeIDs), len(got.AttentionMask), len(got.Tokens), len(got.Offsets))
		}
		if opts.MaxLength > 0 && n > opts.MaxLength {
			t.Fatalf("Encode(%q, max %d) has %d tokens", text, opts.MaxLength, n)
		}
		runes := [2]int{utf8.RuneCountInString(text), utf8.RuneCountInString(pair)}
		lastStart := [2]int{}
		for i, id := range got.IDs {
			if id < 0 || int(id) >= tok.VocabSize() {
				t.Fatalf("Encode(%q): id %d at %d outside the vocabulary", text, id, i)
			}
			o := got.Offsets[i]
			if o == [2]int{} {
				continue // special token
			}
			seq := int(got.TypeIDs[i])
			if o[0] < 0 || o[0] >= o[1] || o[1] > runes[seq] || o[0] < lastStart[seq] {
				t.Fatalf("Encode(%q, %q): offsets %v at %d outside [%d, %d] or decreasing", text, pair, o, i, lastStart[seq], runes[seq])
			}
			lastStart[seq] = o[0]
		}
		if isPair {
			err = tok.EncodePairTo(&reused, text, pair, opts)
		} else {
			err = tok.EncodeTo(&reused, text, opts)
		}
		if err != nil || !reflect.DeepEqual(reused, got) {
			t.Fatalf("EncodeTo into a reused buffer = %v, %v; want %v", reused.Tokens, err, got.Tokens)
		}
	})
}
