package tokenizer

import (
	"encoding/json"
	"os"
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

func loadT(t testing.TB, path string) *Tokenizer {
	t.Helper()
	tok, err := Load(path)
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	return tok
}

// jsonVariant loads the all-minilm tokenizer.json with edit applied to its
// decoded form.
func jsonVariant(t testing.TB, edit func(m map[string]any)) (*Tokenizer, error) {
	t.Helper()
	data, err := os.ReadFile(minilmJSON(t))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	data, err = json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return Parse(data)
}
