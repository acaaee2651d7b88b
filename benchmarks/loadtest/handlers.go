package loadtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/infergate/infergate/benchmarks/load"
)

// StartRequest is the body of POST /v1/loadtest.
type StartRequest struct {
	// Target is the gateway route to load: /v1/classify, /v1/embed,
	// /v1/embeddings, /v1/tokenize, /predict or /embed.
	Target string `json:"target"`
	// Model is optional when the gateway serves one model.
	Model string `json:"model,omitempty"`
	// Mode is closed (Concurrency clients) or open (Rate requests/s).
	Mode        string  `json:"mode"`
	Concurrency int     `json:"concurrency,omitempty"`
	Rate        float64 `json:"rate,omitempty"`
	// Arrival is constant (default) or poisson, for the open loop.
	Arrival   string  `json:"arrival,omitempty"`
	DurationS float64 `json:"duration_s"`
	// Workload is short, mixed or long texts.
	Workload string `json:"workload"`
	// Distinct is the share of new texts, (0, 1]; default 1 (no cache hits).
	Distinct float64 `json:"distinct,omitempty"`
}

// Status is the body of GET /v1/loadtest: the current or last run.
type Status struct {
	ID          string  `json:"id"`
	Running     bool    `json:"running"`
	Phase       string  `json:"phase"`
	Target      string  `json:"target"`
	Mode        string  `json:"mode"`
	Concurrency int     `json:"concurrency,omitempty"`
	Rate        float64 `json:"rate,omitempty"`
	Workload    string  `json:"workload"`
	DurationS   float64 `json:"duration_s"`
	ElapsedS    float64 `json:"elapsed_s"`
	Sent        int64   `json:"sent"`
	OK          int64   `json:"ok"`
	Errors      int64   `json:"errors"`
	RPS         float64 `json:"rps"`
	P50         float64 `json:"p50_ms"`
	P95         float64 `json:"p95_ms"`
	P99         float64 `json:"p99_ms"`
	// ErrorKinds counts errors by kind once the run is over.
	ErrorKinds map[string]int64 `json:"error_kinds,omitempty"`
	// Error says why a finished run measured nothing, if it did not.
	Error string `json:"error,omitempty"`
}

// apiError is an answer in the gateway's error envelope.
type apiError struct {
	status         int
	typ, code, msg string
}

func (e *apiError) Error() string { return e.msg }

var (
	errBusy   = &apiError{status: fiber.StatusConflict, typ: "conflict_error", code: "loadtest_running", msg: "a load test is already running; stop it with DELETE /v1/loadtest or wait for it to end"}
	errNone   = &apiError{status: fiber.StatusNotFound, typ: "not_found_error", code: "no_loadtest", msg: "no load test has run yet"}
	errClosed = &apiError{status: fiber.StatusServiceUnavailable, typ: "service_unavailable_error", code: "shutting_down", msg: "the gateway is shutting down"}
)

func badRequest(format string, args ...any) *apiError {
	return &apiError{status: fiber.StatusBadRequest, typ: "invalid_request_error", code: "invalid_parameter", msg: fmt.Sprintf(format, args...)}
}

func respondError(c *fiber.Ctx, err error) error {
	var e *apiError
	if !errors.As(err, &e) {
		e = &apiError{status: fiber.StatusInternalServerError, typ: "internal_error", code: "internal", msg: err.Error()}
	}
	return c.Status(e.status).JSON(fiber.Map{"error": fiber.Map{"message": e.msg, "type": e.typ, "code": e.code}})
}

// Start handles POST /v1/loadtest: 202 {"id"}, 400 for a bad body, 409 when
// a run is going.
func (t *Tester) Start(c *fiber.Ctx) error {
	var req StartRequest
	dec := json.NewDecoder(bytes.NewReader(c.Body()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return respondError(c, badRequest("body is not a valid load-test request: %v", err))
	}
	// Fiber reuses request memory after the handler returns: copy the key.
	cfg, err := t.config(req, strings.Clone(c.Get(fiber.HeaderAuthorization)))
	if err != nil {
		return respondError(c, err)
	}
	st, err := t.start(req, cfg)
	if err != nil {
		return respondError(c, err)
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"id": st.id})
}

// Status handles GET /v1/loadtest: the current or last run, 404 if none.
func (t *Tester) Status(c *fiber.Ctx) error {
	st := t.current()
	if st == nil {
		return respondError(c, errNone)
	}
	return c.JSON(st.status())
}

// Stop handles DELETE /v1/loadtest: stops the run and answers its final
// status; 404 when none is running.
func (t *Tester) Stop(c *fiber.Ctx) error {
	st := t.current()
	if st == nil {
		return respondError(c, errNone)
	}
	select {
	case <-st.run.Done():
		return respondError(c, &apiError{status: fiber.StatusNotFound, typ: "not_found_error", code: "no_loadtest", msg: "no load test is running"})
	default:
	}
	st.run.Stop()
	<-st.run.Done()
	return c.JSON(st.status())
}

func (st *state) status() Status {
	s := Status{
		ID: st.id, Target: st.req.Target, Mode: st.req.Mode, Concurrency: st.req.Concurrency,
		Rate: st.req.Rate, Workload: st.req.Workload, DurationS: st.req.DurationS,
	}
	snap := st.run.Snapshot()
	s.Phase, s.Running, s.ElapsedS = snap.Phase, snap.Phase != "done", snap.Elapsed
	s.Sent, s.OK, s.Errors, s.RPS = snap.Sent, snap.OK, snap.Errors, snap.RPS
	s.P50, s.P95, s.P99 = snap.P50, snap.P95, snap.P99
	if !s.Running {
		res, err := st.run.Wait() // done: returns at once
		if res.Elapsed > 0 {
			s.RPS = res.Throughput
		}
		s.ErrorKinds = res.ErrorKinds
		if err != nil {
			s.Error = err.Error()
		}
	}
	return s
}

// config validates a request into an engine configuration.
func (t *Tester) config(req StartRequest, auth string) (load.Config, error) {
	maxS := t.opts.MaxDuration.Seconds()
	if !(req.DurationS >= 1 && req.DurationS <= maxS) {
		return load.Config{}, badRequest("duration_s must be from 1 to %g seconds", maxS)
	}
	cfg := load.Config{
		Mode:        load.Mode(req.Mode),
		Arrival:     load.Arrival(req.Arrival),
		Duration:    time.Duration(req.DurationS * float64(time.Second)),
		Warmup:      0,
		Timeout:     10 * time.Second,
		MaxInFlight: t.opts.MaxInFlight,
		Client:      t.opts.Client,
	}
	switch cfg.Mode {
	case load.Closed:
		if req.Concurrency < 1 || req.Concurrency > t.opts.MaxConcurrency {
			return load.Config{}, badRequest("concurrency must be from 1 to %d for a closed loop", t.opts.MaxConcurrency)
		}
		if req.Rate != 0 {
			return load.Config{}, badRequest("rate applies to mode open only")
		}
		cfg.Concurrency = req.Concurrency
	case load.Open:
		if !(req.Rate > 0 && req.Rate <= t.opts.MaxRate) || math.IsInf(req.Rate, 0) {
			return load.Config{}, badRequest("rate must be above 0 and at most %g requests/s for an open loop", t.opts.MaxRate)
		}
		if req.Concurrency != 0 {
			return load.Config{}, badRequest("concurrency applies to mode closed only")
		}
		if req.Arrival != "" && req.Arrival != string(load.Constant) && req.Arrival != string(load.Poisson) {
			return load.Config{}, badRequest("arrival must be constant or poisson")
		}
		cfg.Rate = req.Rate
	default:
		return load.Config{}, badRequest("mode must be closed or open, not %q", req.Mode)
	}
	lengths, err := load.ParseLengths(req.Workload)
	if err != nil {
		return load.Config{}, badRequest("workload must be short, mixed or long, not %q", req.Workload)
	}
	if req.Distinct < 0 || req.Distinct > 1 {
		return load.Config{}, badRequest("distinct must be in (0, 1]")
	}
	cfg.Workload, err = load.NewGenerator(load.GeneratorOptions{Lengths: lengths, Distinct: req.Distinct, Seed: uint64(time.Now().UnixNano())})
	if err != nil {
		return load.Config{}, badRequest("%v", err)
	}
	var target *load.HTTPTarget
	switch req.Target {
	case "/v1/classify", "/v1/embed", "/v1/embeddings", "/v1/tokenize":
		target, err = load.Infergate(t.opts.BaseURL, req.Target, req.Model)
	case "/predict", "/embed":
		target, err = load.TEI(t.opts.BaseURL, req.Target, true)
	default:
		return load.Config{}, badRequest("target must be one of /v1/classify, /v1/embed, /v1/embeddings, /v1/tokenize, /predict, /embed; not %q", req.Target)
	}
	if err != nil {
		return load.Config{}, fmt.Errorf("load-test target: %w", err) // a bad BaseURL is the operator's error
	}
	if auth != "" {
		// The caller may use the API, so the load it starts may too.
		target.Header = http.Header{fiber.HeaderAuthorization: {auth}}
	}
	cfg.Target = target
	return cfg, nil
}
