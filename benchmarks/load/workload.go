package load

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
)

// Workload yields the texts of successive requests. Implementations are safe
// for concurrent use.
type Workload interface {
	Next(n int) []string
}

// Lengths is a named distribution of text lengths, in words.
type Lengths string

const (
	// Short texts: 3 to 12 words, like queries or titles.
	Short Lengths = "short"
	// Mixed: 60% short, 30% of 20 to 60 words, 10% of 120 to 250 words (past
	// a 128-token limit), the case that length-grouped batching is for.
	Mixed Lengths = "mixed"
	// Long texts: 120 to 250 words, like paragraphs.
	Long Lengths = "long"
)

// ParseLengths checks a distribution name.
func ParseLengths(s string) (Lengths, error) {
	switch l := Lengths(s); l {
	case Short, Mixed, Long:
		return l, nil
	}
	return "", fmt.Errorf("unknown workload %q (want short, mixed or long)", s)
}

// GeneratorOptions configures a Generator.
type GeneratorOptions struct {
	// Lengths picks the built-in text generator; ignored when Texts is set.
	Lengths Lengths
	// Texts, when set, are used in order (wrapping around) instead of
	// generated ones.
	Texts []string
	// Distinct is the fraction of texts that are new (not sent before in
	// this run), in (0, 1]; 1 - Distinct is the cache hit rate a gateway with
	// a large enough cache sees. 0 means 1.
	Distinct float64
	// Seed makes the sequence reproducible.
	Seed uint64
}

const (
	historySize = 8192    // repeated texts are drawn from this many recent ones
	seenCap     = 1 << 20 // uniqueness is checked against at most this many texts
)

// Generator is the standard Workload: generated or file-provided texts, with
// a chosen share of repeats.
type Generator struct {
	mu       sync.Mutex
	opts     GeneratorOptions
	rng      *rand.Rand
	next     int // index of the next file text
	history  []string
	hpos     int
	seen     map[string]struct{}
	lengthFn func(*rand.Rand) int
}

// NewGenerator validates opts and builds a Generator.
func NewGenerator(opts GeneratorOptions) (*Generator, error) {
	if opts.Distinct == 0 {
		opts.Distinct = 1
	}
	if !(opts.Distinct > 0 && opts.Distinct <= 1) {
		return nil, fmt.Errorf("distinct ratio %v out of range (0, 1]", opts.Distinct)
	}
	g := &Generator{
		opts: opts,
		rng:  rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)),
		seen: make(map[string]struct{}),
	}
	if len(opts.Texts) > 0 {
		return g, nil
	}
	switch opts.Lengths {
	case Short, "":
		g.lengthFn = func(r *rand.Rand) int { return 3 + r.IntN(10) }
	case Long:
		g.lengthFn = func(r *rand.Rand) int { return 120 + r.IntN(131) }
	case Mixed:
		g.lengthFn = func(r *rand.Rand) int {
			switch p := r.Float64(); {
			case p < 0.6:
				return 3 + r.IntN(10)
			case p < 0.9:
				return 20 + r.IntN(41)
			default:
				return 120 + r.IntN(131)
			}
		}
	default:
		return nil, fmt.Errorf("unknown workload %q (want short, mixed or long)", opts.Lengths)
	}
	return g, nil
}

// Next returns n texts for one request.
func (g *Generator) Next(n int) []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]string, n)
	for i := range out {
		if len(g.history) == 0 || g.rng.Float64() < g.opts.Distinct {
			out[i] = g.fresh()
			g.remember(out[i])
		} else {
			out[i] = g.history[g.rng.IntN(len(g.history))]
		}
	}
	return out
}

func (g *Generator) remember(t string) {
	if len(g.history) < historySize {
		g.history = append(g.history, t)
		return
	}
	g.history[g.hpos] = t
	g.hpos = (g.hpos + 1) % historySize
}

// fresh returns a text not returned before (for generated texts, and while
// fewer than seenCap texts were made; file texts repeat once the file wraps).
func (g *Generator) fresh() string {
	if len(g.opts.Texts) > 0 {
		t := g.opts.Texts[g.next%len(g.opts.Texts)]
		g.next++
		return t
	}
	n := g.lengthFn(g.rng)
	var t string
	for try := 0; try < 16; try++ {
		t = g.sentence(n)
		if _, dup := g.seen[t]; !dup {
			break
		}
		n++ // short texts collide more often; a longer one almost never does
	}
	if len(g.seen) < seenCap {
		g.seen[t] = struct{}{}
	}
	return t
}

func (g *Generator) sentence(n int) string {
	lang := words[g.rng.IntN(len(words))]
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(lang[g.rng.IntN(len(lang))])
	}
	return b.String()
}

// ReadTexts loads one text per line from path, skipping empty lines.
func ReadTexts(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open texts: %w", err)
	}
	defer f.Close()
	var texts []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			texts = append(texts, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read texts %s: %w", path, err)
	}
	if len(texts) == 0 {
		return nil, errors.New("texts file " + path + " has no non-empty line")
	}
	return texts, nil
}
