package proxy

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/infergate/infergate/adapters"
	"github.com/infergate/infergate/cache"
	"github.com/infergate/infergate/proxy/batcher"
	"github.com/infergate/infergate/proxy/pool"
	"github.com/infergate/infergate/tokenizer"
)

// task is what a request wants of the model: class scores or an embedding.
type task int

const (
	taskClassify task = iota
	taskEmbed
)

// runOptions are the per-request choices that change a result, and so the
// cache key.
type runOptions struct {
	Truncate bool   // false: a text over max_seq_len is an error
	Pooling  string // embed only: cls or mean
}

// timing is where a text's time went, for the x-*-time headers and metrics.
type timing struct {
	Tokenize, Queue, Inference time.Duration
	BatchRows                  int
}

// textResult is the model's answer for one input, before formatting: the
// logits (classify) or the pooled, unnormalised vector (embed).
type textResult struct {
	Vec    []float32 // shared with the cache and other requests: read only
	Tokens int
	Tier   cache.Tier // "" when computed
	Timing timing
}

// pipeline serves one model: cache, singleflight, tokenizer, batcher, pool.
type pipeline struct {
	name      string
	version   string // enters cache keys, so a changed model never hits stale entries
	tok       *tokenizer.Tokenizer
	labels    []string
	maxSeqLen int
	pooling   string
	normalize bool
	hidden    int // last_hidden_state width; 0 until known
	classes   int
	outputs   map[string]bool // the model's outputs; nil until known
	batcher   *batcher.Batcher
	pool      *pool.Pool
	cache     *cache.Cache // nil: caching off
	cacheTTL  time.Duration
	flights   flights
	stats     statsSink
	obs       modelObserver
}

// statsSink receives per-text events for /v1/stats.
type statsSink interface {
	QueueDepth(n int)
	CacheResult(hit bool)
}

// supports says whether the model has the output a task needs; a model
// whose metadata is not known yet is given the benefit of the doubt.
func (p *pipeline) supports(t task) error {
	want, what := adapters.Logits, "classification"
	if t == taskEmbed {
		want, what = adapters.LastHiddenState, "embeddings"
	}
	if p.outputs != nil && !p.outputs[want] {
		return badRequest("unsupported_task", "model %s has no %s output, so it cannot serve %s", p.name, want, what)
	}
	return nil
}

// runAll runs every input concurrently, so that the texts of one request
// share batches, and returns the results in input order.
func (p *pipeline) runAll(ctx context.Context, t task, ins []input, opts runOptions) ([]textResult, error) {
	out := make([]textResult, len(ins))
	if len(ins) == 1 {
		r, err := p.run(ctx, t, ins[0], opts)
		out[0] = r
		return out, err
	}
	g, gctx := errgroup.WithContext(ctx)
	for i := range ins {
		g.Go(func() error {
			r, err := p.run(gctx, t, ins[i], opts)
			if err != nil {
				return fmt.Errorf("input %d: %w", i, err)
			}
			out[i] = r
			return nil
		})
	}
	return out, g.Wait()
}

// run answers one input: from the cache, or by joining an identical request
// already running, or by tokenizing and submitting it to the batcher.
func (p *pipeline) run(ctx context.Context, t task, in input, opts runOptions) (textResult, error) {
	key := p.key(t, in, opts)
	if p.cache != nil {
		if v, tier, ok := p.cache.Get(ctx, key); ok {
			if tokens, vec, err := decodeResult(v); err == nil {
				p.stats.CacheResult(true)
				return textResult{Vec: vec, Tokens: tokens, Tier: tier}, nil
			}
		}
		p.stats.CacheResult(false)
	}
	return p.flights.do(ctx, key, func(ctx context.Context) (textResult, error) {
		r, err := p.compute(ctx, t, in, opts)
		if err == nil && p.cache != nil {
			p.cache.Set(context.WithoutCancel(ctx), key, encodeResult(r.Tokens, r.Vec))
		}
		return r, err
	})
}

func (p *pipeline) key(t task, in input, opts runOptions) string {
	var task, options string
	switch t {
	case taskClassify:
		task = "classify"
	default:
		task = "embed:" + opts.Pooling
	}
	if opts.Truncate {
		options = "truncate=" + strconv.Itoa(p.maxSeqLen)
	} else {
		options = "strict=" + strconv.Itoa(p.maxSeqLen)
	}
	text := in.Text
	switch {
	case in.IDs != nil:
		var b strings.Builder
		b.WriteString("ids:")
		for _, id := range in.IDs {
			b.WriteString(strconv.Itoa(int(id)))
			b.WriteByte(',')
		}
		text = b.String()
	case in.HasPair:
		options += ",pair"
		text = strconv.Itoa(len(in.Text)) + ":" + in.Text + in.Pair
	}
	return cache.Key(p.name, p.version, task, options, text)
}

