// Package triton is an adapters.Runtime for servers that speak the KServe v2
// (Open Inference) protocol, NVIDIA Triton first among them, over gRPC
// (grpc:// and grpcs:// URLs) or HTTP/REST with the binary tensor data
// extension (http:// and https:// URLs). The model's tensor names, dtypes and
// max_batch_size are discovered from its metadata and config, so any
// BERT-family model works without per-model configuration.
package triton

import (
	"context"
	"fmt"
	"net/url"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/singleflight"

	"github.com/infergate/infergate/adapters"
)

// Options configures one replica.
type Options struct {
	// URL selects the transport by scheme: grpc://host:port (grpcs:// for
	// TLS) or http(s)://host:port[/prefix].
	URL string
	// Model is the model's name on the server.
	Model string
	// Version pins a model version; "" lets the server choose.
	Version string
	// Timeout bounds each call (infer, ready, metadata) on top of the
	// caller's deadline; 0 means the caller's deadline only.
	Timeout time.Duration
}

// maxConcurrentChunks bounds the calls one split batch has in flight.
const maxConcurrentChunks = 8

// discoveryTimeout bounds metadata discovery when Options.Timeout is unset.
const discoveryTimeout = 10 * time.Second

// Client is one KServe v2 replica of a model. It keeps one connection pool
// (one grpc.ClientConn, or one keep-alive http.Client) for its lifetime and
// is safe for concurrent use.
type Client struct {
	opts Options
	t    transport

	spec   atomic.Pointer[modelSpec]
	group  singleflight.Group
	closed atomic.Bool
}

var _ adapters.Runtime = (*Client)(nil)

// transport is one wire protocol. Errors are already *adapters.Error values.
type transport interface {
	serverReady(ctx context.Context) (bool, error)
	modelReady(ctx context.Context, model, version string) (bool, error)
	// binaryTensors reports whether the server supports the binary tensor
	// data extension (HTTP only; gRPC always sends raw bytes).
	binaryTensors(ctx context.Context) (bool, error)
	modelMetadata(ctx context.Context, model, version string) (*modelMetadata, error)
	// modelConfig returns nil, nil when the server has no config endpoint.
	modelConfig(ctx context.Context, model, version string) (*modelConfig, error)
	infer(ctx context.Context, call *inferCall) (map[string]outTensor, error)
	close() error
}

// New connects to the replica at opts.URL. Connections are made lazily, so
// New succeeds while the server is down; discovery happens now if the
// server answers, otherwise on first use. Errors New returns are
// configuration errors (bad URL, model the adapter cannot drive).
func New(ctx context.Context, opts Options) (*Client, error) {
	if opts.Model == "" {
		return nil, fmt.Errorf("triton: model name is required")
	}
	u, err := url.Parse(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("triton: url %q: %w", opts.URL, err)
	}
	switch u.Scheme {
	case "grpc", "grpcs", "http", "https":
	default:
		return nil, fmt.Errorf("triton: url %q: scheme must be grpc, grpcs, http or https", opts.URL)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("triton: url %q has no host", opts.URL)
	}
	var t transport
	if u.Scheme == "grpc" || u.Scheme == "grpcs" {
		t, err = newGRPC(u.Host, u.Scheme == "grpcs")
	} else {
		t = newHTTP(u)
	}
	if err != nil {
		return nil, fmt.Errorf("triton: %w", err)
	}
	c := &Client{opts: opts, t: t}
	if _, err := c.modelSpec(ctx); err != nil && !adapters.Retryable(err) {
		_ = t.close()
		return nil, err
	}
	return c, nil
}

// callContext applies Options.Timeout on top of the caller's deadline.
func (c *Client) callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if c.opts.Timeout > 0 {
		return context.WithTimeout(ctx, c.opts.Timeout)
	}
	return context.WithCancel(ctx)
}

// errClosed is the answer to calls after Close: another replica may serve.
func (c *Client) errClosed() error {
	return adapters.Errorf(adapters.KindUnavailable, "triton %s: client closed", c.opts.URL)
}

// failed gives a transport error its final form: a call that failed because
// Close tore its connection down is Unavailable, whatever the wire said.
func (c *Client) failed(err error) error {
	if c.closed.Load() {
		return adapters.Wrap(adapters.KindUnavailable, fmt.Errorf("%w (client closed)", err))
	}
	return err
}

