package tokenizer

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// The expectations below were produced by HF tokenizers 0.23.2 (Node
// binding) with the all-MiniLM-L6-v2 tokenizer.json, padding and
// truncation disabled; the golden corpus in benchmarks/tokenizer covers far
// more, these pin the individual rules.
func TestEncodeRules(t *testing.T) {
	tests := []struct {
		name   string
		give   string
		tokens []string
		ids    []int32
		offs   [][2]int
	}{
		{"empty", "", []string{"[CLS]", "[SEP]"}, []int32{101, 102}, [][2]int{{0, 0}, {0, 0}}},
		{"whitespace only", "  \t\n ", []string{"[CLS]", "[SEP]"}, []int32{101, 102}, [][2]int{{0, 0}, {0, 0}}},
		{"punctuation", "Hello, world!", []string{"[CLS]", "hello", ",", "world", "!", "[SEP]"}, []int32{101, 7592, 1010, 2088, 999, 102},
			[][2]int{{0, 0}, {0, 5}, {5, 6}, {7, 12}, {12, 13}, {0, 0}}},
		{"apostrophe and dash", "don't stop-believing", []string{"[CLS]", "don", "'", "t", "stop", "-", "believing", "[SEP]"},
			[]int32{101, 2123, 1005, 1056, 2644, 1011, 8929, 102}, [][2]int{{0, 0}, {0, 3}, {3, 4}, {4, 5}, {6, 10}, {10, 11}, {11, 20}, {0, 0}}},
		{"accents stripped", "naïve café Ångström", []string{"[CLS]", "naive", "cafe", "ang", "##strom", "[SEP]"},
			[]int32{101, 15743, 7668, 17076, 15687, 102}, [][2]int{{0, 0}, {0, 5}, {6, 10}, {11, 14}, {14, 19}, {0, 0}}},
		{"NFD input", "e\u0301 nfd", []string{"[CLS]", "e", "n", "##f", "##d", "[SEP]"}, []int32{101, 1041, 1050, 2546, 2094, 102},
			[][2]int{{0, 0}, {0, 1}, {3, 4}, {4, 5}, {5, 6}, {0, 0}}},
		{"hangul decomposes to jamo", "가", []string{"[CLS]", "ᄀ", "##ᅡ", "[SEP]"}, []int32{101, 1455, 30006, 102}, [][2]int{{0, 0}, {0, 1}, {0, 1}, {0, 0}}},
		{"special token in text", "x[CLS]y", []string{"[CLS]", "x", "[CLS]", "y", "[SEP]"}, []int32{101, 1060, 101, 1061, 102},
			[][2]int{{0, 0}, {0, 1}, {1, 6}, {6, 7}, {0, 0}}},
		{"special tokens are case sensitive", "[cls]", []string{"[CLS]", "[", "cl", "##s", "]", "[SEP]"}, []int32{101, 1031, 18856, 2015, 1033, 102},
			[][2]int{{0, 0}, {0, 1}, {1, 3}, {3, 4}, {4, 5}, {0, 0}}},
		{"subwords", "antidisestablishmentarianism", []string{"[CLS]", "anti", "##dis", "##est", "##ab", "##lish", "##ment", "##arian", "##ism", "[SEP]"},
			[]int32{101, 3424, 10521, 4355, 7875, 13602, 3672, 12199, 2964, 102},
			[][2]int{{0, 0}, {0, 4}, {4, 7}, {7, 10}, {10, 12}, {12, 16}, {16, 20}, {20, 25}, {25, 28}, {0, 0}}},
		{"word over 100 chars", strings.Repeat("a", 101), []string{"[CLS]", "[UNK]", "[SEP]"}, []int32{101, 100, 102}, [][2]int{{0, 0}, {0, 101}, {0, 0}}},
		{"unmatchable word", "ภาษาไทย", []string{"[CLS]", "[UNK]", "[SEP]"}, []int32{101, 100, 102}, [][2]int{{0, 0}, {0, 7}, {0, 0}}},
		{"full width", "ＦＵＬＬ　ｗｉｄｔｈ１２３", []string{"[CLS]", "[UNK]", "[UNK]", "[SEP]"}, []int32{101, 100, 100, 102}, [][2]int{{0, 0}, {0, 4}, {5, 13}, {0, 0}}},
		{"devanagari marks", "हिन्दी", []string{"[CLS]", "ह", "##ि", "##न", "##द", "##ी", "[SEP]"}, []int32{101, 1339, 29877, 29863, 29861, 29878, 102},
			[][2]int{{0, 0}, {0, 1}, {1, 2}, {2, 3}, {4, 5}, {5, 6}, {0, 0}}},
		{"cjk split, kana not", "日本語のテキスト", []string{"[CLS]", "日", "本", "語", "の", "##テ", "##キ", "##ス", "##ト", "[SEP]"},
			[]int32{101, 1864, 1876, 1950, 1671, 30239, 30227, 30233, 30240, 102},
			[][2]int{{0, 0}, {0, 1}, {1, 2}, {2, 3}, {3, 4}, {4, 5}, {5, 6}, {6, 7}, {7, 8}, {0, 0}}},
		{"emoji zwj sequence", "👩\u200d👩\u200d👧 ok", []string{"[CLS]", "[UNK]", "ok", "[SEP]"}, []int32{101, 100, 7929, 102}, [][2]int{{0, 0}, {0, 5}, {6, 8}, {0, 0}}},
		{"controls removed inside a word", "a\x00b\u200bc\ufeffd", []string{"[CLS]", "abc", "##d", "[SEP]"}, []int32{101, 5925, 2094, 102},
			[][2]int{{0, 0}, {0, 5}, {6, 7}, {0, 0}}},
		{"mixed", "Héllo 😀world [SEP] x İstanbul 中文字", []string{"[CLS]", "hello", "[UNK]", "[SEP]", "x", "istanbul", "中", "文", "[UNK]", "[SEP]"},
			[]int32{101, 7592, 100, 102, 1060, 9960, 1746, 1861, 100, 102},
			[][2]int{{0, 0}, {0, 5}, {6, 12}, {13, 18}, {19, 20}, {21, 29}, {30, 31}, {31, 32}, {32, 33}, {0, 0}}},
	}
	for _, src := range []string{"vocab.txt", "tokenizer.json"} {
		path := vocabPath
		if src == "tokenizer.json" {
			path = minilmJSON(t)
		}
		tok := loadT(t, path)
		for _, tt := range tests {
			t.Run(src+"/"+tt.name, func(t *testing.T) {
				got, err := tok.Encode(tt.give, Options{NoTruncate: true, NoPadding: true})
				if err != nil {
					t.Fatalf("Encode(%q): %v", tt.give, err)
				}
				if !reflect.DeepEqual(got.Tokens, tt.tokens) || !reflect.DeepEqual(got.IDs, tt.ids) || !reflect.DeepEqual(got.Offsets, tt.offs) {
					t.Errorf("Encode(%q) = %q %v %v; want %q %v %v", tt.give, got.Tokens, got.IDs, got.Offsets, tt.tokens, tt.ids, tt.offs)
				}
				for i := range got.IDs {
					if got.TypeIDs[i] != 0 || got.AttentionMask[i] != 1 {
						t.Fatalf("Encode(%q): type id %d, mask %d at %d; want 0, 1", tt.give, got.TypeIDs[i], got.AttentionMask[i], i)
					}
				}
			})
		}
	}
}

