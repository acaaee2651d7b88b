// Package loadtest is the dashboard's load-test API: fiber handlers that
// start, follow and stop one bounded run of the load engine against the
// gateway's own routes. One run at a time; durations, rates and concurrency
// are capped so a browser cannot turn the gateway against itself for long.
package loadtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/infergate/infergate/benchmarks/load"
)

// Options configures a Tester.
type Options struct {
	// BaseURL is where the gateway answers, e.g. http://127.0.0.1:8080
	// (see SelfURL).
	BaseURL string
	// MaxDuration caps duration_s; 0 means 60s.
	MaxDuration time.Duration
	// MaxConcurrency caps closed-loop clients; 0 means 512.
	MaxConcurrency int
	// MaxRate caps the open-loop rate; 0 means 100000 requests/s.
	MaxRate float64
	// MaxInFlight caps outstanding open-loop requests; 0 means 512.
	MaxInFlight int
	// Client sends the load; nil means a keep-alive client sized for the caps.
	Client *http.Client
}

// Tester owns the current (or last) run. Its zero value is not usable; call New.
type Tester struct {
	opts Options

	mu     sync.Mutex
	cur    *state
	closed bool
}

// state is one run and what was asked of it.
type state struct {
	id  string
	req StartRequest
	run *load.Run
}

// New builds a Tester for the gateway at opts.BaseURL.
func New(opts Options) *Tester {
	if opts.MaxDuration <= 0 {
		opts.MaxDuration = 60 * time.Second
	}
	if opts.MaxConcurrency <= 0 {
		opts.MaxConcurrency = 512
	}
	if opts.MaxRate <= 0 {
		opts.MaxRate = load.MaxRate
	}
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = 512
	}
	if opts.Client == nil {
		opts.Client = load.NewClient(max(opts.MaxConcurrency, opts.MaxInFlight))
	}
	return &Tester{opts: opts}
}

// SelfURL turns a listen address like ":8080" or "0.0.0.0:8080" into a URL
// that reaches the same server over loopback.
func SelfURL(listenAddr string, tls bool) (string, error) {
	host, port, err := net.SplitHostPort(listenAddr)
	if err != nil {
		return "", fmt.Errorf("listen address %q: %w", listenAddr, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	scheme := "http"
	if tls {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, port), nil
}

// Close stops a run in progress and waits for it, for server shutdown.
// Later starts answer 503.
func (t *Tester) Close() {
	t.mu.Lock()
	t.closed = true
	cur := t.cur
	t.mu.Unlock()
	if cur != nil {
		cur.run.Stop()
		<-cur.run.Done()
	}
	t.opts.Client.CloseIdleConnections()
}

func newID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on Linux
	return hex.EncodeToString(b)
}

// start launches a run unless one is going.
func (t *Tester) start(req StartRequest, cfg load.Config) (*state, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, errClosed
	}
	if t.cur != nil {
		select {
		case <-t.cur.run.Done():
		default:
			return nil, errBusy
		}
	}
	// The run outlives the POST that starts it, so it gets its own context;
	// Stop and Close end it.
	run, err := load.Start(context.Background(), cfg)
	if err != nil {
		return nil, &apiError{status: fiber.StatusBadRequest, typ: "invalid_request_error", code: "invalid_parameter", msg: err.Error()}
	}
	t.cur = &state{id: newID(), req: req, run: run}
	return t.cur, nil
}

func (t *Tester) current() *state {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.cur
}
