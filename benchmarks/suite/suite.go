package suite

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/infergate/infergate/benchmarks/load"
	"github.com/infergate/infergate/benchmarks/rawbench"
	"github.com/infergate/infergate/benchmarks/report"
)

// Options are what the suite needs from its caller.
type Options struct {
	// Bin is the infergate binary that serves gateway and baseline arms.
	Bin string
	// Command is the command line recorded in the results.
	Command string
	// Revision names the source measured (e.g. a git commit).
	Revision string
	// Runs overrides every scenario's run count when > 0 (quick checks).
	Runs int
	// Scale multiplies load durations (e.g. 0.2 for a smoke run); 0 means 1.
	Scale float64
	// OpenRuntime builds a runtime arm's runtime and encoder; cmd wires the
	// concrete ones (adapters/onnx, tokenizer).
	OpenRuntime func(ctx context.Context, arm RuntimeArm) (rawbench.Runner, rawbench.Encoder, io.Closer, error)
	// Log gets one line per measured run.
	Log io.Writer
	// Progress, when set, draws a live progress bar of each run on it.
	Progress io.Writer
}

// runner carries one scenario's state through its rounds.
type runner struct {
	s       *Scenario
	opts    Options
	tmp     string
	client  *http.Client
	cases   []*report.Case
	byLabel map[string]*report.Case
	bodyLen map[string]int // probe response size per arm
}

