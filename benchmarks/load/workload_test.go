package load

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestGeneratorLengths(t *testing.T) {
	tests := []struct {
		give     Lengths
		min, max int // words
	}{
		{Short, 3, 12 + 16},
		{Long, 120, 250 + 16},
		{Mixed, 3, 250 + 16},
	}
	for _, tt := range tests {
		g, err := NewGenerator(GeneratorOptions{Lengths: tt.give, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		long := 0
		for _, text := range g.Next(1000) {
			n := len(strings.Fields(text))
			if n < tt.min || n > tt.max {
				t.Fatalf("%s: text of %d words; want [%d, %d]", tt.give, n, tt.min, tt.max)
			}
			if n >= 120 {
				long++
			}
		}
		if tt.give == Mixed && (long < 60 || long > 140) {
			t.Errorf("mixed: %d of 1000 long texts; want about 100", long)
		}
	}
	if _, err := NewGenerator(GeneratorOptions{Lengths: "huge"}); err == nil {
		t.Error("NewGenerator(huge): want an error")
	}
}

func TestGeneratorDistinctRatio(t *testing.T) {
	tests := []struct {
		distinct float64
	}{{1}, {0.5}, {0.1}}
	for _, tt := range tests {
		g, err := NewGenerator(GeneratorOptions{Lengths: Short, Distinct: tt.distinct, Seed: 9})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		const n = 4000
		for _, text := range g.Next(n) {
			seen[text] = true
		}
		got := float64(len(seen)) / n
		if got < tt.distinct-0.03 || got > tt.distinct+0.03 {
			t.Errorf("distinct %.2f: %.3f of texts were new; want within 0.03", tt.distinct, got)
		}
	}
	for _, bad := range []float64{-1, 1.5} {
		if _, err := NewGenerator(GeneratorOptions{Distinct: bad}); err == nil {
			t.Errorf("NewGenerator(distinct %v): want an error", bad)
		}
	}
}

func TestGeneratorSeededAndFileTexts(t *testing.T) {
	a, _ := NewGenerator(GeneratorOptions{Lengths: Mixed, Seed: 5, Distinct: 0.5})
	b, _ := NewGenerator(GeneratorOptions{Lengths: Mixed, Seed: 5, Distinct: 0.5})
	if !reflect.DeepEqual(a.Next(50), b.Next(50)) {
		t.Error("same seed gave different texts")
	}
	path := filepath.Join(t.TempDir(), "texts.txt")
	os.WriteFile(path, []byte("one\n\n  two  \nthree\n"), 0o644)
	texts, err := ReadTexts(path)
	if err != nil {
		t.Fatal(err)
	}
	g, _ := NewGenerator(GeneratorOptions{Texts: texts})
	if got, want := g.Next(4), []string{"one", "two", "three", "one"}; !reflect.DeepEqual(got, want) {
		t.Errorf("file texts = %q; want %q", got, want)
	}
	empty := filepath.Join(t.TempDir(), "empty.txt")
	os.WriteFile(empty, []byte("\n\n"), 0o644)
	if _, err := ReadTexts(empty); err == nil {
		t.Error("ReadTexts(empty file): want an error")
	}
}
