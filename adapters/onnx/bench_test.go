package onnx

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/infergate/infergate/adapters"
	"github.com/infergate/infergate/adapters/adapterstest"
)

// BenchmarkInfer measures the reference model through the adapter next to
// the same session run directly, for each batch shape. Every iteration makes
// one adapter call (Infer with a deadline, both outputs returned in fresh
// slices) and one direct run (tensors built once: no validation, no tensor
// wrapping, no run options, no allocation), timed separately and in
// alternating order, so that both see the same machine load. Rates come from
// the summed times; overhead-% is the median over iterations of
// 100 * (adapter time / direct time - 1), which a burst of load on a shared
// machine cannot skew. ns/op is the pair.
//
//	go test -run '^$' -bench BenchmarkInfer -count 10 ./adapters/onnx
func BenchmarkInfer(b *testing.B) {
	r := newTestRuntime(b, Options{})
	defer r.Close()
	for _, rows := range []int{1, 8, 32} {
		for _, seq := range []int{16, 64, 128} {
			batch := benchBatch(b, rows, seq)
			b.Run(fmt.Sprintf("rows=%d/seq=%d", rows, seq), func(b *testing.B) {
				ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
				defer cancel()
				inputs, outputs := directTensors(b, r, batch)
				defer destroyAll(inputs)
				defer destroyAll(outputs)
				viaAdapter := func() time.Duration {
					start := time.Now()
					if _, err := r.Infer(ctx, batch); err != nil {
						b.Fatal(err)
					}
					return time.Since(start)
				}
				direct := func() time.Duration {
					start := time.Now()
					if err := r.session.Run(inputs, outputs); err != nil {
						b.Fatal(err)
					}
					return time.Since(start)
				}
				var sumA, sumD time.Duration
				var ratios []float64
				for i := 0; b.Loop(); i++ {
					var a, d time.Duration
					if i%2 == 0 {
						a, d = viaAdapter(), direct()
					} else {
						d, a = direct(), viaAdapter()
					}
					sumA, sumD = sumA+a, sumD+d
					ratios = append(ratios, a.Seconds()/d.Seconds())
				}
				for _, m := range []struct {
					name string
					d    time.Duration
				}{{"adapter", sumA}, {"direct", sumD}} {
					b.ReportMetric(float64(rows*b.N)/m.d.Seconds(), m.name+"-rows/s")
					b.ReportMetric(float64(rows*seq*b.N)/m.d.Seconds(), m.name+"-tokens/s")
				}
				slices.Sort(ratios)
				b.ReportMetric(100*(ratios[len(ratios)/2]-1), "overhead-%")
			})
		}
	}
}

// benchBatch is rows sequences of seq real tokens (no padding): each starts
// and ends like a golden case and is filled with random ids from the golden
// cases, so that they are ids the model knows.
func benchBatch(b *testing.B, rows, seq int) adapters.Batch {
	g, err := adapterstest.LoadGolden(goldenPath)
	if err != nil {
		b.Fatal(err)
	}
	var vocab []int64
	for _, c := range g.Cases {
		vocab = append(vocab, c.InputIDs[1:len(c.InputIDs)-1]...)
	}
	first, last := g.Cases[0].InputIDs[0], g.Cases[0].InputIDs[len(g.Cases[0].InputIDs)-1]
	rng := rand.New(rand.NewPCG(1, 2))
	n := rows * seq
	batch := adapters.Batch{Rows: rows, Len: seq, InputIDs: make([]int64, n), AttentionMask: make([]int64, n), TokenTypeIDs: make([]int64, n)}
	for i := range n {
		switch i % seq {
		case 0:
			batch.InputIDs[i] = first
		case seq - 1:
			batch.InputIDs[i] = last
		default:
			batch.InputIDs[i] = vocab[rng.IntN(len(vocab))]
		}
		batch.AttentionMask[i] = 1
	}
	return batch
}

// directTensors builds the session's inputs and preallocated outputs once.
func directTensors(b *testing.B, r *Runtime, batch adapters.Batch) (inputs, outputs []ort.Value) {
	b.Helper()
	inputs, err := r.inputTensors(batch)
	if err != nil {
		b.Fatal(err)
	}
	all := make([]bool, len(r.io.outputs))
	for i := range all {
		all[i] = true
	}
	outputs, _, err = r.outputTensors(batch, all)
	if err != nil {
		b.Fatal(err)
	}
	return inputs, outputs
}
