package proxy

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"math"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	lru "github.com/hashicorp/golang-lru/v2"
)

// keySet is the parsed api_keys_file: keys by their SHA-256 (so the process
// never compares secrets byte by byte) and whether each may call /admin.
type keySet struct {
	enabled bool
	admin   map[[32]byte]bool
}

// loadKeys reads "KEY" or "KEY admin" lines; blank lines and # comments are
// skipped. An empty path disables authentication of the API (admin routes
// stay closed).
func loadKeys(path string) (*keySet, error) {
	ks := &keySet{admin: map[[32]byte]bool{}}
	if path == "" {
		return ks, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("api keys: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) > 2 || (len(fields) == 2 && fields[1] != "admin") {
			return nil, fmt.Errorf("api keys %s line %d: want \"KEY\" or \"KEY admin\"", path, n)
		}
		ks.admin[sha256.Sum256([]byte(fields[0]))] = len(fields) == 2
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("api keys %s: %w", path, err)
	}
	if len(ks.admin) == 0 {
		return nil, fmt.Errorf("api keys %s: no keys; remove api_keys_file to run without keys", path)
	}
	ks.enabled = true
	return ks, nil
}

// requestKey is the key a request carries: "Authorization: Bearer KEY"
// (what OpenAI clients send) or "X-API-Key: KEY".
func requestKey(c *fiber.Ctx) string {
	if h := c.Get(fiber.HeaderAuthorization); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return c.Get("X-API-Key")
}

// routeClass says what a path needs: nothing (probes, metrics, the
// dashboard's files), an API key when keys are configured, or an admin key.
type routeClass int

const (
	routePublic routeClass = iota
	routeAPI
	routeAdmin
)

// classify sees the path as the router matches it (case-insensitive,
// trailing slashes optional), so /ADMIN/reload or /predict/ cannot reach a
// handler as a public route.
func classify(path string) routeClass {
	path = strings.ToLower(strings.TrimRight(path, "/"))
	switch {
	case path == "/admin", strings.HasPrefix(path, "/admin/"):
		return routeAdmin
	case strings.HasPrefix(path, "/v2/health/"):
		return routePublic
	case strings.HasPrefix(path, "/v1/"), strings.HasPrefix(path, "/v2"),
		path == "/predict", path == "/embed", path == "/tokenize", path == "/info":
		return routeAPI
	}
	return routePublic
}

func (s *Server) authorize(c *fiber.Ctx, class routeClass) error {
	if class == routePublic {
		return nil
	}
	ks := s.keys.Load()
	key := requestKey(c)
	if class == routeAPI && !ks.enabled {
		return nil
	}
	if class == routeAdmin && !ks.enabled {
		return &apiError{Status: http.StatusForbidden, Type: typePermission, Code: "admin_disabled",
			Message: "admin routes need server.api_keys_file with an admin key; send SIGHUP to reload instead"}
	}
	if key == "" {
		return &apiError{Status: http.StatusUnauthorized, Type: typeAuth, Code: "missing_api_key",
			Message: "send an API key as \"Authorization: Bearer KEY\" or \"X-API-Key: KEY\""}
	}
	admin, ok := ks.admin[sha256.Sum256([]byte(key))]
	if !ok {
		return &apiError{Status: http.StatusUnauthorized, Type: typeAuth, Code: "invalid_api_key", Message: "the API key is not valid"}
	}
	if class == routeAdmin && !admin {
		return &apiError{Status: http.StatusForbidden, Type: typePermission, Code: "not_admin", Message: "this API key may not call admin routes"}
	}
	return nil
}

// limiter is a token bucket per client (API key, else remote address). The
// clients it remembers are bounded by an LRU, so a flood of addresses costs
// memory in proportion to the bound only.
type limiter struct {
	rps   float64
	burst float64
	mu    sync.Mutex
	seen  *lru.Cache[string, *bucket]
	now   func() time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(rps float64, burst int, now func() time.Time) *limiter {
	if rps <= 0 {
		return nil
	}
	b := float64(burst)
	if b <= 0 {
		b = math.Max(1, rps)
	}
	seen, _ := lru.New[string, *bucket](65536)
	return &limiter{rps: rps, burst: b, seen: seen, now: now}
}

// allow takes a token for client; when none is left it says how long until
// one is.
func (l *limiter) allow(client string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.seen.Get(client)
	if !ok {
		b = &bucket{tokens: l.burst, last: now}
		l.seen.Add(strings.Clone(client), b) // fiber's strings die with the request
	}
	b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rps)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.rps * float64(time.Second))
	return false, wait
}