// Ready reports nil when both the server and the model are ready.
func (c *Client) Ready(ctx context.Context) error {
	if c.closed.Load() {
		return c.errClosed()
	}
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	ok, err := c.t.serverReady(ctx)
	if err != nil {
		return c.failed(fmt.Errorf("triton %s: server ready: %w", c.opts.URL, err))
	}
	if !ok {
		return adapters.Errorf(adapters.KindUnavailable, "triton %s: server not ready", c.opts.URL)
	}
	ok, err = c.t.modelReady(ctx, c.opts.Model, c.opts.Version)
	if err != nil {
		return c.failed(fmt.Errorf("triton %s: model %s ready: %w", c.opts.URL, c.opts.Model, err))
	}
	if !ok {
		return adapters.Errorf(adapters.KindUnavailable, "triton %s: model %s not ready", c.opts.URL, c.opts.Model)
	}
	return nil
}

// Metadata describes the model with the standard tensor names of package
// adapters (the names Infer takes and returns) and the model's own dtypes.
func (c *Client) Metadata(ctx context.Context) (adapters.Metadata, error) {
	if c.closed.Load() {
		return adapters.Metadata{}, c.errClosed()
	}
	s, err := c.modelSpec(ctx)
	if err != nil {
		return adapters.Metadata{}, err
	}
	return s.metadata(), nil
}

// Close releases the connections; calls in flight fail with KindUnavailable
// and so do later ones. A second Close does nothing.
func (c *Client) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	return c.t.close()
}

// Infer runs the batch, split into calls of at most max_batch_size rows
// that run concurrently when the model's limit is smaller than the batch.
func (c *Client) Infer(ctx context.Context, b adapters.Batch) (adapters.Outputs, error) {
	if err := b.Validate(); err != nil {
		return nil, err
	}
	if c.closed.Load() {
		return nil, c.errClosed()
	}
	if err := ctx.Err(); err != nil {
		return nil, adapters.Wrap(adapters.KindTimeout, fmt.Errorf("triton %s: infer: %w", c.opts.URL, err))
	}
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	s, err := c.modelSpec(ctx)
	if err != nil {
		return nil, err
	}
	outputs, err := s.requestedOutputs(b.Outputs)
	if err != nil {
		return nil, err
	}
	if s.maxBatch <= 0 || b.Rows <= s.maxBatch {
		return c.inferChunk(ctx, s, b, outputs)
	}
	chunks := splitBatch(b, s.maxBatch)
	results := make([]adapters.Outputs, len(chunks))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(maxConcurrentChunks)
	for i, ch := range chunks {
		g.Go(func() error {
			out, err := c.inferChunk(gctx, s, ch, outputs)
			results[i] = out
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return mergeOutputs(results)
}

func (c *Client) inferChunk(ctx context.Context, s *modelSpec, b adapters.Batch, outputs []binding) (adapters.Outputs, error) {
	call, err := s.buildCall(c.opts.Model, c.opts.Version, b, outputs)
	if err != nil {
		return nil, err
	}
	got, err := c.t.infer(ctx, call)
	if err != nil {
		return nil, c.failed(fmt.Errorf("triton %s: infer %s: %w", c.opts.URL, c.opts.Model, err))
	}
	out, err := s.collect(got, b, outputs)
	if err != nil {
		return nil, fmt.Errorf("triton %s: infer %s: %w", c.opts.URL, c.opts.Model, err)
	}
	return out, nil
}

// modelSpec returns the discovered model, discovering it once if needed.
// Concurrent callers share one discovery but each waits only as long as its
// own context allows.
func (c *Client) modelSpec(ctx context.Context) (*modelSpec, error) {
	if s := c.spec.Load(); s != nil {
		return s, nil
	}
	ch := c.group.DoChan("spec", func() (any, error) {
		d := c.opts.Timeout
		if d <= 0 {
			d = discoveryTimeout
		}
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d)
		defer cancel()
		s, err := c.discover(dctx)
		if err != nil {
			return nil, c.failed(err)
		}
		c.spec.Store(s)
		return s, nil
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*modelSpec), nil
	case <-ctx.Done():
		return nil, adapters.Wrap(adapters.KindTimeout, fmt.Errorf("triton %s: discover %s: %w", c.opts.URL, c.opts.Model, ctx.Err()))
	}
}

func (c *Client) discover(ctx context.Context) (*modelSpec, error) {
	wrap := func(what string, err error) error {
		return fmt.Errorf("triton %s: %s %s: %w", c.opts.URL, what, c.opts.Model, err)
	}
	md, err := c.t.modelMetadata(ctx, c.opts.Model, c.opts.Version)
	if err != nil {
		return nil, wrap("model metadata", err)
	}
	cfg, err := c.t.modelConfig(ctx, c.opts.Model, c.opts.Version)
	if err != nil {
		return nil, wrap("model config", err)
	}
	binary, err := c.t.binaryTensors(ctx)
	if err != nil {
		return nil, wrap("server metadata for", err)
	}
	s, err := newModelSpec(md, cfg, c.opts.Version)
	if err != nil {
		return nil, wrap("model", err)
	}
	s.binary = binary
	return s, nil
}