func TestTruncationAndPairs(t *testing.T) {
	tok := loadT(t, vocabPath)
	tests := []struct {
		name      string
		a, b      string
		pair      bool
		opts      Options
		tokens    string
		typeIDs   []int32
		truncated bool
	}{
		{"pair", "one two three four five", "six seven", true, Options{},
			"[CLS] one two three four five [SEP] six seven [SEP]", []int32{0, 0, 0, 0, 0, 0, 0, 1, 1, 1}, false},
		{"pair longest first", "one two three four five", "six seven", true, Options{MaxLength: 8},
			"[CLS] one two three [SEP] six seven [SEP]", []int32{0, 0, 0, 0, 0, 1, 1, 1}, true},
		{"pair both truncated", "a b c d e f g h i j", "k l m n o p q r s t u v", true, Options{MaxLength: 8},
			"[CLS] a b [SEP] k l m [SEP]", []int32{0, 0, 0, 0, 1, 1, 1, 1}, true},
		{"single", "one two three four five six seven eight nine", "", false, Options{MaxLength: 8},
			"[CLS] one two three four five six [SEP]", []int32{0, 0, 0, 0, 0, 0, 0, 0}, true},
		{"fits exactly", "one two", "", false, Options{MaxLength: 4}, "[CLS] one two [SEP]", []int32{0, 0, 0, 0}, false},
		{"fits with trailing space", "one two  \t ", "", false, Options{MaxLength: 4}, "[CLS] one two [SEP]", []int32{0, 0, 0, 0}, false},
		{"long text", strings.Repeat("one two ", 5000), "", false, Options{MaxLength: 5}, "[CLS] one two one [SEP]", []int32{0, 0, 0, 0, 0}, true},
		{"only specials", "one two", "", false, Options{MaxLength: 2}, "[CLS] [SEP]", []int32{0, 0}, true},
		{"empty pair", "", "", true, Options{}, "[CLS] [SEP] [SEP]", []int32{0, 0, 1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got Encoding
			var err error
			if tt.pair {
				got, err = tok.EncodePair(tt.a, tt.b, tt.opts)
			} else {
				got, err = tok.Encode(tt.a, tt.opts)
			}
			if err != nil {
				t.Fatalf("encode(%q, %q): %v", tt.a, tt.b, err)
			}
			if s := strings.Join(got.Tokens, " "); s != tt.tokens || !reflect.DeepEqual(got.TypeIDs, tt.typeIDs) || got.Truncated != tt.truncated {
				t.Errorf("encode(%q, %q, %+v) = %q %v truncated=%v; want %q %v %v", tt.a, tt.b, tt.opts, s, got.TypeIDs, got.Truncated, tt.tokens, tt.typeIDs, tt.truncated)
			}
		})
	}
}

