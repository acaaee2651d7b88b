package suite

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/infergate/infergate/benchmarks/load"
	"github.com/infergate/infergate/benchmarks/report"
	"github.com/infergate/infergate/proxy/batcher"
)

// BatcherArm drives the gateway's batcher in-process on a runtime: the
// batching policy alone, without HTTP, JSON or tokenization on the clock.
// Closed loop at each of the load's concurrencies.
type BatcherArm struct {
	// Model, tokenizer, max_seq_len, threads, texts and outputs as for a
	// runtime arm (batch sizes, order and duration are not used).
	RuntimeArm `yaml:",inline"`
	// Grouping is length (the default policy) or fifo.
	Grouping       string        `yaml:"grouping"`
	MaxBatchSize   int           `yaml:"max_batch_size"`
	MaxBatchTokens int           `yaml:"max_batch_tokens"`
	MaxDelay       time.Duration `yaml:"max_delay"`
	MaxInFlight    int           `yaml:"max_in_flight"`
}

// batchCounter is the batcher's Observer: totals since it was made.
type batchCounter struct {
	batches, rows, tokens, padded atomic.Int64
}

func (c *batchCounter) BatchDone(rows, tokens, paddedTokens int, _ time.Duration) {
	c.batches.Add(1)
	c.rows.Add(int64(rows))
	c.tokens.Add(int64(tokens))
	c.padded.Add(int64(paddedTokens))
}

type batchTotals struct{ batches, rows, tokens, padded int64 }

func (c *batchCounter) read() batchTotals {
	return batchTotals{c.batches.Load(), c.rows.Load(), c.tokens.Load(), c.padded.Load()}
}

func (r *runner) batcherRound(ctx context.Context, arm Arm, round int) error {
	ba := arm.Batcher
	grouping := batcher.ByLength
	switch ba.Grouping {
	case "", "length":
	case "fifo":
		grouping = batcher.FIFO
	default:
		return fmt.Errorf("batcher arm %q: grouping %q (want length or fifo)", arm.Name, ba.Grouping)
	}
	rt, enc, closer, err := r.opts.OpenRuntime(ctx, ba.RuntimeArm)
	if err != nil {
		return fmt.Errorf("open runtime: %w", err)
	}
	defer closer.Close()
	texts, err := r.runtimeTexts(ba.Texts)
	if err != nil {
		return err
	}
	seqs := make([]batcher.Sequence, len(texts))
	for i, t := range texts {
		ids, types, err := enc.Encode(t)
		if err != nil {
			return fmt.Errorf("encode text %d: %w", i, err)
		}
		seqs[i] = batcher.Sequence{IDs: ids, TypeIDs: types, Outputs: ba.Outputs}
	}
	for _, conc := range r.s.Load.Concurrency {
		obs := &batchCounter{}
		b := batcher.New(batcher.Config{MaxBatchSize: ba.MaxBatchSize, MaxBatchTokens: ba.MaxBatchTokens,
			MaxDelay: ba.MaxDelay, MaxInFlight: ba.MaxInFlight, MaxQueue: 4 * conc, Grouping: grouping}, rt, batcher.WithObserver(obs))
		res, before, after, err := r.closedBatcher(ctx, b, obs, seqs, conc)
		cerr := b.Close(context.Background())
		if err = errors.Join(err, cerr); err != nil {
			return err
		}
		c := r.caseFor(report.Case{Arm: arm.Name, Mode: load.Closed, Concurrency: conc})
		c.Runs = append(c.Runs, res)
		if n := after.batches - before.batches; n > 0 {
			if c.Extra == nil {
				c.Extra = map[string][]float64{}
			}
			c.Extra["padding"] = append(c.Extra["padding"], 1-float64(after.tokens-before.tokens)/float64(after.padded-before.padded))
			c.Extra["rows/batch"] = append(c.Extra["rows/batch"], float64(after.rows-before.rows)/float64(n))
		}
		fmt.Fprintf(r.opts.Log, "%-28s run %d/%d: %8.1f rows/s p50 %7.2fms p99 %7.2fms errors %d\n",
			c.Label(), round, r.s.Runs, res.Throughput, res.Latency.P50, res.Latency.P99, res.Errors)
	}
	return nil
}

// closedBatcher runs conc clients submitting seqs in turn through b for the
// load's warm-up and duration, and returns the measured window's result and
// the batch totals at its start and end.
func (r *runner) closedBatcher(ctx context.Context, b *batcher.Batcher, obs *batchCounter, seqs []batcher.Sequence, conc int) (load.Result, batchTotals, batchTotals, error) {
	start := time.Now()
	measure := start.Add(r.s.Load.Warmup)
	end := measure.Add(r.s.Load.Duration)
	var (
		mu       sync.Mutex
		hist     = hdrhistogram.New(1, int64(time.Hour/time.Microsecond), 3)
		ok, errs int64
		firstErr error
		next     atomic.Int64
		before   batchTotals
		once     sync.Once
		wg       sync.WaitGroup
	)
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				t0 := time.Now()
				if !t0.Before(end) {
					return
				}
				measured := !t0.Before(measure)
				if measured {
					once.Do(func() { before = obs.read() })
				}
				_, err := b.Submit(ctx, seqs[int(next.Add(1)-1)%len(seqs)])
				if !measured {
					continue
				}
				mu.Lock()
				if err != nil {
					errs++
					if firstErr == nil {
						firstErr = err
					}
				} else {
					ok++
					_ = hist.RecordValue(max(time.Since(t0).Microseconds(), 1))
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	after := obs.read()
	if err := ctx.Err(); err != nil {
		return load.Result{}, before, after, err
	}
	if ok == 0 {
		return load.Result{}, before, after, fmt.Errorf("no sequence answered (first error: %v)", firstErr)
	}
	elapsed := time.Since(measure).Seconds()
	return load.Result{
		Target: "batcher", Mode: load.Closed, Concurrency: conc, TextsPerRequest: 1, Start: start,
		Elapsed: elapsed, Sent: ok + errs, OK: ok, Errors: errs, SendRate: float64(ok+errs) / elapsed,
		Throughput: float64(ok) / elapsed, TextsPerSecond: float64(ok) / elapsed,
		Latency: load.Summarize(hist, true),
	}, before, after, nil
}
