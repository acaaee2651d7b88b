package onnx

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/infergate/infergate/adapters"
)

// Infer runs the model on a batch. Inputs are handed to ONNX Runtime without
// a copy; outputs the caller asked for are written by ONNX Runtime straight
// into the returned slices, the others into reused scratch buffers.
//
// ctx is checked before the run, and a deadline or cancellation during the
// run sets ONNX Runtime's terminate flag, which stops it between graph nodes:
// the call then returns KindTimeout shortly after ctx is done, not when the
// whole batch would have finished.
func (r *Runtime) Infer(ctx context.Context, b adapters.Batch) (adapters.Outputs, error) {
	if err := b.Validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, adapters.Wrap(adapters.KindTimeout, fmt.Errorf("onnx: infer: %w", err))
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		return nil, errClosed
	}
	want, err := r.wanted(b.Outputs)
	if err != nil {
		return nil, err
	}
	if err := r.checkShape(b); err != nil {
		return nil, err
	}

	inputs, err := r.inputTensors(b)
	defer destroyAll(inputs)
	if err != nil {
		return nil, err
	}
	outputs, scratch, err := r.outputTensors(b, want)
	defer r.putScratch(scratch)
	defer destroyAll(outputs)
	if err != nil {
		return nil, err
	}

	err = r.run(ctx, inputs, outputs)
	runtime.KeepAlive(b)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return nil, adapters.Wrap(adapters.KindTimeout, fmt.Errorf("onnx: infer stopped: %w", cerr))
		}
		return nil, classify(err)
	}
	return r.collect(outputs, want)
}

// wanted marks which of the session's outputs the caller asked for.
func (r *Runtime) wanted(names []string) ([]bool, error) {
	want := make([]bool, len(r.io.outputs))
	if len(names) == 0 {
		for i := range want {
			want[i] = true
		}
		return want, nil
	}
	for _, name := range names {
		i := slices.IndexFunc(r.io.outputs, func(t ioTensor) bool { return t.std == name })
		if i < 0 {
			return nil, adapters.Errorf(adapters.KindBadInput,
				"onnx: model %s has no output %q (it has %s)", r.meta.Name, name, strings.Join(r.outputNames(), ", "))
		}
		want[i] = true
	}
	return want, nil
}

func (r *Runtime) outputNames() []string {
	out := make([]string, len(r.io.outputs))
	for i, t := range r.io.outputs {
		out[i] = t.std
	}
	return out
}

// checkShape rejects batches that a model with fixed dimensions cannot take.
func (r *Runtime) checkShape(b adapters.Batch) error {
	for _, t := range r.io.inputs {
		for i, got := range []int{b.Rows, b.Len} {
			if d := t.dims[i]; d > 0 && int64(got) != d {
				return adapters.Errorf(adapters.KindBadInput,
					"onnx: batch shape [%d, %d] does not fit input %s of shape %v", b.Rows, b.Len, t.std, t.dims)
			}
		}
	}
	return nil
}

// inputTensors wraps the batch's slices as the model's inputs, in session
// order; INT32 models get a converted copy.
func (r *Runtime) inputTensors(b adapters.Batch) ([]ort.Value, error) {
	shape := ort.NewShape(int64(b.Rows), int64(b.Len))
	values := make([]ort.Value, len(r.io.inputs))
	for i, t := range r.io.inputs {
		var data []int64
		switch t.std {
		case adapters.InputIDs:
			data = b.InputIDs
		case adapters.AttentionMask:
			data = b.AttentionMask
		case adapters.TokenTypeIDs:
			data = b.TokenTypeIDs
		}
		var (
			v   ort.Value
			err error
		)
		if t.dtype == ort.TensorElementDataTypeInt32 {
			if v, err = int32Tensor(shape, t.std, data); err != nil {
				return values, err
			}
		} else if v, err = newTensor(shape, data); err != nil {
			return values, adapters.Wrap(adapters.KindInternal, fmt.Errorf("onnx: input %s: %w", t.std, err))
		}
		values[i] = v
	}
	return values, nil
}

// int32Tensor converts an input for a model that takes INT32.
func int32Tensor(shape ort.Shape, name string, data []int64) (ort.Value, error) {
	conv := make([]int32, len(data))
	for i, v := range data {
		if v > math.MaxInt32 {
			return nil, adapters.Errorf(adapters.KindBadInput, "onnx: %s value %d does not fit the model's INT32 input", name, v)
		}
		conv[i] = int32(v)
	}
	t, err := newTensor(shape, conv)
	if err != nil {
		return nil, adapters.Wrap(adapters.KindInternal, fmt.Errorf("onnx: input %s: %w", name, err))
	}
	return t, nil
}