func TestLoadedConfig(t *testing.T) {
	tok := loadT(t, minilmJSON(t))
	long := strings.Repeat("word ", 300)
	tests := []struct {
		name       string
		give       string
		opts       Options
		wantLen    int
		wantTokens int // unpadded
	}{
		{"padding and truncation from the file", "a b", Options{}, 128, 4},
		{"file truncation", long, Options{}, 128, 128},
		{"no padding", "a b", Options{NoPadding: true}, 4, 4},
		{"max length overrides", long, Options{MaxLength: 512}, 302, 302},
		{"max length with padding", long, Options{MaxLength: 64}, 128, 64},
		{"no truncation", long, Options{NoTruncate: true, NoPadding: true}, 302, 302},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tok.Encode(tt.give, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			real := 0
			for _, m := range got.AttentionMask {
				real += int(m)
			}
			if got.Len() != tt.wantLen || real != tt.wantTokens {
				t.Errorf("Encode(%d bytes, %+v): len %d, %d real tokens; want %d, %d", len(tt.give), tt.opts, got.Len(), real, tt.wantLen, tt.wantTokens)
			}
			for i := real; i < got.Len(); i++ {
				if got.IDs[i] != 0 || got.Tokens[i] != "[PAD]" || got.Offsets[i] != [2]int{} {
					t.Fatalf("padding at %d = %d %q %v; want 0 [PAD] [0 0]", i, got.IDs[i], got.Tokens[i], got.Offsets[i])
				}
			}
		})
	}
}

