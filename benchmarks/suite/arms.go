package suite

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/infergate/infergate/benchmarks/load"
	"github.com/infergate/infergate/benchmarks/rawbench"
	"github.com/infergate/infergate/benchmarks/report"
)

// server is an arm ready for load at base.
type server struct {
	base    string
	metrics bool // a gateway: /metrics can be scraped
	proc    *process
}

func (s *server) stop() {
	if s.proc != nil {
		_ = s.proc.stop() // a failed stop leaves nothing behind: stop kills
	}
}

func (r *runner) startArm(ctx context.Context, arm Arm) (*server, error) {
	switch {
	case arm.URL != "":
		return &server{base: arm.URL, metrics: true}, nil
	case arm.Gateway != "":
		httpAddr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		grpcAddr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		args := []string{r.opts.Bin, "serve", "--config", arm.Gateway, "--http-addr", httpAddr, "--grpc-addr", grpcAddr}
		p, err := startProcess(ctx, r.tmp, args, "http://"+httpAddr+"/readyz", 2*time.Minute)
		if err != nil {
			return nil, err
		}
		return &server{base: "http://" + httpAddr, metrics: true, proc: p}, nil
	case arm.Baseline != "":
		size, ok := r.bodyLen[arm.Baseline]
		if !ok {
			return nil, fmt.Errorf("baseline copies arm %q, which has not answered yet", arm.Baseline)
		}
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		args := []string{r.opts.Bin, "bench", "baseline", "--addr", addr, "--body-bytes", strconv.Itoa(size)}
		p, err := startProcess(ctx, r.tmp, args, "http://"+addr+"/readyz", 30*time.Second)
		if err != nil {
			return nil, err
		}
		return &server{base: "http://" + addr, proc: p}, nil
	}
	return nil, fmt.Errorf("arm %q has no kind", arm.Name)
}

// metrics scrapes the scenario's metrics from a gateway arm.
func (r *runner) metrics(ctx context.Context, srv *server) (map[string]float64, error) {
	if !srv.metrics || len(r.s.Metrics) == 0 {
		return nil, nil
	}
	var names []string
	for _, m := range r.s.Metrics {
		names = append(names, strings.Split(m.Num+"+"+m.Den, "+")...)
	}
	m, err := scrape(ctx, r.client, srv.base+"/metrics", names)
	if err != nil && srv.proc == nil {
		return nil, nil // an external server may have no /metrics
	}
	return m, err
}

func (r *runner) addMetrics(c *report.Case, before, after map[string]float64) {
	if before == nil || after == nil {
		return
	}
	delta := func(expr string) float64 {
		d := 0.0
		for _, name := range strings.Split(expr, "+") {
			d += after[name] - before[name]
		}
		return d
	}
	for _, m := range r.s.Metrics {
		den := delta(m.Den)
		if den <= 0 {
			continue
		}
		if c.Extra == nil {
			c.Extra = map[string][]float64{}
		}
		c.Extra[m.Name] = append(c.Extra[m.Name], delta(m.Num)/den)
	}
}

// runtimeRound measures a runtime alone at each batch size once.
func (r *runner) runtimeRound(ctx context.Context, arm Arm) error {
	if r.opts.OpenRuntime == nil {
		return fmt.Errorf("runtime arm %q: this build cannot open runtimes", arm.Name)
	}
	rt, enc, closer, err := r.opts.OpenRuntime(ctx, *arm.Runtime)
	if err != nil {
		return fmt.Errorf("open runtime: %w", err)
	}
	defer closer.Close()
	texts, err := r.runtimeTexts(arm.Runtime.Texts)
	if err != nil {
		return err
	}
	order := rawbench.Order(arm.Runtime.Order)
	if order == "" {
		order = rawbench.Sorted
	}
	d := arm.Runtime.Duration
	if d <= 0 {
		d = r.s.Load.Duration
	}
	points, err := rawbench.Measure(ctx, rt, enc, rawbench.Options{
		Texts: texts, BatchSizes: arm.Runtime.BatchSizes, Order: order,
		Duration: d, Outputs: arm.Runtime.Outputs,
	})
	if err != nil {
		return err
	}
	for _, p := range points {
		c := r.caseFor(report.Case{Arm: arm.Name, Mode: report.Raw, BatchSize: p.BatchSize})
		c.Runs = append(c.Runs, load.Result{
			Target: "runtime " + arm.Runtime.Model, Mode: report.Raw, TextsPerRequest: 1,
			Start: time.Now(), Elapsed: p.Seconds, Sent: p.Rows, OK: p.Rows,
			Throughput: p.RowsPerSec, TextsPerSecond: p.RowsPerSec,
			Latency: p.Batch,
		})
		if c.Extra == nil {
			c.Extra = map[string][]float64{}
		}
		c.Extra["padding"] = append(c.Extra["padding"], p.PaddingRatio)
		fmt.Fprintf(r.opts.Log, "%-28s: %8.1f rows/s, batch p50 %.2fms, padding %.2f\n", c.Label(), p.RowsPerSec, p.Batch.P50, p.PaddingRatio)
	}
	return nil
}

// runtimeTexts returns the first n texts of the scenario's workload (2048
// when n is 0): the same texts whichever arm asks.
func (r *runner) runtimeTexts(n int) ([]string, error) {
	if n <= 0 {
		n = 2048
	}
	lengths, err := load.ParseLengths(r.s.Load.Workload)
	if err != nil {
		return nil, err
	}
	gen, err := load.NewGenerator(load.GeneratorOptions{Lengths: lengths, Seed: r.s.Load.Seed})
	if err != nil {
		return nil, err
	}
	return gen.Next(n), nil
}
