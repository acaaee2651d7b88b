package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/infergate/infergate/benchmarks/load"
	"github.com/infergate/infergate/benchmarks/report"
)

// benchFlags are the flags of `infergate bench`.
type benchFlags struct {
	url, target, model, body, tokenizer string
	headers                             []string
	maxLen                              int
	kserveVersion, kserveInput          string
	kserveOutputs                       []string

	mode        string
	concurrency []int
	rates       []float64
	arrival     string
	duration    time.Duration
	warmup      time.Duration
	timeout     time.Duration
	requests    int64
	maxInFlight int

	workload, textsFile string
	perRequest          int
	distinct            float64
	seed                uint64

	runs                      int
	name, jsonOut, mdOut, svg string
	noProgress                bool
	noTruncate                bool
}

func newBenchCmd() *cobra.Command {
	var f benchFlags
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Load-test an HTTP inference server (infergate, TEI, KServe v2, any JSON API)",
		Long: `bench drives a server with a closed loop (--concurrency clients) or an open
loop (--rate requests/s, constant or Poisson; latency counted from each
request's intended send time, so stalls are not hidden). Lists of
concurrencies or rates sweep; --runs repeats each and reports medians.
It prints a markdown table and can write JSON and SVG plots.`,
		Example: `  infergate bench --target /v1/classify --concurrency 1,8,32 --duration 10s --workload mixed
  infergate bench --mode open --rate 100,200,400 --arrival poisson --svg-dir out/
  infergate bench --target generic --url http://host:9000/score --body '{"text": {{text}}}'
  infergate bench --target kserve --model langid --tokenizer deploy/model_repository/langid/vocab.txt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runBench(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.url, "url", "http://127.0.0.1:8080", "server base URL (full URL for --target generic)")
	fl.StringVar(&f.target, "target", "/v1/classify", "a gateway route (/v1/classify, /v1/embed, /v1/embeddings, /v1/tokenize), tei-predict, tei-embed, kserve or generic")
	fl.StringVar(&f.model, "model", "", "model name (required for kserve)")
	fl.StringVar(&f.body, "body", "", `generic: JSON body template; {{text}} is the first text as a JSON string, {{texts}} all texts as an array`)
	fl.StringArrayVarP(&f.headers, "header", "H", nil, `extra request header "Name: value" (repeatable)`)
	fl.StringVar(&f.tokenizer, "tokenizer", "", "kserve: vocab.txt or tokenizer.json to send INT64 token tensors (else a BYTES text tensor)")
	fl.IntVar(&f.maxLen, "max-len", 128, "kserve: truncate token sequences to this length")
	fl.StringVar(&f.kserveVersion, "kserve-version", "", "kserve: model version")
	fl.StringVar(&f.kserveInput, "kserve-text-input", "TEXT", "kserve: name of the BYTES input without --tokenizer")
	fl.StringSliceVar(&f.kserveOutputs, "kserve-output", nil, "kserve: outputs to request (default all)")
	fl.StringVar(&f.mode, "mode", "closed", "closed (fixed concurrency) or open (fixed rate)")
	fl.IntSliceVarP(&f.concurrency, "concurrency", "c", []int{8}, "closed loop: concurrent clients (a list sweeps)")
	fl.Float64SliceVarP(&f.rates, "rate", "r", []float64{100}, "open loop: requests per second (a list sweeps)")
	fl.StringVar(&f.arrival, "arrival", "constant", "open loop: constant or poisson")
	fl.DurationVarP(&f.duration, "duration", "d", 10*time.Second, "measured time per run (0: only --requests bounds it)")
	fl.DurationVar(&f.warmup, "warmup", 2*time.Second, "unmeasured warm-up before each run")
	fl.DurationVar(&f.timeout, "timeout", 30*time.Second, "per-request timeout")
	fl.Int64VarP(&f.requests, "requests", "n", 0, "stop each run after this many measured requests (0: no limit)")
	fl.IntVar(&f.maxInFlight, "max-inflight", 1024, "open loop: most outstanding requests")
	fl.StringVarP(&f.workload, "workload", "w", "mixed", "built-in texts: short, mixed or long (multilingual)")
	fl.StringVar(&f.textsFile, "texts", "", "file of texts, one per line (instead of --workload)")
	fl.IntVar(&f.perRequest, "texts-per-request", 1, "texts in each request")
	fl.Float64Var(&f.distinct, "distinct", 1, "share of new texts in (0, 1]; 1 - distinct is the cache hit rate")
	fl.Uint64Var(&f.seed, "seed", 1, "workload seed")
	fl.IntVar(&f.runs, "runs", 1, "repeat each case this many times and report medians")
	fl.StringVar(&f.name, "name", "bench", "name in reports and plot file names")
	fl.StringVar(&f.jsonOut, "json", "", "write every run as JSON to this file (- for stdout instead of the table)")
	fl.StringVar(&f.mdOut, "markdown", "", "also write the markdown table to this file")
	fl.StringVar(&f.svg, "svg-dir", "", "write SVG plots (throughput vs concurrency, latency vs load, CDF) here")
	fl.BoolVar(&f.noProgress, "no-progress", false, "no progress bar even on a terminal")
	fl.BoolVar(&f.noTruncate, "no-truncate", false, "tei: do not ask the server to truncate long texts (TEI then answers 413)")
	cmd.AddCommand(newBenchSuiteCmd(), newBenchBaselineCmd())
	return cmd
}

func runBench(cmd *cobra.Command, f benchFlags) error {
	target, err := benchTarget(f)
	if err != nil {
		return err
	}
	lengths, err := load.ParseLengths(f.workload)
	if err != nil {
		return err
	}
	var texts []string
	if f.textsFile != "" {
		if texts, err = load.ReadTexts(f.textsFile); err != nil {
			return err
		}
	}
	mode := load.Mode(f.mode)
	var cases []report.Case
	switch mode {
	case load.Closed:
		for _, c := range f.concurrency {
			cases = append(cases, report.Case{Arm: f.name, Mode: mode, Concurrency: c})
		}
	case load.Open:
		for _, r := range f.rates {
			cases = append(cases, report.Case{Arm: f.name, Mode: mode, Rate: r})
		}
	default:
		return fmt.Errorf("--mode %q: want closed or open", f.mode)
	}
	if f.runs < 1 {
		return errors.New("--runs must be at least 1")
	}
	out := cmd.OutOrStdout()
	var progress io.Writer
	if file, ok := out.(*os.File); ok && !f.noProgress && isatty.IsTerminal(file.Fd()) {
		progress = out
	}
	conns := f.maxInFlight
	for _, c := range f.concurrency {
		conns = max(conns, c)
	}
	client := load.NewClient(conns)
	defer client.CloseIdleConnections()
	// Runs are interleaved (all cases, then again) so that drift on a
	// shared machine spreads over every case instead of biasing one.
	for round := 0; round < f.runs; round++ {
		for i := range cases {
			c := &cases[i]
			wl, err := load.NewGenerator(load.GeneratorOptions{Lengths: lengths, Texts: texts, Distinct: f.distinct, Seed: f.seed + uint64(round)*1000003})
			if err != nil {
				return err
			}
			cfg := load.Config{Mode: mode, Arrival: load.Arrival(f.arrival), Concurrency: c.Concurrency, Rate: c.Rate,
				MaxInFlight: f.maxInFlight, Warmup: f.warmup, Duration: f.duration, Requests: f.requests, Timeout: f.timeout,
				Target: target, Workload: wl, TextsPerRequest: f.perRequest, Client: client}
			run, err := load.Start(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			if progress != nil {
				report.Progress(progress, c.Label(), run, 200*time.Millisecond)
			}
			res, err := run.Wait()
			if err != nil {
				return fmt.Errorf("%s: %w", c.Label(), err)
			}
			c.Runs = append(c.Runs, res)
		}
	}
	rep := report.Report{Name: f.name, Title: "infergate bench: " + target.String(), Machine: report.Machine(),
		Date: time.Now().UTC(), Command: "infergate " + strings.Join(os.Args[1:], " "), Cases: cases}
	return writeBench(out, rep, f)
}

func writeBench(out io.Writer, rep report.Report, f benchFlags) error {
	var plots []string
	if f.svg != "" {
		var err error
		if plots, err = writePlots(rep, f.svg); err != nil {
			return err
		}
	}
	if f.mdOut != "" {
		if err := writeFile(f.mdOut, func(w io.Writer) error { return rep.WriteMarkdown(w, plots) }); err != nil {
			return err
		}
	}
	switch f.jsonOut {
	case "-":
		return rep.WriteJSON(out)
	case "":
	default:
		if err := writeFile(f.jsonOut, rep.WriteJSON); err != nil {
			return err
		}
	}
	return rep.WriteMarkdown(out, nil)
}

func writePlots(rep report.Report, dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	charts := map[string]report.Chart{"cdf": report.CDF(rep.Title+": latency CDF", rep.Cases)}
	if ch, ok := report.ThroughputVsConcurrency(rep.Title+": throughput vs concurrency", rep.Cases); ok {
		charts["throughput"] = ch
	}
	if ch, ok := report.LatencyVsLoad(rep.Title+": latency vs offered load", rep.Cases); ok {
		charts["latency"] = ch
	}
	var paths []string
	for _, kind := range []string{"throughput", "latency", "cdf"} {
		ch, ok := charts[kind]
		if !ok {
			continue
		}
		path := filepath.Join(dir, rep.Name+"-"+kind+".svg")
		if err := writeFile(path, ch.WriteSVG); err != nil {
			return nil, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

func benchTarget(f benchFlags) (*load.HTTPTarget, error) {
	var (
		t   *load.HTTPTarget
		err error
	)
	switch f.target {
	case "tei-predict":
		t, err = load.TEI(f.url, "/predict", !f.noTruncate)
	case "tei-embed":
		t, err = load.TEI(f.url, "/embed", !f.noTruncate)
	case "generic":
		t, err = load.Generic(f.url, f.body, nil)
	case "kserve":
		opts := load.KServeOptions{Model: f.model, Version: f.kserveVersion, TextInput: f.kserveInput, Outputs: f.kserveOutputs}
		if f.tokenizer != "" {
			enc, err := newEncoder(f.tokenizer, f.maxLen)
			if err != nil {
				return nil, err
			}
			opts.Encoder = enc
		}
		t, err = load.KServe(f.url, opts)
	default:
		t, err = load.Infergate(f.url, f.target, f.model)
	}
	if err != nil {
		return nil, err
	}
	for _, h := range f.headers {
		k, v, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("--header %q: want \"Name: value\"", h)
		}
		if t.Header == nil {
			t.Header = http.Header{}
		}
		t.Header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	return t, nil
}
