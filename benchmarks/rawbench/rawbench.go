// Package rawbench measures a model runtime alone, without the gateway: the
// same texts, tokenized once up front, sent as padded batches straight to the
// runtime's Infer. Its rows/s at the best batch size is the ceiling a gateway
// in front of that runtime is compared against.
package rawbench

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/infergate/infergate/adapters"
	"github.com/infergate/infergate/benchmarks/load"
)

// Runner is the runtime under test; any adapters.Runtime satisfies it.
type Runner interface {
	Infer(ctx context.Context, b adapters.Batch) (adapters.Outputs, error)
}

// Encoder tokenizes one text, truncated the way the gateway would.
type Encoder interface {
	Encode(text string) (ids, typeIDs []int32, err error)
}

// Order is how sequences are grouped into batches.
type Order string

const (
	// Sorted batches sequences of similar length together (the least
	// padding: the runtime's best case, and what length grouping aims at).
	Sorted Order = "sorted"
	// Arrival batches sequences in workload order (FIFO padding).
	Arrival Order = "arrival"
)

// Options configures a measurement.
type Options struct {
	Texts      []string
	BatchSizes []int
	Order      Order
	// Duration is how long each batch size runs after one warm-up pass.
	Duration time.Duration
	// Outputs names the outputs to compute (e.g. logits only, as
	// /v1/classify asks); empty means all.
	Outputs []string
	PadID   int64
}

// Point is the result for one batch size.
type Point struct {
	BatchSize  int     `json:"batch_size"`
	Rows       int64   `json:"rows"`
	Batches    int64   `json:"batches"`
	Seconds    float64 `json:"seconds"`
	RowsPerSec float64 `json:"rows_per_s"`
	// Batch is the distribution of the wall time of one Infer call.
	Batch load.Latency `json:"batch"`
	// PaddingRatio is padded tokens / all tokens computed, over one pass
	// of the workload.
	PaddingRatio float64 `json:"padding_ratio"`
	// MeanLen is the mean padded length of a batch.
	MeanLen float64 `json:"mean_len"`
}

// Measure tokenizes the texts once, then for each batch size sends its
// batches to r back to back for opts.Duration.
func Measure(ctx context.Context, r Runner, enc Encoder, opts Options) ([]Point, error) {
	if len(opts.Texts) == 0 || len(opts.BatchSizes) == 0 || opts.Duration <= 0 {
		return nil, errors.New("rawbench: need texts, batch sizes and a duration")
	}
	seqs := make([][2][]int32, len(opts.Texts))
	for i, t := range opts.Texts {
		ids, types, err := enc.Encode(t)
		if err != nil {
			return nil, fmt.Errorf("rawbench: encode text %d: %w", i, err)
		}
		seqs[i] = [2][]int32{ids, types}
	}
	if opts.Order == Sorted {
		sort.SliceStable(seqs, func(i, j int) bool { return len(seqs[i][0]) < len(seqs[j][0]) })
	}
	var points []Point
	for _, bs := range opts.BatchSizes {
		if bs < 1 {
			return nil, fmt.Errorf("rawbench: batch size %d", bs)
		}
		p, err := measureOne(ctx, r, buildBatches(seqs, bs, opts), bs, opts.Duration)
		if err != nil {
			return nil, err
		}
		points = append(points, p)
	}
	return points, nil
}

type batch struct {
	b              adapters.Batch
	real, computed int
}

func buildBatches(seqs [][2][]int32, size int, opts Options) []batch {
	var out []batch
	for start := 0; start < len(seqs); start += size {
		group := seqs[start:min(start+size, len(seqs))]
		longest := 0
		for _, s := range group {
			longest = max(longest, len(s[0]))
		}
		n := len(group) * longest
		b := adapters.Batch{Rows: len(group), Len: longest, InputIDs: make([]int64, n),
			AttentionMask: make([]int64, n), TokenTypeIDs: make([]int64, n), Outputs: opts.Outputs}
		real := 0
		for i, s := range group {
			for j := 0; j < longest; j++ {
				k := i*longest + j
				if j < len(s[0]) {
					b.InputIDs[k], b.AttentionMask[k] = int64(s[0][j]), 1
					if j < len(s[1]) {
						b.TokenTypeIDs[k] = int64(s[1][j])
					}
				} else {
					b.InputIDs[k] = opts.PadID
				}
			}
			real += len(s[0])
		}
		out = append(out, batch{b: b, real: real, computed: n})
	}
	return out
}

func measureOne(ctx context.Context, r Runner, batches []batch, size int, d time.Duration) (Point, error) {
	for _, b := range batches[:min(2, len(batches))] { // warm-up: allocations, kernels
		if _, err := r.Infer(ctx, b.b); err != nil {
			return Point{}, fmt.Errorf("rawbench: warm-up at batch %d: %w", size, err)
		}
	}
	hist := hdrhistogram.New(1, int64(time.Hour/time.Microsecond), 3) // µs, like the load engine
	p := Point{BatchSize: size}
	var real, computed, lens int64
	for _, b := range batches {
		real += int64(b.real)
		computed += int64(b.computed)
	}
	start := time.Now()
	for i := 0; time.Since(start) < d; i++ {
		if err := ctx.Err(); err != nil {
			return Point{}, err
		}
		b := batches[i%len(batches)]
		t0 := time.Now()
		if _, err := r.Infer(ctx, b.b); err != nil {
			return Point{}, fmt.Errorf("rawbench: infer at batch %d: %w", size, err)
		}
		_ = hist.RecordValue(max(time.Since(t0).Microseconds(), 1))
		p.Rows += int64(b.b.Rows)
		p.Batches++
		lens += int64(b.b.Len)
	}
	p.Seconds = time.Since(start).Seconds()
	p.RowsPerSec = float64(p.Rows) / p.Seconds
	p.Batch = load.Summarize(hist, false)
	if computed > 0 {
		p.PaddingRatio = 1 - float64(real)/float64(computed)
	}
	p.MeanLen = float64(lens) / float64(p.Batches)
	return p, nil
}
