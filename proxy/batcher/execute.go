package batcher

import (
	"context"
	"fmt"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/infergate/infergate/adapters"
)

// execute runs one batch and answers its members. Members whose caller left
// since the batch was formed are dropped here, before the Runner sees them.
func (b *Batcher) execute(base context.Context, members []*request) {
	live := make([]*request, 0, len(members))
	for _, r := range members {
		if !r.gone() {
			live = append(live, r)
		}
	}
	if len(live) == 0 {
		return
	}
	batch, tokens := pad(live, b.cfg.PadID)

	ctx, cancel := b.batchContext(base, live)
	defer cancel()
	start := b.clock.Now()
	out, err := b.infer(ctx, batch)
	d := b.clock.Now().Sub(start)
	if b.obs != nil {
		b.obs.BatchDone(batch.Rows, tokens, batch.Rows*batch.Len, d)
	}
	if ce := b.log.Check(zap.DebugLevel, "batch done"); ce != nil {
		ce.Write(zap.Int("rows", batch.Rows), zap.Int("len", batch.Len), zap.Int("tokens", tokens),
			zap.Int("departed", len(members)-len(live)), zap.Duration("took", d), zap.Error(err))
	}

	if err != nil {
		err = fmt.Errorf("batcher: batch of %d rows: %w", batch.Rows, err)
		for _, r := range live {
			r.reply <- reply{err: err}
		}
		return
	}
	for i, r := range live {
		res := Result{
			Queue:       start.Sub(r.enq),
			Inference:   d,
			BatchRows:   batch.Rows,
			BatchTokens: batch.Rows * batch.Len,
		}
		res.Outputs, err = splitRow(out, batch, i, len(r.seq.IDs), r.seq.Outputs)
		r.reply <- reply{res: res, err: err}
	}
}

// infer calls the Runner, turning a panic into an internal error for the
// batch's members: a runtime bug must not take the gateway down with it,
// since this goroutine is beyond any HTTP recover middleware.
func (b *Batcher) infer(ctx context.Context, batch adapters.Batch) (out adapters.Outputs, err error) {
	defer func() {
		if v := recover(); v != nil {
			b.log.Error("runner panicked", zap.Any("panic", v), zap.Stack("stack"))
			out, err = nil, adapters.Errorf(adapters.KindInternal, "runner panicked: %v", v)
		}
	}()
	return b.runner.Infer(ctx, batch)
}

// batchContext gives the batch its own context: the batcher's base plus
// Config.Timeout, bounded by the latest member deadline (no member waits
// longer than that, so computing past it helps nobody).
func (b *Batcher) batchContext(base context.Context, members []*request) (context.Context, context.CancelFunc) {
	ctx, cancel := base, context.CancelFunc(func() {})
	if b.cfg.Timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, b.cfg.Timeout)
	}
	var latest time.Time
	for _, r := range members {
		if !r.hasDeadline {
			return ctx, cancel
		}
		if r.deadline.After(latest) {
			latest = r.deadline
		}
	}
	inner, innerCancel := context.WithDeadline(ctx, latest)
	return inner, func() { innerCancel(); cancel() }
}

// pad lays the members out as one [rows, longest] batch: input ids padded
// with padID, attention mask 1 on real tokens, token types 0 on padding. It
// also returns the number of real tokens. Outputs is the union of what the
// members need, nil (all) if any member needs all.
func pad(members []*request, padID int64) (adapters.Batch, int) {
	longest, tokens := 0, 0
	for _, r := range members {
		longest = max(longest, len(r.seq.IDs))
		tokens += len(r.seq.IDs)
	}
	n := len(members) * longest
	b := adapters.Batch{
		Rows:          len(members),
		Len:           longest,
		InputIDs:      make([]int64, n),
		AttentionMask: make([]int64, n),
		TokenTypeIDs:  make([]int64, n),
		Outputs:       unionOutputs(members),
	}
	for i, r := range members {
		row := i * longest
		for j, id := range r.seq.IDs {
			b.InputIDs[row+j] = int64(id)
			b.AttentionMask[row+j] = 1
		}
		for j, t := range r.seq.TypeIDs {
			b.TokenTypeIDs[row+j] = int64(t)
		}
		for j := len(r.seq.IDs); j < longest; j++ {
			b.InputIDs[row+j] = padID
		}
	}
	return b, tokens
}

func unionOutputs(members []*request) []string {
	var names []string
	for _, r := range members {
		if len(r.seq.Outputs) == 0 {
			return nil
		}
		for _, name := range r.seq.Outputs {
			if !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
	}
	slices.Sort(names)
	return names
}

// splitRow copies row i of every output the member wants (all when want is
// empty). Tensors of rank 3 or more whose second dimension is the padded
// length ([rows, len, hidden]) are cut to the member's own n tokens; the
// others ([rows, classes]) keep their full row. The copy lets the result
// outlive the batch without pinning the whole batch's memory.
func splitRow(out adapters.Outputs, b adapters.Batch, i, n int, want []string) (adapters.Outputs, error) {
	names := want
	if len(names) == 0 {
		names = make([]string, 0, len(out))
		for name := range out {
			names = append(names, name)
		}
	}
	res := make(adapters.Outputs, len(names))
	for _, name := range names {
		t, ok := out[name]
		if !ok {
			return nil, adapters.Errorf(adapters.KindInternal, "batcher: runner returned no %q output", name)
		}
		if err := checkShape(name, t, b.Rows); err != nil {
			return nil, err
		}
		rowSize := len(t.Data) / b.Rows
		row := t.Data[i*rowSize : (i+1)*rowSize]
		shape := slices.Clone(t.Shape[1:])
		if len(t.Shape) >= 3 && t.Shape[1] == int64(b.Len) {
			row = row[:n*(rowSize/b.Len)]
			shape[0] = int64(n)
		}
		res[name] = adapters.Tensor{Shape: shape, Data: slices.Clone(row)}
	}
	return res, nil
}

func checkShape(name string, t adapters.Tensor, rows int) error {
	if len(t.Shape) == 0 || t.Shape[0] != int64(rows) {
		return adapters.Errorf(adapters.KindInternal, "batcher: output %q has shape %v for a batch of %d rows", name, t.Shape, rows)
	}
	size := int64(1)
	for _, d := range t.Shape {
		if d < 0 {
			return adapters.Errorf(adapters.KindInternal, "batcher: output %q has shape %v", name, t.Shape)
		}
		size *= d
	}
	if size != int64(len(t.Data)) {
		return adapters.Errorf(adapters.KindInternal, "batcher: output %q has shape %v but %d values", name, t.Shape, len(t.Data))
	}
	return nil
}
