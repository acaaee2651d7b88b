package tokenizer

import (
	"strings"
	"testing"
)

// benchTexts is the parity corpus's prose: the long texts, which are
// mixed-script and punctuation-heavy like real traffic.
func benchTexts(b *testing.B) ([]string, int) {
	b.Helper()
	var texts []string
	size := 0
	for _, c := range readJSONL[goldenCase](&testing.T{}, "../benchmarks/tokenizer/corpus.jsonl") {
		if strings.HasPrefix(c.Name, "long-text/") || strings.HasPrefix(c.Name, "mixed/") || strings.HasPrefix(c.Name, "script/") {
			texts = append(texts, c.Text)
			size += len(c.Text)
		}
	}
	return texts, size
}

func BenchmarkEncode(b *testing.B) {
	tok := loadT(b, vocabPath)
	texts, size := benchTexts(b)
	var e Encoding
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	tokens := 0
	for i := 0; i < b.N; i++ {
		tokens = 0
		for _, s := range texts {
			if err := tok.EncodeTo(&e, s, Options{NoTruncate: true}); err != nil {
				b.Fatal(err)
			}
			tokens += e.Len()
		}
	}
	b.ReportMetric(float64(tokens)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}

func BenchmarkEncodeASCII(b *testing.B) {
	tok := loadT(b, vocabPath)
	text := strings.Repeat("The quick brown fox jumps over the lazy dog, doesn't it? Tokenization at 3.5 GB/s! ", 50)
	var e Encoding
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := tok.EncodeTo(&e, text, Options{NoTruncate: true}); err != nil {
			b.Fatal(err)
		}
	}
}
