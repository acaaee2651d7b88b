package adapterstest

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/infergate/infergate/adapters"
)

// fakeModel is a tiny deterministic "BERT" in pure Go, for testing the suite
// itself: each token's hidden state mixes its own embedding with the mean of
// the row's unmasked embeddings (so padding and masking matter, as in
// attention), and the logits read the first token.
const (
	fakeVocab, fakePositions, fakeHidden, fakeClasses = 100, 512, 4, 3
)

func fakeEmbed(id, pos, typ int64) [fakeHidden]float32 {
	var e [fakeHidden]float32
	for k := range e {
		e[k] = float32(math.Sin(float64(id*7+int64(k)*3)) + 0.1*math.Cos(float64(pos+int64(k))) + 0.01*float64(typ))
	}
	return e
}

// fakeForward computes one row; ignoreMask makes it average over padding too.
func fakeForward(ids, mask, types []int64, ignoreMask bool) (logits []float32, hidden [][]float32) {
	var mean [fakeHidden]float32
	n := 0
	for j := range ids {
		if mask[j] == 0 && !ignoreMask {
			continue
		}
		e := fakeEmbed(ids[j], int64(j), types[j])
		for k := range mean {
			mean[k] += e[k]
		}
		n++
	}
	for k := range mean {
		mean[k] /= float32(max(n, 1))
	}
	for j := range ids {
		e := fakeEmbed(ids[j], int64(j), types[j])
		h := make([]float32, fakeHidden)
		for k := range h {
			h[k] = float32(math.Tanh(float64(e[k] + mean[k])))
		}
		hidden = append(hidden, h)
	}
	for c := range fakeClasses {
		logits = append(logits, hidden[0][c]*2+float32(c))
	}
	return logits, hidden
}

// fakeRuntime serves fakeModel; the flags break one part of the contract each.
type fakeRuntime struct {
	ignoreMask, ignoreContext, allOutputs, ignoreClose bool

	mu     sync.Mutex
	closed bool
}

func (f *fakeRuntime) Infer(ctx context.Context, b adapters.Batch) (adapters.Outputs, error) {
	if err := b.Validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil && !f.ignoreContext {
		return nil, adapters.Wrap(adapters.KindTimeout, err)
	}
	f.mu.Lock()
	closed := f.closed && !f.ignoreClose
	f.mu.Unlock()
	if closed {
		return nil, adapters.Errorf(adapters.KindUnavailable, "fake: closed")
	}
	want := b.Outputs
	if len(want) == 0 || f.allOutputs {
		want = []string{adapters.Logits, adapters.LastHiddenState}
	}
	for _, name := range want {
		if name != adapters.Logits && name != adapters.LastHiddenState {
			return nil, adapters.Errorf(adapters.KindBadInput, "fake: no output %q", name)
		}
	}
	if b.Len > fakePositions {
		return nil, adapters.Errorf(adapters.KindBadInput, "fake: %d tokens beyond %d positions", b.Len, fakePositions)
	}
	logits := make([]float32, 0, b.Rows*fakeClasses)
	hidden := make([]float32, 0, b.Rows*b.Len*fakeHidden)
	for i := range b.Rows {
		if err := ctx.Err(); err != nil && !f.ignoreContext {
			return nil, adapters.Wrap(adapters.KindTimeout, err)
		}
		row := b.InputIDs[i*b.Len : (i+1)*b.Len]
		if slices.ContainsFunc(row, func(id int64) bool { return id >= fakeVocab }) {
			return nil, adapters.Errorf(adapters.KindBadInput, "fake: id beyond the vocabulary")
		}
		l, h := fakeForward(row, b.AttentionMask[i*b.Len:(i+1)*b.Len], b.TokenTypeIDs[i*b.Len:(i+1)*b.Len], f.ignoreMask)
		logits = append(logits, l...)
		for _, v := range h {
			hidden = append(hidden, v...)
		}
	}
	out := adapters.Outputs{}
	if slices.Contains(want, adapters.Logits) {
		out[adapters.Logits] = adapters.Tensor{Shape: []int64{int64(b.Rows), fakeClasses}, Data: logits}
	}
	if slices.Contains(want, adapters.LastHiddenState) {
		out[adapters.LastHiddenState] = adapters.Tensor{Shape: []int64{int64(b.Rows), int64(b.Len), fakeHidden}, Data: hidden}
	}
	return out, nil
}

func (f *fakeRuntime) Ready(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed && !f.ignoreClose {
		return adapters.Errorf(adapters.KindUnavailable, "fake: closed")
	}
	return nil
}

func (f *fakeRuntime) Metadata(ctx context.Context) (adapters.Metadata, error) {
	if err := f.Ready(ctx); err != nil {
		return adapters.Metadata{}, err
	}
	in := func(name string) adapters.TensorSpec {
		return adapters.TensorSpec{Name: name, DType: "INT64", Shape: []int64{-1, -1}}
	}
	return adapters.Metadata{
		Name: "fake", Version: "1", Platform: "go",
		Inputs: []adapters.TensorSpec{in(adapters.InputIDs), in(adapters.AttentionMask), in(adapters.TokenTypeIDs)},
		Outputs: []adapters.TensorSpec{
			{Name: adapters.Logits, DType: "FP32", Shape: []int64{-1, fakeClasses}},
			{Name: adapters.LastHiddenState, DType: "FP32", Shape: []int64{-1, -1, fakeHidden}},
		},
	}, nil
}

func (f *fakeRuntime) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	return nil
}

// writeFakeGolden writes golden cases computed by fakeForward on unpadded rows.
func writeFakeGolden(t *testing.T) string {
	t.Helper()
	var g Golden
	for i := range 10 {
		n := 3 + i*5
		c := Case{Text: "fake case"}
		for j := range n {
			c.InputIDs = append(c.InputIDs, int64((i*31+j*17)%fakeVocab))
			c.AttentionMask = append(c.AttentionMask, 1)
			c.TokenTypeIDs = append(c.TokenTypeIDs, int64(j%2))
		}
		c.Logits, c.LastHiddenState = fakeForward(c.InputIDs, c.AttentionMask, c.TokenTypeIDs, false)
		g.Cases = append(g.Cases, c)
	}
	raw, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "golden.json")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