func (p *pipeline) compute(ctx context.Context, t task, in input, opts runOptions) (textResult, error) {
	start := time.Now()
	enc, err := p.encode(in, opts.Truncate)
	if err != nil {
		return textResult{}, err
	}
	tokenize := time.Since(start)
	want := adapters.Logits
	if t == taskEmbed {
		want = adapters.LastHiddenState
	}
	res, err := p.batcher.Submit(ctx, batcher.Sequence{IDs: enc.IDs, TypeIDs: enc.TypeIDs, Outputs: []string{want}})
	p.stats.QueueDepth(p.batcher.QueueDepth())
	if err != nil {
		return textResult{}, err
	}
	out, ok := res.Outputs[want]
	if !ok {
		return textResult{}, adapters.Errorf(adapters.KindInternal, "model %s returned no %s", p.name, want)
	}
	r := textResult{Tokens: len(enc.IDs), Timing: timing{
		Tokenize: tokenize, Queue: res.Queue, Inference: res.Inference, BatchRows: res.BatchRows,
	}}
	switch t {
	case taskClassify:
		r.Vec = append([]float32(nil), out.Data...)
	default:
		hidden := p.hidden
		if n := len(out.Shape); n > 0 {
			hidden = int(out.Shape[n-1])
		}
		r.Vec, err = poolHidden(out.Data, hidden, enc.AttentionMask, opts.Pooling)
		if err != nil {
			return textResult{}, adapters.Wrap(adapters.KindInternal, fmt.Errorf("model %s: %w", p.name, err))
		}
	}
	return r, nil
}

// encode tokenizes an input, truncating to max_seq_len, or refusing a text
// over it when truncation is off.
func (p *pipeline) encode(in input, truncate bool) (tokenizer.Encoding, error) {
	if in.IDs != nil {
		return p.encodeIDs(in.IDs, truncate)
	}
	opts := tokenizer.Options{MaxLength: p.maxSeqLen, NoPadding: true}
	if !truncate {
		opts = tokenizer.Options{NoTruncate: true, NoPadding: true}
	}
	var enc tokenizer.Encoding
	var err error
	if in.HasPair {
		enc, err = p.tok.EncodePair(in.Text, in.Pair, opts)
	} else {
		enc, err = p.tok.Encode(in.Text, opts)
	}
	if err != nil {
		return enc, &apiError{Status: 422, Type: typeUnprocess, Code: "tokenizer_rejected", Message: err.Error(), cause: err}
	}
	if len(enc.IDs) > p.maxSeqLen {
		return enc, tooLarge("input_too_long", "the input has %d tokens; model %s takes at most %d (send truncate: true to cut it)",
			len(enc.IDs), p.name, p.maxSeqLen)
	}
	return enc, nil
}

// encodeIDs checks ids a client tokenized itself: every id in the
// vocabulary, no more than max_seq_len of them unless truncation is on.
func (p *pipeline) encodeIDs(ids []int32, truncate bool) (tokenizer.Encoding, error) {
	vocab := int32(p.tok.VocabSize())
	for i, id := range ids {
		if id < 0 || id >= vocab {
			return tokenizer.Encoding{}, badRequest("invalid_token", "token %d at position %d is outside the vocabulary of %d", id, i, vocab)
		}
	}
	if len(ids) > p.maxSeqLen {
		if !truncate {
			return tokenizer.Encoding{}, tooLarge("input_too_long", "the input has %d tokens; model %s takes at most %d", len(ids), p.name, p.maxSeqLen)
		}
		ids = ids[:p.maxSeqLen]
	}
	enc := tokenizer.Encoding{
		IDs:           append([]int32(nil), ids...),
		TypeIDs:       make([]int32, len(ids)),
		AttentionMask: make([]int32, len(ids)),
	}
	for i := range enc.AttentionMask {
		enc.AttentionMask[i] = 1
	}
	return enc, nil
}

// close drains the batcher (every queued request is answered), then stops
// the pool's probes and closes its runtimes.
func (p *pipeline) close(ctx context.Context) error {
	berr := p.batcher.Close(ctx)
	perr := p.pool.Close()
	if berr != nil {
		return fmt.Errorf("model %s: %w", p.name, berr)
	}
	if perr != nil {
		return fmt.Errorf("model %s: %w", p.name, perr)
	}
	return nil
}
