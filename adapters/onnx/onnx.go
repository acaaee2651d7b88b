// Package onnx runs a BERT-family model in-process on ONNX Runtime, through
// the cgo binding github.com/yalue/onnxruntime_go: the gateway's embedded
// default backend. One Runtime holds one session of one model, shared by all
// concurrent calls.
//
// The shared library is found, in order, at Options.LibraryPath,
// $INFERGATE_ORT_LIB, third_party/onnxruntime/libonnxruntime.so.1 in the
// working directory or a parent (where scripts/fetch-ort.sh puts it), then
// wherever the system's dynamic loader finds libonnxruntime.so.1. The binding
// needs ONNX Runtime 1.24 or later. A process holds one library: runtimes
// share it and the last Close unloads it.
package onnx

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/infergate/infergate/adapters"
)

// Options configures a Runtime. Each field maps to a backend entry of the
// gateway's config (model_path, library_path, threads, graph_optimization).
type Options struct {
	// ModelPath is the .onnx file. In the Triton layout
	// (<name>/<version>/model.onnx) the folders name the model and version.
	ModelPath string
	// LibraryPath is the ONNX Runtime shared library; "" searches
	// $INFERGATE_ORT_LIB, the project-local copy, then the system.
	LibraryPath string
	// IntraOpThreads bounds the threads one inference uses; 0 keeps ONNX
	// Runtime's default (one per physical core).
	IntraOpThreads int
	// GraphOptimization is the graph optimisation level: "disable", "basic",
	// "extended" or "all"; "" means "all", ONNX Runtime's default.
	GraphOptimization string
}

// Runtime is one ONNX Runtime session of one model. It implements
// adapters.Runtime and is safe for concurrent use.
type Runtime struct {
	// mu guards the session's lifetime: Infer holds it shared while the
	// session runs, Close exclusively to destroy it.
	mu      sync.RWMutex
	closed  bool
	session *ort.DynamicAdvancedSession

	io   modelIO
	meta adapters.Metadata
	// scratch holds buffers for outputs the model must produce but the
	// caller did not ask for, so they cost no allocation.
	scratch sync.Pool
}

var _ adapters.Runtime = (*Runtime)(nil)

var optimizationLevels = map[string]ort.GraphOptimizationLevel{
	"":         ort.GraphOptimizationLevelEnableAll,
	"all":      ort.GraphOptimizationLevelEnableAll,
	"extended": ort.GraphOptimizationLevelEnableExtended,
	"basic":    ort.GraphOptimizationLevelEnableBasic,
	"disable":  ort.GraphOptimizationLevelDisableAll,
}

// New loads the library (once per process) and creates a session of the
// model. Loading is not cancellable; ctx is checked before it starts.
func New(ctx context.Context, opts Options) (*Runtime, error) {
	if err := ctx.Err(); err != nil {
		return nil, adapters.Wrap(adapters.KindTimeout, fmt.Errorf("onnx: new: %w", err))
	}
	level, ok := optimizationLevels[opts.GraphOptimization]
	switch {
	case opts.ModelPath == "":
		return nil, adapters.Errorf(adapters.KindBadInput, "onnx: model_path is empty")
	case !ok:
		return nil, adapters.Errorf(adapters.KindBadInput,
			"onnx: graph_optimization %q is not one of disable, basic, extended, all", opts.GraphOptimization)
	case opts.IntraOpThreads < 0:
		return nil, adapters.Errorf(adapters.KindBadInput, "onnx: threads %d is negative", opts.IntraOpThreads)
	}
	if _, err := os.Stat(opts.ModelPath); err != nil {
		return nil, adapters.Wrap(adapters.KindBadInput, fmt.Errorf("onnx: model: %w", err))
	}
	if err := ortEnv.acquire(opts.LibraryPath); err != nil {
		return nil, err
	}
	r, err := newRuntime(opts, level)
	if err != nil {
		_ = ortEnv.release()
		return nil, err
	}
	return r, nil
}

