package proxy

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/infergate/infergate/adapters"
	"github.com/infergate/infergate/cache"
	"github.com/infergate/infergate/proxy/batcher"
	"github.com/infergate/infergate/proxy/config"
	"github.com/infergate/infergate/proxy/pool"
	"github.com/infergate/infergate/tokenizer"
)

// RuntimeFactory opens one replica for a backend entry of the config. cmd
// wires one per backend type ("onnx", "triton"); proxy never imports a
// concrete runtime.
type RuntimeFactory func(ctx context.Context, b config.Backend) (adapters.Runtime, error)

// generation is one configuration's set of pipelines. A reload builds a new
// generation, swaps it in, waits for the requests that hold the old one,
// then drains and closes it.
type generation struct {
	cfg       config.Config
	pipelines map[string]*pipeline
	order     []string // config order; order[0] answers requests naming no model
	refs      sync.WaitGroup
}

// pipeline returns the model a request names, or the first configured
// model if it names none (TEI's routes have no model field at all).
func (g *generation) pipeline(name string) (*pipeline, error) {
	if name == "" {
		return g.pipelines[g.order[0]], nil
	}
	p, ok := g.pipelines[name]
	if !ok {
		return nil, notFound("model_not_found", "model %q is not served here; served: %s", name, strings.Join(g.order, ", "))
	}
	return p, nil
}

func (g *generation) close(ctx context.Context) error {
	var errs []error
	for _, name := range g.order {
		errs = append(errs, g.pipelines[name].close(ctx))
	}
	return errors.Join(errs...)
}

// build opens every model of cfg. On failure it closes what it opened.
func (s *Server) build(ctx context.Context, cfg config.Config) (*generation, error) {
	g := &generation{cfg: cfg, pipelines: map[string]*pipeline{}}
	for _, mc := range cfg.Models {
		p, err := s.buildPipeline(ctx, mc)
		if err != nil {
			_ = g.close(ctx)
			return nil, fmt.Errorf("model %s: %w", mc.Name, err)
		}
		g.pipelines[mc.Name] = p
		g.order = append(g.order, mc.Name)
	}
	return g, nil
}

func (s *Server) buildPipeline(ctx context.Context, mc config.Model) (*pipeline, error) {
	tok, err := tokenizer.Load(mc.Tokenizer)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	labels, err := readLabels(mc.Labels)
	if err != nil {
		return nil, err
	}
	replicas, err := s.openReplicas(ctx, mc)
	if err != nil {
		return nil, err
	}
	obs := modelObserver{m: s.metrics, model: mc.Name, win: s.window}
	pl := pool.New(mc.Name, replicas, pool.Options{
		ConsecutiveFailures: mc.Breaker.ConsecutiveFailures,
		OpenTimeout:         mc.Breaker.OpenTimeout.D(),
		ProbeInterval:       mc.Breaker.ProbeInterval.D(),
		Observer:            obs,
		Logger:              s.log, // the pool names the model itself
	})
	p := &pipeline{
		name:      mc.Name,
		tok:       tok,
		labels:    labels,
		maxSeqLen: mc.MaxSeqLen,
		pooling:   mc.Pooling,
		normalize: mc.Normalize,
		pool:      pl,
		stats:     obs,
		obs:       obs,
		cacheTTL:  mc.Cache.TTL.D(),
	}
	mdCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	md, mdErr := pl.Metadata(mdCtx)
	cancel()
	if mdErr != nil {
		// A remote backend may come up later; the pool's probes will find it.
		s.log.Warn("model metadata unavailable at startup", zap.String("model", mc.Name), zap.Error(mdErr))
	} else if err := p.learnShapes(md); err != nil {
		_ = pl.Close()
		return nil, err
	}
	p.version = fingerprint(mc, md.Version)
	p.batcher = batcher.New(batcher.Config{
		MaxBatchSize:   mc.Batching.MaxBatchSize,
		MaxBatchTokens: mc.Batching.MaxBatchTokens,
		MaxDelay:       mc.Batching.MaxDelay.D(),
		MaxQueue:       mc.Batching.MaxQueue,
		PadID:          int64(tok.PadID()),
		Timeout:        mc.Batching.Timeout.D(),
		MaxInFlight:    max(2, 2*len(replicas)),
		HoldWhenIdle:   mc.Batching.HoldWhenIdle,
	}, pl, batcher.WithObserver(obs), batcher.WithLogger(s.log.With(zap.String("model", mc.Name))))
	p.cache = s.cacheFor(mc, obs)
	return p, nil
}

