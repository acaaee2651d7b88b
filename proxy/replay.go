package proxy

import (
	"crypto/sha256"
	"encoding/binary"
	"time"

	"github.com/gofiber/fiber/v2"
	lru "github.com/hashicorp/golang-lru/v2"
)

// The replay cache answers a request whose body is byte for byte one
// answered before, on the same route and configuration generation, with
// the stored answer: no JSON decoding, no per-text lookups, no encoding.
// It sits in front of the per-text cache (which still serves texts seen in
// other requests) and follows the same rules: only models with caching on,
// entries expire with the model's cache TTL, and a reload starts afresh.
const (
	replayEntries  = 8192
	replayMaxBody  = 4 << 10  // bigger requests are rarely repeated verbatim
	replayMaxReply = 64 << 10 // bounds the memory of one entry
)

type replayKey [sha256.Size]byte

type replayEntry struct {
	body    []byte // immutable once stored
	model   string
	texts   int
	expires time.Time
	obs     modelObserver
}

type replayCache struct {
	entries *lru.Cache[replayKey, *replayEntry]
}

func newReplayCache() *replayCache {
	c, _ := lru.New[replayKey, *replayEntry](replayEntries)
	return &replayCache{entries: c}
}

func replayKeyOf(gen uint64, route string, body []byte) replayKey {
	h := sha256.New()
	var g [8]byte
	binary.LittleEndian.PutUint64(g[:], gen)
	h.Write(g[:])
	h.Write([]byte(route))
	h.Write([]byte{0})
	h.Write(body)
	var k replayKey
	h.Sum(k[:0])
	return k
}

// Locals the model handlers set for the replay cache.
const localTexts = "infergate.texts"

// replayable wraps a model route's handler with the replay cache.
func (s *Server) replayable(h fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		body := c.Body()
		if len(body) > replayMaxBody {
			return h(c)
		}
		key := replayKeyOf(s.genID.Load(), c.Route().Path, body)
		if e, ok := s.replay.entries.Get(key); ok {
			if time.Now().Before(e.expires) {
				return s.sendReplay(c, e)
			}
			s.replay.entries.Remove(key)
		}
		if err := h(c); err != nil {
			return err
		}
		s.storeReplay(c, key)
		return nil
	}
}

func (s *Server) sendReplay(c *fiber.Ctx, e *replayEntry) error {
	c.Locals(localModel, e.model)
	c.Locals(localInfer, true)
	e.obs.m.cacheHits.WithLabelValues(e.model, "replay").Add(float64(e.texts))
	e.obs.win.cacheHits(e.texts)
	for _, h := range []string{"x-tokenization-time", "x-queue-time", "x-inference-time"} {
		c.Set(h, "0.000")
	}
	c.Set("x-batch-size", "0")
	c.Set("x-cache", "hit")
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(e.body)
}

// storeReplay keeps a successful answer of a model whose cache is on.
func (s *Server) storeReplay(c *fiber.Ctx, key replayKey) {
	res := c.Response()
	if res.StatusCode() != fiber.StatusOK || len(res.Body()) > replayMaxReply {
		return
	}
	model, _ := c.Locals(localModel).(string)
	texts, _ := c.Locals(localTexts).(int)
	g, release, err := s.acquire()
	if err != nil {
		return
	}
	defer release()
	p, ok := g.pipelines[model]
	if !ok || p.cache == nil || p.cacheTTL <= 0 {
		return
	}
	s.replay.entries.Add(key, &replayEntry{
		body:    append([]byte(nil), res.Body()...), // fiber reuses the response buffer
		model:   model,
		texts:   texts,
		expires: time.Now().Add(p.cacheTTL),
		obs:     p.obs,
	})
}