// newRuntime creates the session once the library is loaded.
func newRuntime(opts Options, level ort.GraphOptimizationLevel) (*Runtime, error) {
	so, err := ort.NewSessionOptions()
	if err != nil {
		return nil, adapters.Wrap(adapters.KindInternal, fmt.Errorf("onnx: session options: %w", err))
	}
	defer so.Destroy()
	if err := configure(so, opts, level); err != nil {
		return nil, adapters.Wrap(adapters.KindInternal, fmt.Errorf("onnx: session options: %w", err))
	}

	ins, outs, err := ioInfo(opts.ModelPath)
	if err != nil {
		return nil, adapters.Wrap(adapters.KindBadInput, fmt.Errorf("onnx: load %s: %w", opts.ModelPath, err))
	}
	io, err := mapModelIO(ins, outs)
	if err != nil {
		return nil, adapters.Wrap(adapters.KindBadInput, fmt.Errorf("onnx: %s: %w", opts.ModelPath, err))
	}
	session, err := ort.NewDynamicAdvancedSession(opts.ModelPath, names(io.inputs), names(io.outputs), so)
	if err != nil {
		return nil, adapters.Wrap(adapters.KindBadInput, fmt.Errorf("onnx: load %s: %w", opts.ModelPath, err))
	}

	name, version := nameVersion(opts.ModelPath)
	meta := adapters.Metadata{Name: name, Version: version, Platform: "onnxruntime_onnx"}
	for _, t := range io.inputs {
		meta.Inputs = append(meta.Inputs, spec(t))
		if b := t.dims[0]; b > 0 && (meta.MaxBatchSize == 0 || int(b) < meta.MaxBatchSize) {
			meta.MaxBatchSize = int(b)
		}
	}
	for _, t := range io.outputs {
		meta.Outputs = append(meta.Outputs, spec(t))
	}
	return &Runtime{session: session, io: io, meta: meta}, nil
}

// configure applies Options to the session options.
func configure(so *ort.SessionOptions, opts Options, level ort.GraphOptimizationLevel) error {
	if err := so.SetGraphOptimizationLevel(level); err != nil {
		return err
	}
	if opts.IntraOpThreads > 0 {
		if err := so.SetIntraOpNumThreads(opts.IntraOpThreads); err != nil {
			return err
		}
	}
	return nil
}

// ioInfo reads the model's declared inputs and outputs. It builds a throwaway
// session without graph optimisation, which is the cheapest way the binding
// offers to read them.
func ioInfo(path string) (ins, outs []ort.InputOutputInfo, err error) {
	so, err := ort.NewSessionOptions()
	if err != nil {
		return nil, nil, err
	}
	defer so.Destroy()
	if err := so.SetGraphOptimizationLevel(ort.GraphOptimizationLevelDisableAll); err != nil {
		return nil, nil, err
	}
	return ort.GetInputOutputInfoWithOptions(path, so)
}

// Ready returns nil while the runtime is open: an in-process session that
// loaded can always serve.
func (r *Runtime) Ready(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return adapters.Wrap(adapters.KindTimeout, fmt.Errorf("onnx: ready: %w", err))
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		return errClosed
	}
	return nil
}

// Metadata describes the model under the standard tensor names the Batch and
// Outputs use; dtypes and shapes are the model's own (-1: dynamic).
func (r *Runtime) Metadata(ctx context.Context) (adapters.Metadata, error) {
	if err := ctx.Err(); err != nil {
		return adapters.Metadata{}, adapters.Wrap(adapters.KindTimeout, fmt.Errorf("onnx: metadata: %w", err))
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		return adapters.Metadata{}, errClosed
	}
	m := r.meta
	m.Inputs = cloneSpecs(m.Inputs)
	m.Outputs = cloneSpecs(m.Outputs)
	return m, nil
}

func cloneSpecs(specs []adapters.TensorSpec) []adapters.TensorSpec {
	out := make([]adapters.TensorSpec, len(specs))
	for i, s := range specs {
		out[i] = adapters.TensorSpec{Name: s.Name, DType: s.DType, Shape: slices.Clone(s.Shape)}
	}
	return out
}

// errClosed answers calls after Close; another replica may still serve.
var errClosed = adapters.Errorf(adapters.KindUnavailable, "onnx: runtime is closed")

// Close waits for calls in flight, destroys the session and drops this
// runtime's hold on the library (the last one unloads it). Later calls fail
// with KindUnavailable; closing twice is a no-op.
func (r *Runtime) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	err := r.session.Destroy()
	r.session = nil
	if rerr := ortEnv.release(); err == nil {
		err = rerr
	}
	if err != nil {
		return fmt.Errorf("onnx: close: %w", err)
	}
	return nil
}