// Run measures a scenario and returns its report.
func Run(ctx context.Context, s *Scenario, opts Options) (report.Report, error) {
	if opts.Runs > 0 {
		s.Runs = opts.Runs
	}
	if opts.Scale > 0 {
		scale := func(d *time.Duration) { *d = time.Duration(float64(*d) * opts.Scale) }
		scale(&s.Load.Duration)
		scale(&s.Load.Warmup)
		for _, a := range s.Arms {
			if a.Runtime != nil {
				scale(&a.Runtime.Duration)
			}
		}
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	tmp, err := os.MkdirTemp("", "infergate-bench-")
	if err != nil {
		return report.Report{}, err
	}
	defer os.RemoveAll(tmp)
	conns := 64
	for _, c := range s.Load.Concurrency {
		conns = max(conns, c)
	}
	r := &runner{s: s, opts: opts, tmp: tmp, client: load.NewClient(conns),
		byLabel: map[string]*report.Case{}, bodyLen: map[string]int{}}
	defer r.client.CloseIdleConnections()

	rep := report.Report{Name: s.Name, Title: s.Title, Description: s.Description, Machine: report.Machine(),
		Date: time.Now().UTC(), Command: opts.Command, Revision: opts.Revision, Notes: append([]string(nil), s.Notes...)}
	startLoad := report.LoadAvg()
	// Phase 1: closed loops, fixed rates and runtime arms, arms interleaved
	// within each round.
	for round := 1; round <= s.Runs; round++ {
		for _, arm := range s.Arms {
			if err := r.round(ctx, arm, round, nil); err != nil {
				return rep, fmt.Errorf("%s, arm %s, run %d: %w", s.Name, arm.Name, round, err)
			}
		}
	}
	// Phase 2: open loops at fractions of each arm's saturation, which
	// phase 1 measured.
	if len(s.Load.RateFractions) > 0 {
		sat := r.saturation()
		for round := 1; round <= s.Runs; round++ {
			for _, arm := range s.Arms {
				if arm.Runtime != nil || arm.Batcher != nil || sat[arm.Name] == 0 {
					continue
				}
				if err := r.round(ctx, arm, round, func() float64 { return sat[arm.Name] }); err != nil {
					return rep, fmt.Errorf("%s, arm %s, open run %d: %w", s.Name, arm.Name, round, err)
				}
			}
		}
	}
	for _, c := range r.cases {
		rep.Cases = append(rep.Cases, *c)
	}
	rep.Ratios = computeRatios(s.Ratio, rep.Cases)
	// Other work on a shared host shows here; read the spread column too.
	rep.Notes = append(rep.Notes, fmt.Sprintf("Host load average (1, 5, 15 min): %s at the start, %s at the end.", startLoad, report.LoadAvg()))
	return rep, nil
}

// saturation is each arm's best closed-loop median throughput.
func (r *runner) saturation() map[string]float64 {
	sat := map[string]float64{}
	for _, c := range r.cases {
		if c.Mode == load.Closed {
			sat[c.Arm] = max(sat[c.Arm], c.Median().Throughput)
		}
	}
	return sat
}

func (r *runner) caseFor(c report.Case) *report.Case {
	if got, ok := r.byLabel[c.Label()]; ok {
		return got
	}
	p := &c
	r.cases = append(r.cases, p)
	r.byLabel[c.Label()] = p
	return p
}

// round runs one arm's cases once: phase 1 when sat is nil, else the
// rate-fraction cases.
func (r *runner) round(ctx context.Context, arm Arm, n int, sat func() float64) error {
	switch {
	case arm.Runtime != nil:
		return r.runtimeRound(ctx, arm)
	case arm.Batcher != nil:
		if sat != nil {
			return nil // in-process: no open-loop cases
		}
		return r.batcherRound(ctx, arm, n)
	}
	srv, err := r.startArm(ctx, arm)
	if err != nil {
		return err
	}
	defer srv.stop()
	if err := r.probe(ctx, arm, srv.base); err != nil {
		return err
	}
	l := r.s.Load
	type step struct {
		c   report.Case
		cfg func(*load.Config)
	}
	var steps []step
	if sat == nil {
		for _, c := range l.Concurrency {
			steps = append(steps, step{report.Case{Arm: arm.Name, Mode: load.Closed, Concurrency: c},
				func(cfg *load.Config) { cfg.Mode, cfg.Concurrency = load.Closed, c }})
		}
		for _, rate := range l.Rates {
			steps = append(steps, step{report.Case{Arm: arm.Name, Mode: load.Open, Rate: rate},
				func(cfg *load.Config) { cfg.Mode, cfg.Rate = load.Open, rate }})
		}
	} else {
		for _, f := range l.RateFractions {
			rate := f * sat()
			steps = append(steps, step{report.Case{Arm: arm.Name, Mode: load.Open, Rate: rate, Fraction: f},
				func(cfg *load.Config) { cfg.Mode, cfg.Rate = load.Open, rate }})
		}
	}
	for _, st := range steps {
		cfg, err := r.loadConfig(srv.base, n)
		if err != nil {
			return err
		}
		st.cfg(&cfg)
		c := r.caseFor(st.c)
		before, err := r.metrics(ctx, srv)
		if err != nil {
			return err
		}
		res, err := r.execute(ctx, c.Label(), cfg)
		if err != nil {
			return fmt.Errorf("%s: %w", c.Label(), err)
		}
		after, err := r.metrics(ctx, srv)
		if err != nil {
			return err
		}
		c.Runs = append(c.Runs, res)
		r.addMetrics(c, before, after)
		fmt.Fprintf(r.opts.Log, "%-28s run %d/%d: %8.1f req/s (sent %.1f/s) p50 %7.2fms p99 %7.2fms errors %d %v\n",
			c.Label(), n, r.s.Runs, res.Throughput, res.SendRate, res.Latency.P50, res.Latency.P99, res.Errors, res.ErrorKinds)
	}
	return nil
}

// execute runs one load, with a progress bar when asked.
func (r *runner) execute(ctx context.Context, label string, cfg load.Config) (load.Result, error) {
	run, err := load.Start(ctx, cfg)
	if err != nil {
		return load.Result{}, err
	}
	if r.opts.Progress != nil {
		report.Progress(r.opts.Progress, label, run, 200*time.Millisecond)
	}
	return run.Wait()
}

func (r *runner) loadConfig(base string, round int) (load.Config, error) {
	l := r.s.Load
	target, err := newTarget(base, l.Target, l.Model)
	if err != nil {
		return load.Config{}, err
	}
	lengths, err := load.ParseLengths(l.Workload)
	if err != nil {
		return load.Config{}, err
	}
	// A new seed each round: a repeated run must not hit texts cached by
	// the one before (unless the scenario's distinct ratio asks for hits).
	wl, err := load.NewGenerator(load.GeneratorOptions{Lengths: lengths, Distinct: l.Distinct, Seed: l.Seed + uint64(round)*1000003})
	if err != nil {
		return load.Config{}, err
	}
	return load.Config{
		Arrival: load.Arrival(l.Arrival), Warmup: l.Warmup, Duration: l.Duration, Timeout: 30 * time.Second,
		Target: target, Workload: wl, TextsPerRequest: l.TextsPerRequest, Client: r.client, MaxInFlight: 4096,
	}, nil
}

func newTarget(base, route, model string) (*load.HTTPTarget, error) {
	switch route {
	case "/predict", "/embed":
		return load.TEI(base, route, true)
	default:
		return load.Infergate(base, route, model)
	}
}

// probe sends one request so a misconfigured arm fails early with its
// answer, and records the response size (the baseline copies it).
func (r *runner) probe(ctx context.Context, arm Arm, base string) error {
	target, err := newTarget(base, r.s.Load.Target, r.s.Load.Model)
	if err != nil {
		return err
	}
	req, err := target.NewRequest(ctx, []string{"a short probe text for the benchmark"})
	if err != nil {
		return err
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("probe %s answered %d: %.300s", target.URL, resp.StatusCode, body)
	}
	r.bodyLen[arm.Name] = len(body)
	return nil
}