// newTensor is ort.NewTensor returning a nil interface (not a nil pointer in
// one) on failure, so that destroyAll can skip it.
func newTensor[T ort.TensorData](shape ort.Shape, data []T) (ort.Value, error) {
	t, err := ort.NewTensor(shape, data)
	if err != nil {
		return nil, err
	}
	return t, nil
}

// outputTensors preallocates every output whose shape the model declares.
// Wanted ones get a fresh slice the caller will own; the rest get scratch
// buffers, returned for putScratch. An output left nil is allocated by ONNX
// Runtime during the run.
func (r *Runtime) outputTensors(b adapters.Batch, want []bool) (values []ort.Value, scratch []*[]float32, err error) {
	values = make([]ort.Value, len(r.io.outputs))
	for i, t := range r.io.outputs {
		shape, ok := outputShape(t, b.Rows, b.Len)
		if !ok {
			continue
		}
		n := int(ort.Shape(shape).FlattenedSize())
		var data []float32
		if want[i] {
			data = make([]float32, n)
		} else {
			buf := r.getScratch(n)
			scratch = append(scratch, buf)
			data = (*buf)[:n]
		}
		tensor, err := newTensor(ort.Shape(shape), data)
		if err != nil {
			return values, scratch, adapters.Wrap(adapters.KindInternal, fmt.Errorf("onnx: output %s: %w", t.std, err))
		}
		values[i] = tensor
	}
	return values, scratch, nil
}

// run runs the session; when ctx can end, a context.AfterFunc raises the
// terminate flag of this run's options, and run joins it before returning so
// the options are never used after they are destroyed.
func (r *Runtime) run(ctx context.Context, inputs, outputs []ort.Value) error {
	if ctx.Done() == nil {
		return r.session.Run(inputs, outputs)
	}
	opts, err := ort.NewRunOptions()
	if err != nil {
		return adapters.Wrap(adapters.KindInternal, fmt.Errorf("onnx: run options: %w", err))
	}
	defer opts.Destroy()
	terminated := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(terminated)
		_ = opts.Terminate()
	})
	err = r.session.RunWithOptions(inputs, outputs, opts)
	if !stop() {
		<-terminated
	}
	return err
}

// collect returns the wanted outputs under their standard names.
func (r *Runtime) collect(values []ort.Value, want []bool) (adapters.Outputs, error) {
	out := make(adapters.Outputs, len(values))
	for i, t := range r.io.outputs {
		if !want[i] {
			continue
		}
		tensor, ok := values[i].(*ort.Tensor[float32])
		if !ok {
			return nil, adapters.Errorf(adapters.KindInternal, "onnx: output %s is a %T, not an FP32 tensor", t.std, values[i])
		}
		out[t.std] = adapters.Tensor{Shape: []int64(tensor.GetShape()), Data: tensor.GetData()}
	}
	return out, nil
}

// classify gives a failed run its kind. The binding reports ONNX Runtime's
// status as text only, so this reads it: the session loaded and the batch's
// shapes and values passed validation, so a kernel that fails on it (an id
// beyond the vocabulary, a sequence longer than the position table) is a bad
// input; running out of memory may pass on another replica.
func classify(err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "Failed to allocate") || strings.Contains(msg, "bad_alloc"):
		return adapters.Wrap(adapters.KindUnavailable, fmt.Errorf("onnx: infer: %w", err))
	case strings.Contains(msg, "Non-zero status code returned while running"),
		strings.Contains(msg, "Got invalid dimensions"),
		strings.Contains(msg, "out of range"),
		strings.Contains(msg, "out of data bounds"):
		return adapters.Wrap(adapters.KindBadInput, fmt.Errorf("onnx: the model rejected the batch: %w", err))
	default:
		return adapters.Wrap(adapters.KindInternal, fmt.Errorf("onnx: infer: %w", err))
	}
}

func destroyAll(values []ort.Value) {
	for _, v := range values {
		if v != nil {
			_ = v.Destroy()
		}
	}
}

func (r *Runtime) getScratch(n int) *[]float32 {
	if p, ok := r.scratch.Get().(*[]float32); ok && cap(*p) >= n {
		return p
	}
	buf := make([]float32, n)
	return &buf
}

func (r *Runtime) putScratch(bufs []*[]float32) {
	for _, b := range bufs {
		r.scratch.Put(b)
	}
}
