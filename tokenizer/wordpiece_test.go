package tokenizer

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// greedy is HF's WordPiece::tokenize, the quadratic reference that
// LinMaxMatch must reproduce: longest prefix in the vocabulary first,
// continuations with the prefix, the whole word unknown if any step fails.
func greedy(vocab map[string]int32, word string, maxChars int, prefix string) ([]pop, bool) {
	if len([]rune(word)) > maxChars {
		return nil, false
	}
	var out []pop
	for start := 0; start < len(word); {
		end, found := len(word), false
		for start < end {
			sub := word[start:end]
			if start > 0 {
				sub = prefix + sub
			}
			if id, ok := vocab[sub]; ok {
				out = append(out, pop{id, int32(end - start)})
				found = true
				break
			}
			end--
			for end > start && (word[end]&0xC0) == 0x80 {
				end--
			}
		}
		if !found {
			return nil, false
		}
		start = end
	}
	return out, true
}

func TestWordPieceMatchesGreedy(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "b", "c", "#", "é"}
	randWord := func(n int) string {
		var sb strings.Builder
		for range n {
			sb.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		return sb.String()
	}
	for trial := 0; trial < 300; trial++ {
		vocab := map[string]int32{"[UNK]": 0}
		for range 1 + rng.IntN(40) {
			w := randWord(1 + rng.IntN(5))
			if rng.IntN(2) == 0 {
				w = "##" + w
			}
			if _, ok := vocab[w]; !ok {
				vocab[w] = int32(len(vocab))
			}
		}
		wp, err := buildWordPiece(vocab, "[UNK]", "##", 12)
		if err != nil {
			t.Fatal(err)
		}
		for range 50 {
			word := randWord(1 + rng.IntN(14))
			want, wantOK := greedy(vocab, word, 12, "##")
			got, gotOK := wp.tokenize([]byte(word), len([]rune(word)), nil)
			if gotOK != wantOK || (wantOK && !reflect.DeepEqual(got, want)) {
				t.Fatalf("vocab %v, word %q: tokenize = %v, %v; want %v, %v (greedy)", vocab, word, got, gotOK, want, wantOK)
			}
		}
	}
}

// BenchmarkWordPieceLinear shows time per byte staying flat as words grow:
// the vocabulary makes greedy longest-match rescan quadratically (a^k is
// a token only for k up to 64, and ## continuations restart the search).
func BenchmarkWordPieceLinear(b *testing.B) {
	vocab := map[string]int32{"[UNK]": 0}
	for k := 1; k <= 64; k++ {
		vocab[strings.Repeat("a", k)] = int32(len(vocab))
		vocab["##"+strings.Repeat("a", k)] = int32(len(vocab))
	}
	vocab[strings.Repeat("a", 64)+"b"] = int32(len(vocab))
	wp, err := buildWordPiece(vocab, "[UNK]", "##", 1<<30)
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{1 << 10, 1 << 14, 1 << 18} {
		word := []byte(strings.Repeat("a", n))
		b.Run(fmt.Sprintf("%dB", n), func(b *testing.B) {
			b.SetBytes(int64(n))
			var dst []pop
			for i := 0; i < b.N; i++ {
				var ok bool
				if dst, ok = wp.tokenize(word, n, dst[:0]); !ok {
					b.Fatal("unexpected [UNK]")
				}
			}
		})
	}
}
