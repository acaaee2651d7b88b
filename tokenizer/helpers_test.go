package tokenizer

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

const vocabPath = "../deploy/model_repository/langid/vocab.txt"

var minilmDir = sync.OnceValues(func() (string, error) {
	out, err := exec.Command("go", "mod", "download", "-json", "github.com/clems4ever/all-minilm-l6-v2-go").Output()
	if err != nil {
		return "", err
	}
	var m struct{ Dir string }
	if err := json.Unmarshal(out, &m); err != nil {
		return "", err
	}
	return m.Dir, nil
})

// minilmJSON is the path of the all-MiniLM-L6-v2 tokenizer.json (the
// bert-base-uncased vocabulary, truncation and padding to 128) in the Go
// module cache.
func minilmJSON(t testing.TB) string {
	t.Helper()
	dir, err := minilmDir()
	if err != nil {
		t.Fatalf("locating all-minilm-l6-v2-go: %v", err)
	}
	return filepath.Join(dir, "all_minilm_l6_v2", "tokenizer.json")
}

var loaded sync.Map // path -> *Tokenizer; tokenizers are immutable, tests share them

func loadT(t testing.TB, path string) *Tokenizer {
	t.Helper()
	if tok, ok := loaded.Load(path); ok {
		return tok.(*Tokenizer)
	}
	tok, err := Load(path)
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	loaded.Store(path, tok)
	return tok
}

// jsonVariant parses a small BERT tokenizer.json shaped like the
// all-minilm one (same sections, a vocabulary of specials, a-z, a few
// subwords), with edit applied to its decoded form.
func jsonVariant(t testing.TB, edit func(m map[string]any)) (*Tokenizer, error) {
	t.Helper()
	vocab := map[string]any{"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "[MASK]": 4}
	for c := 'a'; c <= 'z'; c++ {
		vocab[string(c)] = len(vocab)
		vocab["##"+string(c)] = len(vocab)
	}
	special := func(id int, s string) map[string]any {
		return map[string]any{"id": id, "content": s, "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}
	}
	tpl := func(kind string, id string, typeID int) map[string]any {
		return map[string]any{kind: map[string]any{"id": id, "type_id": typeID}}
	}
	m := map[string]any{
		"version":       "1.0",
		"truncation":    map[string]any{"direction": "Right", "max_length": 128, "strategy": "LongestFirst", "stride": 0},
		"padding":       map[string]any{"strategy": map[string]any{"Fixed": 128}, "direction": "Right", "pad_to_multiple_of": nil, "pad_id": 0, "pad_type_id": 0, "pad_token": "[PAD]"},
		"added_tokens":  []any{special(0, "[PAD]"), special(1, "[UNK]"), special(2, "[CLS]"), special(3, "[SEP]"), special(4, "[MASK]")},
		"normalizer":    map[string]any{"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": nil, "lowercase": true},
		"pre_tokenizer": map[string]any{"type": "BertPreTokenizer"},
		"post_processor": map[string]any{
			"type":   "TemplateProcessing",
			"single": []any{tpl("SpecialToken", "[CLS]", 0), tpl("Sequence", "A", 0), tpl("SpecialToken", "[SEP]", 0)},
			"pair": []any{tpl("SpecialToken", "[CLS]", 0), tpl("Sequence", "A", 0), tpl("SpecialToken", "[SEP]", 0),
				tpl("Sequence", "B", 1), tpl("SpecialToken", "[SEP]", 1)},
			"special_tokens": map[string]any{
				"[CLS]": map[string]any{"id": "[CLS]", "ids": []int{2}, "tokens": []string{"[CLS]"}},
				"[SEP]": map[string]any{"id": "[SEP]", "ids": []int{3}, "tokens": []string{"[SEP]"}},
			},
		},
		"decoder": map[string]any{"type": "WordPiece", "prefix": "##", "cleanup": true},
		"model":   map[string]any{"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100, "vocab": vocab},
	}
	edit(m)
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return Parse(data)
}