// learnShapes reads the classes and hidden width from the model's metadata
// and checks the labels file against them.
func (p *pipeline) learnShapes(md adapters.Metadata) error {
	p.outputs = map[string]bool{}
	for _, o := range md.Outputs {
		p.outputs[o.Name] = true
		last := int64(-1)
		if n := len(o.Shape); n > 0 {
			last = o.Shape[n-1]
		}
		switch o.Name {
		case adapters.Logits:
			if last > 0 {
				p.classes = int(last)
			}
		case adapters.LastHiddenState:
			if last > 0 {
				p.hidden = int(last)
			}
		}
	}
	if p.classes > 0 && len(p.labels) > 0 && len(p.labels) != p.classes {
		return fmt.Errorf("labels file has %d labels but the model has %d classes", len(p.labels), p.classes)
	}
	return nil
}

func (s *Server) openReplicas(ctx context.Context, mc config.Model) ([]pool.Replica, error) {
	var replicas []pool.Replica
	closeAll := func() {
		for _, r := range replicas {
			_ = r.Runtime.Close()
		}
	}
	for _, b := range mc.Backends {
		open, ok := s.opts.Runtimes[b.Type]
		if !ok {
			closeAll()
			return nil, fmt.Errorf("backend %s: unknown type %q (known: %s)", b.Name, b.Type, strings.Join(s.runtimeTypes(), ", "))
		}
		rt, err := open(ctx, b)
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("backend %s: %w", b.Name, err)
		}
		replicas = append(replicas, pool.Replica{Name: b.Name, Type: b.Type, Runtime: rt})
	}
	return replicas, nil
}

// cacheFor returns the model's L1, kept across reloads: the expiring LRU
// cannot be stopped, and a warm cache should survive a reload anyway (keys
// carry the model version, so a changed model never reads old entries).
func (s *Server) cacheFor(mc config.Model, obs cache.Observer) *cache.Cache {
	if mc.Cache.Size <= 0 {
		return nil
	}
	s.cachesMu.Lock()
	defer s.cachesMu.Unlock()
	k := cacheSlot{model: mc.Name, ttl: mc.Cache.TTL.D()}
	if c, ok := s.caches[k]; ok {
		c.Resize(mc.Cache.Size)
		return c
	}
	opts := cache.Options{Size: mc.Cache.Size, TTL: mc.Cache.TTL.D(), Observer: obs}
	if s.redis != nil {
		opts.Remote = s.redis
	}
	c := cache.New(opts)
	s.caches[k] = c
	return c
}

type cacheSlot struct {
	model string
	ttl   time.Duration
}

// readLabels reads one label per line; an empty path means no labels.
func readLabels(path string) ([]string, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("labels: %w", err)
	}
	defer f.Close()
	var labels []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			labels = append(labels, l)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("labels %s: %w", path, err)
	}
	if len(labels) == 0 {
		return nil, fmt.Errorf("labels %s: no labels", path)
	}
	return labels, nil
}

// fingerprint names a model's version in cache keys: what the runtime
// reports, plus the files and settings that change its answers, so a replaced
// model file or vocabulary never reads results cached for the old one.
// Gateway replicas with the same model files get the same fingerprint and
// share the L2, whatever their backend lists look like.
func fingerprint(mc config.Model, runtimeVersion string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s|%d|", runtimeVersion, mc.MaxSeqLen)
	hashFile(h, mc.Tokenizer)
	hashFile(h, mc.Labels)
	var ids []string
	for _, b := range mc.Backends {
		id := b.Type + ":" + b.Model + ":" + b.Version
		if b.ModelPath != "" {
			fh := sha256.New()
			hashFile(fh, b.ModelPath)
			id = "file:" + hex.EncodeToString(fh.Sum(nil))
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	fmt.Fprint(h, strings.Join(slices.Compact(ids), "|"))
	return hex.EncodeToString(h.Sum(nil)[:8])
}

func hashFile(w io.Writer, path string) {
	if path == "" {
		return
	}
	if f, err := os.Open(path); err == nil {
		_, _ = io.Copy(w, f)
		f.Close()
	}
}
