package tokenizer

import (
	"bufio"
	"encoding/json"
	"os"
	"reflect"
	"testing"
)

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
	modes := []struct {
		name string
		opts Options
	}{
		{"full", Options{NoTruncate: true, NoPadding: true}},
		{"max512", Options{MaxLength: 512, NoPadding: true}},
		{"max64", Options{MaxLength: 64, NoPadding: true}},
		{"file", Options{}},
	}
	for _, src := range []string{"vocab.txt", "tokenizer.json"} {
		path := vocabPath
		if src == "tokenizer.json" {
			path = minilmJSON(t)
		}
		tok := loadT(t, path)
		t.Run(src, func(t *testing.T) {
			checked, failed := 0, 0
			for _, m := range modes {
				if m.name == "file" && src == "vocab.txt" {
					continue // a vocab.txt configures no truncation or padding
				}
				for _, c := range cases {
					want, ok := c.Want[m.name]
					if !ok {
						t.Fatalf("%s: no golden for mode %s", c.Name, m.name)
					}
					var got Encoding
					var err error
					if c.TextPair != nil {
						got, err = tok.EncodePair(c.Text, *c.TextPair, m.opts)
					} else {
						got, err = tok.Encode(c.Text, m.opts)
					}
					checked++
					if err != nil {
						t.Errorf("%s/%s: %v", m.name, c.Name, err)
						failed++
						continue
					}
					if !reflect.DeepEqual(got.IDs, want.IDs) || !reflect.DeepEqual(got.TypeIDs, want.TypeIDs) || !reflect.DeepEqual(got.Offsets, want.Offsets) ||
						(want.AttentionMask != nil && !reflect.DeepEqual(got.AttentionMask, want.AttentionMask)) {
						failed++
						if failed <= 10 {
							t.Errorf("%s/%s (%q): %s", m.name, c.Name, truncateForLog(c.Text), firstDiff(got, want))
						}
					}
				}
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
	n := min(len(got.IDs), len(want.IDs))
	for i := 0; i < n; i++ {
		if got.IDs[i] != want.IDs[i] || got.TypeIDs[i] != want.TypeIDs[i] || got.Offsets[i] != want.Offsets[i] {
			return "token " + itoa(i) + ": got id " + itoa(int(got.IDs[i])) + " (" + got.Tokens[i] + ") type " + itoa(int(got.TypeIDs[i])) +
				" offsets " + itoa(got.Offsets[i][0]) + "-" + itoa(got.Offsets[i][1]) + "; want id " + itoa(int(want.IDs[i])) +
				" type " + itoa(int(want.TypeIDs[i])) + " offsets " + itoa(want.Offsets[i][0]) + "-" + itoa(want.Offsets[i][1])
		}
	}
	if len(got.IDs) != len(want.IDs) {
		return "length " + itoa(len(got.IDs)) + "; want " + itoa(len(want.IDs))
	}
	return "attention mask differs"
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }
