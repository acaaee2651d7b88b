// Package batcher turns single tokenized sequences into padded batches for one
// model. One goroutine owns the queue (an actor): it packs requests by a token
// budget counted as padded cost (rows x longest row), groups sequences of
// similar length so a long text does not pad many short ones, never lets the
// oldest request wait behind newer ones, and drops requests whose caller has
// gone before they cost any inference. Batching is continuous: a runtime with
// no batch running takes what is queued at once, and batches grow from the
// requests that arrive while every slot is busy.
package batcher

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/infergate/infergate/adapters"
)

// Runner runs one padded batch. *pool.Pool and every adapters.Runtime satisfy it.
type Runner interface {
	Infer(ctx context.Context, b adapters.Batch) (adapters.Outputs, error)
}

// Observer receives one call per batch that reached the Runner, for metrics.
// tokens counts real tokens and paddedTokens is rows x longest row, so the
// padding ratio is 1 - tokens/paddedTokens. Calls come from several
// goroutines and must not block.
type Observer interface {
	BatchDone(rows, tokens, paddedTokens int, d time.Duration)
}

var (
	// ErrQueueFull is returned at once when MaxQueue requests already wait;
	// the gateway answers 429 with Retry-After.
	ErrQueueFull = errors.New("batcher: queue full")
	// ErrClosed is returned by Submit after Close. It has kind
	// adapters.KindUnavailable, so it maps to 503 like any replica outage.
	ErrClosed error = &adapters.Error{Kind: adapters.KindUnavailable, Err: errors.New("batcher: closed")}
)

// Grouping chooses how a batch is filled from the queue.
type Grouping int

const (
	// ByLength takes the oldest request, then the queued requests whose length
	// is closest to it, within the budget. It cuts padding on mixed workloads.
	ByLength Grouping = iota
	// FIFO takes requests in arrival order until the next one does not fit:
	// plain token-budget batching, kept to measure what grouping buys.
	FIFO
)

func (g Grouping) String() string {
	if g == FIFO {
		return "fifo"
	}
	return "by-length"
}

// Config bounds the batches. Zero values take the defaults noted per field.
type Config struct {
	// MaxBatchSize is the most rows in one batch (default 32).
	MaxBatchSize int
	// MaxBatchTokens bounds the padded cost, rows x longest row (default 8192).
	// A single sequence longer than this is rejected as bad input.
	MaxBatchTokens int
	// MaxDelay is how long the oldest queued request may wait for company
	// before a partial batch leaves, counted only while a batch is already
	// running: when no batch runs, what is queued leaves at once (continuous
	// batching), since on an idle runtime waiting only adds latency, and
	// batches grow by themselves when load keeps every slot busy.
	// 0: leave as soon as a slot is free.
	MaxDelay time.Duration
	// HoldWhenIdle makes a partial batch wait MaxDelay even when no batch
	// runs: fuller batches at low load for a runtime whose cost per row falls
	// with batch size, at the price of up to MaxDelay of latency per request.
	HoldWhenIdle bool
	// MaxQueue is the most requests waiting for a batch (default 1024).
	MaxQueue int
	// PadID fills padded positions of input_ids (attention mask 0, type 0).
	PadID int64
	// Timeout bounds each Runner call (0: only the members' deadlines do).
	Timeout time.Duration
	// MaxInFlight is how many batches may run at once, so one slow batch
	// does not stall the queue (default 2; set it to the replica count or more).
	MaxInFlight int
	// Grouping picks the fill policy (default ByLength).
	Grouping Grouping
}

func (c Config) withDefaults() Config {
	if c.MaxBatchSize <= 0 {
		c.MaxBatchSize = 32
	}
	if c.MaxBatchTokens <= 0 {
		c.MaxBatchTokens = 8192
	}
	if c.MaxDelay < 0 {
		c.MaxDelay = 0
	}
	if c.MaxQueue <= 0 {
		c.MaxQueue = 1024
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = 2
	}
	if c.Timeout < 0 {
		c.Timeout = 0
	}
	return c
}

// Sequence is one tokenized text waiting for inference.
type Sequence struct {
	IDs, TypeIDs []int32 // TypeIDs may be nil (all zero); else as long as IDs
	// Outputs names the outputs this request needs; empty means all.
	Outputs []string
}

// Result is what one sequence got back from its batch.
type Result struct {
	// Outputs holds this row only: [classes] for logits, [len(IDs), hidden]
	// for last_hidden_state (padding cut off).
	Outputs adapters.Outputs
	// Queue is the time from Submit to the Runner call; Inference the call.
	Queue, Inference time.Duration
	// BatchRows and BatchTokens describe the batch it ran in; BatchTokens is
	// the padded cost rows x longest row.
	BatchRows, BatchTokens int
}

// Option configures a Batcher beyond its Config.
type Option func(*Batcher)

// WithClock replaces the wall clock that drives MaxDelay and timings (tests).
func WithClock(c Clock) Option { return func(b *Batcher) { b.clock = c } }

// WithObserver reports every batch to o (metrics).
func WithObserver(o Observer) Option { return func(b *Batcher) { b.obs = o } }

// WithLogger sets the logger for debug traces of batch formation.
func WithLogger(l *zap.Logger) Option {
	return func(b *Batcher) {
		if l != nil {
			b.log = l
		}
	}
}

// Batcher queues sequences of one model and runs them in batches. It is safe
// for concurrent use; create it with New and release it with Close.
type Batcher struct {
	cfg    Config
	runner Runner
	clock  Clock
	obs    Observer
	log    *zap.Logger

	in       chan *request // Submit -> actor; capacity MaxQueue
	finished chan struct{} // batch goroutine -> actor; capacity MaxInFlight
	quit     chan struct{} // closed by Close: finish queued work and stop
	abort    chan struct{} // closed when Close's ctx ends: cancel everything
	exited   chan struct{} // closed by the actor when all its goroutines ended

	mu     sync.RWMutex // guards closed against concurrent Submit sends
	closed bool

	closeOnce, abortOnce sync.Once
	depth                atomic.Int64 // queued, neither dispatched nor abandoned
	arrived              atomic.Int64 // requests the actor has received (tests)
}

// New starts the batcher's actor goroutine. Close must be called to stop it.
func New(cfg Config, r Runner, opts ...Option) *Batcher {
	cfg = cfg.withDefaults()
	b := &Batcher{
		cfg:      cfg,
		runner:   r,
		clock:    realClock{},
		log:      zap.NewNop(),
		in:       make(chan *request, cfg.MaxQueue),
		finished: make(chan struct{}, cfg.MaxInFlight),
		quit:     make(chan struct{}),
		abort:    make(chan struct{}),
		exited:   make(chan struct{}),
	}
	for _, o := range opts {
		o(b)
	}
	go b.run()
	return b
}

// Submit queues s and waits for its row of a batch. It returns at once with
// ErrQueueFull when the queue is full, with ErrClosed after Close, and with an
// error wrapping ctx.Err() as soon as ctx ends; a request whose ctx ended
// before its batch ran is never computed. The batcher reads s's slices until
// its batch is padded, so the caller must not change them after the call.
func (b *Batcher) Submit(ctx context.Context, s Sequence) (Result, error) {
	if err := b.validate(s); err != nil {
		return Result{}, err
	}
	if err := ctx.Err(); err != nil {
		return Result{}, fmt.Errorf("batcher: %w", err)
	}
	r := &request{seq: s, done: ctx.Done(), enq: b.clock.Now(), reply: make(chan reply, 1)}
	r.deadline, r.hasDeadline = ctx.Deadline()
	if err := b.enqueue(r); err != nil {
		return Result{}, err
	}
	select {
	case rep := <-r.reply:
		return rep.res, rep.err
	case <-ctx.Done():
		if r.state.CompareAndSwap(stateQueued, stateAbandoned) {
			b.depth.Add(-1)
		}
		return Result{}, fmt.Errorf("batcher: waiting for a batch: %w", ctx.Err())
	}
}

func (b *Batcher) validate(s Sequence) error {
	switch {
	case len(s.IDs) == 0:
		return adapters.Errorf(adapters.KindBadInput, "batcher: empty sequence")
	case s.TypeIDs != nil && len(s.TypeIDs) != len(s.IDs):
		return adapters.Errorf(adapters.KindBadInput, "batcher: %d type ids for %d ids", len(s.TypeIDs), len(s.IDs))
	case len(s.IDs) > b.cfg.MaxBatchTokens:
		return adapters.Errorf(adapters.KindBadInput, "batcher: sequence of %d tokens exceeds the batch token budget %d",
			len(s.IDs), b.cfg.MaxBatchTokens)
	}
	return nil
}

func (b *Batcher) enqueue(r *request) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return ErrClosed
	}
	if b.depth.Add(1) > int64(b.cfg.MaxQueue) {
		b.depth.Add(-1)
		return ErrQueueFull
	}
	select {
	case b.in <- r:
		return nil
	default: // the actor is MaxQueue arrivals behind: as full as a full queue
		b.depth.Add(-1)
		return ErrQueueFull
	}
}

// QueueDepth is the number of requests waiting for a batch.
func (b *Batcher) QueueDepth() int { return int(b.depth.Load()) }

// Close stops accepting requests (Submit returns ErrClosed), runs every queued
// request without waiting for MaxDelay, and returns once all goroutines have
// ended. If ctx ends first, running batches are cancelled, queued requests
// fail with ErrClosed, and Close returns ctx's error after the goroutines end.
func (b *Batcher) Close(ctx context.Context) error {
	b.closeOnce.Do(func() {
		b.mu.Lock()
		b.closed = true
		b.mu.Unlock()
		close(b.quit)
	})
	select {
	case <-b.exited:
		return nil
	case <-ctx.Done():
		b.abortOnce.Do(func() { close(b.abort) })
		<-b.exited
		return fmt.Errorf("batcher: close: %w", ctx.Err())
	}
}
