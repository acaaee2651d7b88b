package proxy

import (
	"context"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/infergate/infergate/adapters"
	"github.com/infergate/infergate/proxy/config"
	"github.com/infergate/infergate/proxy/kserve"
)

// GET /healthz: the process answers.
func (s *Server) healthz(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

// GET /readyz: every model has a ready replica.
func (s *Server) readyz(c *fiber.Ctx) error {
	g, release, err := s.acquire()
	if err != nil {
		return err
	}
	defer release()
	models := map[string]bool{}
	var down []string
	for _, name := range g.order {
		ok := g.pipelines[name].pool.Ready()
		models[name] = ok
		if !ok {
			down = append(down, name)
		}
	}
	if len(down) > 0 {
		return &apiError{Status: fiber.StatusServiceUnavailable, Type: typeUnavailable, Code: "not_ready",
			Message: "no ready replica for: " + strings.Join(down, ", "), RetryAfter: 1}
	}
	return c.JSON(fiber.Map{"status": "ready", "models": models})
}

// modelInfo is one entry of GET /v1/models: OpenAI's model object plus what
// operators and the dashboard need.
type modelInfo struct {
	ID         string          `json:"id"`
	Object     string          `json:"object"`
	Created    int64           `json:"created"`
	OwnedBy    string          `json:"owned_by"`
	Name       string          `json:"name"`
	Ready      bool            `json:"ready"`
	Version    string          `json:"version"`
	MaxSeqLen  int             `json:"max_seq_len"`
	Pooling    string          `json:"pooling"`
	Normalize  bool            `json:"normalize"`
	Labels     []string        `json:"labels"`
	HiddenSize int             `json:"hidden_size"`
	QueueDepth int             `json:"queue_depth"`
	Batching   config.Batching `json:"batching"`
	Replicas   []replicaInfo   `json:"replicas"`
}

type replicaInfo struct {
	Name      string  `json:"name"`
	Type      string  `json:"type"`
	Ready     bool    `json:"ready"`
	Breaker   string  `json:"breaker"`
	InFlight  int     `json:"in_flight"`
	LatencyMS float64 `json:"latency_ms"`
	Requests  uint64  `json:"requests"`
	Failures  uint64  `json:"failures"`
}

// GET /v1/models
func (s *Server) listModels(c *fiber.Ctx) error {
	g, release, err := s.acquire()
	if err != nil {
		return err
	}
	defer release()
	out := make([]modelInfo, 0, len(g.order))
	for i, name := range g.order {
		p := g.pipelines[name]
		mi := modelInfo{
			ID: name, Object: "model", OwnedBy: "infergate", Name: name,
			Ready: p.pool.Ready(), Version: p.version, MaxSeqLen: p.maxSeqLen,
			Pooling: p.pooling, Normalize: p.normalize, Labels: p.labels, HiddenSize: p.hidden,
			QueueDepth: p.batcher.QueueDepth(), Batching: g.cfg.Models[i].Batching,
		}
		for _, r := range p.pool.Status() {
			mi.Replicas = append(mi.Replicas, replicaInfo{
				Name: r.Name, Type: r.Type, Ready: r.Ready, Breaker: r.Breaker, InFlight: r.InFlight,
				LatencyMS: float64(r.LatencyEWMA.Microseconds()) / 1000, Requests: r.Requests, Failures: r.Failures,
			})
		}
		out = append(out, mi)
	}
	return c.JSON(fiber.Map{"object": "list", "data": out})
}

// GET /v1/stats?recent=10&window=300&step=5: the dashboard's live numbers.
// The top level covers the last `recent` seconds (queue_depth is the depth
// now); series covers `window` seconds in `step`-second points.
func (s *Server) stats(c *fiber.Ctx) error {
	recent, err1 := queryInt(c, "recent", 10, 1, windowSpan-1)
	span, err2 := queryInt(c, "window", 300, 1, windowSpan-1)
	step, err3 := queryInt(c, "step", 5, 1, windowSpan-1)
	for _, err := range []error{err1, err2, err3} {
		if err != nil {
			return err
		}
	}
	if step > span {
		step = span
	}
	r := s.window.snapshot(recent, span, step)
	r.Queue = s.queueDepths()
	r.QueueDepth = 0
	for _, n := range r.Queue {
		r.QueueDepth += float64(n)
	}
	return c.JSON(r)
}

func queryInt(c *fiber.Ctx, name string, def, lo, hi int) (int, error) {
	v := c.Query(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, badRequest("invalid_query", "%s must be an integer in %d..%d, got %q", name, lo, hi, v)
	}
	return n, nil
}

// POST /admin/reload (admin key): re-read the configuration and swap the
// pipelines without dropping requests.
func (s *Server) adminReload(c *fiber.Ctx) error {
	if err := s.Reload(context.WithoutCancel(c.UserContext())); err != nil {
		return &apiError{Status: fiber.StatusInternalServerError, Type: typeInternal, Code: "reload_failed",
			Message: "reload failed; the previous configuration stays in service: " + err.Error(), cause: err}
	}
	return c.JSON(fiber.Map{"status": "reloaded", "models": s.modelNames()})
}

// kserveModels exposes the pipelines' replica pools to the KServe v2
// frontend. Each call pins the current generation, so a reload never closes
// a pool under a KServe request.
type kserveModels struct{ s *Server }

func (m kserveModels) Model(name string) (kserve.Model, bool) {
	for _, n := range m.s.modelNames() {
		if n == name {
			return kserveModel{s: m.s, name: name}, true
		}
	}
	return nil, false
}

func (m kserveModels) Names() []string {
	names := m.s.modelNames()
	sort.Strings(names)
	return names
}

type kserveModel struct {
	s    *Server
	name string
}

func (m kserveModel) with(fn func(p *pipeline) error) error {
	g, release, err := m.s.acquire()
	if err != nil {
		return adapters.Wrap(adapters.KindUnavailable, err)
	}
	defer release()
	p, ok := g.pipelines[m.name]
	if !ok {
		return adapters.Errorf(adapters.KindUnavailable, "model %s was removed by a reload", m.name)
	}
	return fn(p)
}

func (m kserveModel) Infer(ctx context.Context, b adapters.Batch) (out adapters.Outputs, err error) {
	err = m.with(func(p *pipeline) error {
		out, err = p.pool.Infer(ctx, b)
		return err
	})
	return out, err
}

func (m kserveModel) Metadata(ctx context.Context) (md adapters.Metadata, err error) {
	err = m.with(func(p *pipeline) error {
		md, err = p.pool.Metadata(ctx)
		if md.Name == "" || md.Name != m.name {
			md.Name = m.name
		}
		return err
	})
	return md, err
}

func (m kserveModel) Ready() bool {
	ready := false
	_ = m.with(func(p *pipeline) error {
		ready = p.pool.Ready()
		return nil
	})
	return ready
}

func serverVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func itoa(n int) string { return strconv.Itoa(n) }
