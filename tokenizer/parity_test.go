package tokenizer

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"testing"
)

// minilmWithNormalizer parses the all-minilm tokenizer.json with its
// BertNormalizer settings replaced.
func minilmWithNormalizer(t *testing.T, clean, cjk, strip, lower bool) *Tokenizer {
	t.Helper()
	data, err := os.ReadFile(minilmJSON(t))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	m["normalizer"] = map[string]any{"type": "BertNormalizer", "clean_text": clean, "handle_chinese_chars": cjk, "strip_accents": strip, "lowercase": lower}
	if data, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	tok, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// goldenCase is one corpus line with HF tokenizers' output for it
// (benchmarks/tokenizer/gen-goldens.sh writes both files).
type goldenCase struct {
	Name     string  `json:"name"`
	Text     string  `json:"text"`
	TextPair *string `json:"text_pair"`
	Want     map[string]goldenEncoding
}

type goldenEncoding struct {
	IDs           []int32  `json:"ids"`
	TypeIDs       []int32  `json:"type_ids"`
	Offsets       [][2]int `json:"offsets"`
	AttentionMask []int32  `json:"attention_mask"`
}

func readJSONL[T any](t *testing.T, path string) []T {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%s:%d: %v", path, len(out)+1, err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// loadGoldens reads the committed corpus, or the one in
// $INFERGATE_TOKENIZER_GOLDENS (benchmarks/tokenizer/parity-random.sh).
func loadGoldens(t *testing.T) []goldenCase {
	dir, minCases := "../benchmarks/tokenizer", 400
	if d := os.Getenv("INFERGATE_TOKENIZER_GOLDENS"); d != "" {
		dir, minCases = d, 1
	}
	cases := readJSONL[goldenCase](t, dir+"/corpus.jsonl")
	wants := readJSONL[map[string]goldenEncoding](t, dir+"/goldens.jsonl")
	if len(cases) != len(wants) || len(cases) < minCases {
		t.Fatalf("corpus has %d cases, goldens %d; regenerate with benchmarks/tokenizer/gen-goldens.sh", len(cases), len(wants))
	}
	for i := range cases {
		cases[i].Want = wants[i]
	}
	return cases
}

// TestParityWithHF requires 100% equality of ids, type ids and offsets
// with HF tokenizers over the whole corpus, for both ways of loading.
func TestParityWithHF(t *testing.T) {
	cases := loadGoldens(t)
	type source struct {
		name  string
		tok   *Tokenizer
		modes []string
	}
	full := Options{NoTruncate: true, NoPadding: true}
	opts := map[string]Options{
		"full": full, "max512": {MaxLength: 512, NoPadding: true}, "max64": {MaxLength: 64, NoPadding: true}, "file": {},
		"cased": full, "lower_nostrip": full, "raw": full,
	}
	sources := []source{
		// A vocab.txt configures no truncation or padding: no "file" mode.
		{"vocab.txt", loadT(t, vocabPath), []string{"full", "max512", "max64"}},
		{"tokenizer.json", loadT(t, minilmJSON(t)), []string{"full", "max512", "max64", "file"}},
		{"cased", minilmWithNormalizer(t, true, true, false, false), []string{"cased"}},
		{"lower_nostrip", minilmWithNormalizer(t, true, true, false, true), []string{"lower_nostrip"}},
		{"raw", minilmWithNormalizer(t, false, false, false, false), []string{"raw"}},
	}
	for _, src := range sources {
		t.Run(src.name, func(t *testing.T) {
			checked, failed := 0, 0
			for _, mode := range src.modes {
				for _, c := range cases {
					want, ok := c.Want[mode]
					if !ok {
						continue // the normalizer variants skip the long texts
					}
					var got Encoding
					var err error
					if c.TextPair != nil {
						got, err = src.tok.EncodePair(c.Text, *c.TextPair, opts[mode])
					} else {
						got, err = src.tok.Encode(c.Text, opts[mode])
					}
					checked++
					if err != nil {
						t.Errorf("%s/%s: %v", mode, c.Name, err)
						failed++
						continue
					}
					if !reflect.DeepEqual(got.IDs, want.IDs) || !reflect.DeepEqual(got.TypeIDs, want.TypeIDs) || !reflect.DeepEqual(got.Offsets, want.Offsets) ||
						(want.AttentionMask != nil && !reflect.DeepEqual(got.AttentionMask, want.AttentionMask)) {
						failed++
						if failed <= 10 {
							t.Errorf("%s/%s (%q): %s", mode, c.Name, truncateForLog(c.Text), firstDiff(got, want))
						}
					}
				}
			}
			if checked < len(cases)*len(src.modes)*9/10 {
				t.Errorf("only %d encodings checked; the goldens lack modes %v", checked, src.modes)
			}
			if failed > 0 {
				t.Errorf("%d of %d encodings differ from HF tokenizers", failed, checked)
			}
		})
	}
}

func truncateForLog(s string) string {
	r := []rune(s)
	if len(r) > 60 {
		return string(r[:60]) + "…"
	}
	return s
}

func firstDiff(got Encoding, want goldenEncoding) string {
	for i := range min(len(got.IDs), len(want.IDs)) {
		if got.IDs[i] != want.IDs[i] || got.TypeIDs[i] != want.TypeIDs[i] || got.Offsets[i] != want.Offsets[i] {
			return fmt.Sprintf("token %d: got id %d (%s) type %d offsets %v; want id %d type %d offsets %v",
				i, got.IDs[i], got.Tokens[i], got.TypeIDs[i], got.Offsets[i], want.IDs[i], want.TypeIDs[i], want.Offsets[i])
		}
	}
	if len(got.IDs) != len(want.IDs) {
		return fmt.Sprintf("length %d; want %d", len(got.IDs), len(want.IDs))
	}
	return "attention mask differs"
}