func TestPaddingAndDirections(t *testing.T) {
	tests := []struct {
		name string
		edit func(m map[string]any)
		give string
		want string
	}{
		{"left padding", func(m map[string]any) {
			m["truncation"] = nil
			m["padding"] = map[string]any{"strategy": map[string]any{"Fixed": 6}, "direction": "Left", "pad_id": 0, "pad_type_id": 0, "pad_token": "[PAD]"}
		}, "a b", "[PAD] [PAD] [CLS] a b [SEP]"},
		{"pad to multiple", func(m map[string]any) {
			m["truncation"] = nil
			m["padding"] = map[string]any{"strategy": "BatchLongest", "direction": "Right", "pad_to_multiple_of": 4, "pad_id": 0, "pad_type_id": 0, "pad_token": "[PAD]"}
		}, "a b c", "[CLS] a b c [SEP] [PAD] [PAD] [PAD]"},
		{"left truncation", func(m map[string]any) {
			m["padding"] = nil
			m["truncation"] = map[string]any{"direction": "Left", "max_length": 5, "strategy": "LongestFirst", "stride": 0}
		}, "a b c d e f", "[CLS] d e f [SEP]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := jsonVariant(t, tt.edit)
			if err != nil {
				t.Fatal(err)
			}
			got, err := tok.Encode(tt.give, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if s := strings.Join(got.Tokens, " "); s != tt.want {
				t.Errorf("Encode(%q) = %q; want %q", tt.give, s, tt.want)
			}
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	tok := loadT(t, vocabPath)
	tests := []struct {
		name string
		give string
		opts Options
		is   error
	}{
		{"invalid utf-8", "ab\xffcd", Options{}, ErrInvalidUTF8},
		{"truncated utf-8", "caf\xc3", Options{}, ErrInvalidUTF8},
		{"invalid after the truncation point", strings.Repeat("word ", 1000) + "\xff", Options{MaxLength: 16}, ErrInvalidUTF8},
		{"negative max length", "a", Options{MaxLength: -1}, ErrInvalidOptions},
		{"max length below specials", "a", Options{MaxLength: 1}, ErrInvalidOptions},
		{"contradictory options", "a", Options{MaxLength: 8, NoTruncate: true}, ErrInvalidOptions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tok.Encode(tt.give, tt.opts)
			if !errors.Is(err, tt.is) {
				t.Errorf("Encode(%q, %+v) error = %v; want an error (is %v)", tt.give, tt.opts, err, tt.is)
			}
		})
	}
	if _, err := tok.EncodePair("a", "b\xff", Options{}); !errors.Is(err, ErrInvalidUTF8) {
		t.Errorf("EncodePair with invalid pair: error = %v; want ErrInvalidUTF8", err)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		edit func(m map[string]any)
		want string
	}{
		{"bpe model", func(m map[string]any) { m["model"].(map[string]any)["type"] = "BPE" }, `model type "BPE"`},
		{"other normalizer", func(m map[string]any) { m["normalizer"] = map[string]any{"type": "NFKC"} }, `normalizer type "NFKC"`},
		{"other pre-tokenizer", func(m map[string]any) { m["pre_tokenizer"] = map[string]any{"type": "Whitespace"} }, `pre_tokenizer type "Whitespace"`},
		{"roberta processing", func(m map[string]any) { m["post_processor"] = map[string]any{"type": "RobertaProcessing"} }, `post_processor type "RobertaProcessing"`},
		{"lstrip added token", func(m map[string]any) {
			m["added_tokens"].([]any)[0].(map[string]any)["lstrip"] = true
		}, "added_tokens[0]"},
		{"unk missing", func(m map[string]any) { m["model"].(map[string]any)["unk_token"] = "<unk>" }, "unk_token <unk>"},
		{"padding strategy", func(m map[string]any) { m["padding"].(map[string]any)["strategy"] = "Sometimes" }, "padding.strategy"},
		{"truncation below specials", func(m map[string]any) { m["truncation"].(map[string]any)["max_length"] = 1 }, "truncation.max_length 1"},
		{"template names an unknown special", func(m map[string]any) {
			delete(m["post_processor"].(map[string]any)["special_tokens"].(map[string]any), "[SEP]")
		}, `special token "[SEP]"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := jsonVariant(t, tt.edit)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse error = %v; want one naming %q", err, tt.want)
			}
		})
	}
	if _, err := Load("does/not/exist.txt"); err == nil {
		t.Error("Load(missing file) succeeded")
	}
	if _, err := Parse([]byte("")); err == nil {
		t.Error("Parse(empty) succeeded")
	}
	if _, err := Parse([]byte("{not json")); err == nil {
		t.Error("Parse(broken json) succeeded")
	}
	for _, vocab := range []string{"[CLS]\n[SEP]\na\n", "[UNK]\n[SEP]\na\n"} {
		if _, err := Parse([]byte(vocab)); err == nil {
			t.Errorf("Parse(vocab.txt %q) succeeded; want an error naming the missing token", vocab)
		}
	}
}

func TestVocabMatchesJSON(t *testing.T) {
	a, b := loadT(t, vocabPath), loadT(t, minilmJSON(t))
	if !reflect.DeepEqual(a.Vocab(), b.Vocab()) {
		t.Fatal("vocab.txt and tokenizer.json vocabularies differ")
	}
	if a.VocabSize() != 30522 || a.PadID() != 0 || b.PadID() != 0 {
		t.Errorf("VocabSize, PadID = %d, %d, %d; want 30522, 0, 0", a.VocabSize(), a.PadID(), b.PadID())
	}
}

func TestTruncationStrategies(t *testing.T) {
	tests := []struct {
		name     string
		strategy string
		a, b     string
		want     string
		is       error
	}{
		// Expectations from HF tokenizers 0.23.2 (setTruncation(7, {strategy})).
		{"only second", "OnlySecond", "a b", "k l m n o p q r s t u v", "[CLS] a b [SEP] k l [SEP]", nil},
		{"only first", "OnlyFirst", "a b c d e f g", "k l", "[CLS] a b [SEP] k l [SEP]", nil},
		{"only first too short", "OnlyFirst", "a", "k l m n o p q r s t u v", "", ErrInvalidOptions},
		{"longest first", "LongestFirst", "a b c d e f g", "k l", "[CLS] a b [SEP] k l [SEP]", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := jsonVariant(t, func(m map[string]any) {
				m["padding"] = nil
				m["truncation"] = map[string]any{"direction": "Right", "max_length": 7, "strategy": tt.strategy, "stride": 0}
			})
			if err != nil {
				t.Fatal(err)
			}
			got, err := tok.EncodePair(tt.a, tt.b, Options{})
			if tt.is != nil {
				if !errors.Is(err, tt.is) {
					t.Fatalf("EncodePair(%q, %q) error = %v; want %v", tt.a, tt.b, err, tt.is)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s := strings.Join(got.Tokens, " "); s != tt.want || !got.Truncated {
				t.Errorf("EncodePair(%q, %q) = %q truncated=%v; want %q true", tt.a, tt.b, s, got.Truncated, tt.want)
			}
		})
	}
}

// TestPathologicalInputs guards the linear-time promise on inputs that
// would make a naive implementation quadratic or memory-hungry.
func TestPathologicalInputs(t *testing.T) {
	tok := loadT(t, vocabPath)
	tests := []struct {
		name string
		give string
		want []string
		offs [][2]int
	}{
		{"one huge word", strings.Repeat("x", 1<<20), []string{"[CLS]", "[UNK]", "[SEP]"}, [][2]int{{0, 0}, {0, 1 << 20}, {0, 0}}},
		{"huge combining run", "a" + strings.Repeat("\u0301\u0316", 100000), []string{"[CLS]", "a", "[SEP]"}, [][2]int{{0, 0}, {0, 1}, {0, 0}}},
		{"huge run of punctuation", strings.Repeat("!", 200000), nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tok.Encode(tt.give, Options{NoTruncate: true})
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == nil {
				if got.Len() != len(tt.give)+2 {
					t.Errorf("Encode: %d tokens; want %d", got.Len(), len(tt.give)+2)
				}
				return
			}
			if !reflect.DeepEqual(got.Tokens, tt.want) || !reflect.DeepEqual(got.Offsets, tt.offs) {
				t.Errorf("Encode = %q %v; want %q %v", got.Tokens, got.Offsets, tt.want, tt.offs)
			}
		})
	}
}

// TestPairTruncationWordCaps pins HF's longest_first rule for pairs: each
// length is capped at the first whole word reaching max_length (from the
// kept side) before deciding which sequence gets the odd token. Measured
// on HF tokenizers 0.23.2 with max_length 14 ("abc" is three tokens here).
func TestPairTruncationWordCaps(t *testing.T) {
	tests := []struct {
		a, b      string
		left      bool
		wantA     int
		wantB     int
		truncated bool
	}{
		{strings.Repeat("abc ", 5), strings.Repeat("b ", 14), false, 6, 5, true},
		{strings.Repeat("abc ", 5), strings.Repeat("b ", 15), false, 6, 5, true},
		{strings.Repeat("b ", 13) + "abc", strings.Repeat("b ", 14), false, 6, 5, true},
		{strings.Repeat("b ", 14), strings.Repeat("abc ", 5), false, 5, 6, true},
		{"b abc abc abc abc", strings.Repeat("b ", 14), false, 5, 6, true},
		{strings.Repeat("b ", 16), strings.Repeat("b ", 15), false, 5, 6, true},
		{strings.Repeat("abc ", 5), strings.Repeat("b ", 15), true, 6, 5, true},
		{strings.Repeat("b ", 13) + "abc", strings.Repeat("b ", 14), true, 5, 6, true},
		{strings.Repeat("b ", 16), strings.Repeat("b ", 15), true, 5, 6, true},
		{"b b", "c c c", false, 2, 3, false},
	}
	for _, tt := range tests {
		dir := "Right"
		if tt.left {
			dir = "Left"
		}
		tok, err := jsonVariant(t, func(m map[string]any) {
			m["padding"] = nil
			m["truncation"] = map[string]any{"direction": dir, "max_length": 14, "strategy": "LongestFirst", "stride": 0}
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := tok.EncodePair(tt.a, tt.b, Options{})
		if err != nil {
			t.Fatal(err)
		}
		n := [2]int{}
		for _, ty := range got.TypeIDs {
			n[ty]++
		}
		if n[0]-2 != tt.wantA || n[1]-1 != tt.wantB || got.Truncated != tt.truncated {
			t.Errorf("EncodePair(%q, %q, %s) keeps %d and %d tokens, truncated=%v; want %d and %d, %v",
				tt.a, tt.b, dir, n[0]-2, n[1]-1, got.Truncated, tt.wantA, tt.wantB, tt.truncated)
		}
	}
}
