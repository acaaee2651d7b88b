package tokenizer

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// EncodeBatch tokenizes texts on all cores (GOMAXPROCS workers, joined
// before it returns). Padding configured as BatchLongest pads every row to
// the batch's longest, as HF's encode_batch does. On error it reports the
// first failing text by index.
func (t *Tokenizer) EncodeBatch(texts []string, opts Options) ([]Encoding, error) {
	if _, err := t.truncationFor(opts); err != nil {
		return nil, err
	}
	out := make([]Encoding, len(texts))
	rowOpts := opts
	rowOpts.NoPadding = true
	errs := make([]error, len(texts))
	var failed atomic.Bool
	work := func(next *atomic.Int64) {
		for !failed.Load() {
			i := int(next.Add(1) - 1)
			if i >= len(texts) {
				return
			}
			if err := t.encode(&out[i], texts[i], "", false, rowOpts); err != nil {
				errs[i] = err
				failed.Store(true)
			}
		}
	}
	var next atomic.Int64
	if workers := min(runtime.GOMAXPROCS(0), len(texts)); workers <= 1 {
		work(&next)
	} else {
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() { work(&next) })
		}
		wg.Wait()
	}
	if failed.Load() {
		for i, err := range errs {
			if err != nil {
				return nil, fmt.Errorf("text %d: %w", i, err)
			}
		}
	}
	if t.pad != nil && !opts.NoPadding {
		longest := 0
		for i := range out {
			longest = max(longest, out[i].Len())
		}
		n := t.pad.target(longest)
		for i := range out {
			t.pad.apply(&out[i], n)
		}
	}
	return out, nil
}
