// Package suite runs the benchmark scenarios of benchmarks/scenarios: each
// compares arms (gateway configurations, a raw runtime, a minimal Fiber
// baseline, any URL) under the same load, interleaving the arms run by run
// so that ratios compare measurements taken side by side, and writes the
// results pages of benchmarks/results.
package suite

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/infergate/infergate/benchmarks/load"
)

// Scenario is one benchmarks/scenarios/*.yaml file.
type Scenario struct {
	// Name is the results file's base name.
	Name        string `yaml:"name"`
	Title       string `yaml:"title"`
	Description string `yaml:"description"`
	// Runs is how many times each case runs (the tables show medians); >= 3
	// for committed results.
	Runs  int    `yaml:"runs"`
	Arms  []Arm  `yaml:"arms"`
	Load  Load   `yaml:"load"`
	Ratio []Comp `yaml:"ratios"`
	// Metrics are scraped from a gateway arm's /metrics before and after
	// each run; the delta ratio goes in the table as an extra column.
	Metrics []Metric `yaml:"metrics"`
	Notes   []string `yaml:"notes"`
}

// Arm is one side of a comparison; exactly one of its kinds is set.
type Arm struct {
	Name string `yaml:"name"`
	// Gateway starts `infergate serve --config Gateway` on free ports.
	Gateway string `yaml:"gateway"`
	// Baseline starts the minimal Fiber server with a body as large as the
	// response of the arm it names.
	Baseline string `yaml:"baseline"`
	// Runtime measures the runtime alone (see RuntimeArm).
	Runtime *RuntimeArm `yaml:"runtime"`
	// Batcher drives the gateway's batcher in-process (see BatcherArm).
	Batcher *BatcherArm `yaml:"batcher"`
	// URL loads an already running server.
	URL string `yaml:"url"`
}

// RuntimeArm measures a model runtime without the gateway.
type RuntimeArm struct {
	Type       string `yaml:"type"` // onnx
	Model      string `yaml:"model"`
	Tokenizer  string `yaml:"tokenizer"`
	MaxSeqLen  int    `yaml:"max_seq_len"`
	Threads    int    `yaml:"threads"`
	BatchSizes []int  `yaml:"batch_sizes"`
	// Order is sorted (length-grouped, the best case) or arrival.
	Order string `yaml:"order"`
	// Texts is how many workload texts are tokenized and cycled.
	Texts int `yaml:"texts"`
	// Outputs to compute; /v1/classify needs logits only.
	Outputs []string `yaml:"outputs"`
	// Duration per batch size; 0 means the load duration.
	Duration time.Duration `yaml:"duration"`
}

// Load is the load every HTTP arm gets.
type Load struct {
	// Target is a gateway route (/v1/classify, /v1/embed, /v1/embeddings,
	// /v1/tokenize, /predict, /embed).
	Target      string    `yaml:"target"`
	Model       string    `yaml:"model"`
	Concurrency []int     `yaml:"concurrency"`
	Rates       []float64 `yaml:"rates"`
	// RateFractions adds open-loop cases at these fractions of the arm's
	// saturation throughput (the best closed-loop median).
	RateFractions   []float64     `yaml:"rate_fractions"`
	Arrival         string        `yaml:"arrival"`
	Duration        time.Duration `yaml:"duration"`
	Warmup          time.Duration `yaml:"warmup"`
	Workload        string        `yaml:"workload"`
	Distinct        float64       `yaml:"distinct"`
	TextsPerRequest int           `yaml:"texts_per_request"`
	Seed            uint64        `yaml:"seed"`
}

// Comp is a ratio to report: Metric(Num) / Metric(Den), where Num and Den
// are case labels ("arm c=64", "arm @0.5", "arm b=32") or "arm best" (the
// arm's case with the highest throughput).
type Comp struct {
	Name   string `yaml:"name"`
	Num    string `yaml:"num"`
	Den    string `yaml:"den"`
	Metric string `yaml:"metric"` // throughput (texts/s) or p99
	// Target like ">= 2" or "<= 1"; empty reports the ratio only.
	Target string `yaml:"target"`
	// For metric p99_budget: Num's p99 / (DelayMs + Batches x the time of
	// one of Den's batches: its mean for a runtime case, else its p50).
	DelayMs float64 `yaml:"delay_ms"`
	Batches float64 `yaml:"batches"`
}

// Metric is a gateway-side number: delta(Num) / delta(Den) over a run, each
// the sum of all series of a Prometheus metric, or of several joined by
// "+" (e.g. Den "hits_total+misses_total").
type Metric struct {
	Name string `yaml:"name"`
	Num  string `yaml:"num"`
	Den  string `yaml:"den"`
}

// LoadScenario reads and checks a scenario file.
func LoadScenario(path string) (*Scenario, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("scenario: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	var s Scenario
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("scenario %s: %w", path, err)
	}
	if err := s.validate(); err != nil {
		return nil, fmt.Errorf("scenario %s: %w", path, err)
	}
	return &s, nil
}

func (s *Scenario) validate() error {
	var errs []error
	if s.Name == "" || strings.ContainsAny(s.Name, "/\\ ") {
		errs = append(errs, errors.New("name must be a plain file name"))
	}
	if s.Runs == 0 {
		s.Runs = 3
	}
	if s.Runs < 1 || s.Runs > 20 {
		errs = append(errs, fmt.Errorf("runs %d out of [1, 20]", s.Runs))
	}
	names := map[string]bool{}
	http := false
	for i, a := range s.Arms {
		kinds := 0
		for _, set := range []bool{a.Gateway != "", a.Baseline != "", a.Runtime != nil, a.Batcher != nil, a.URL != ""} {
			if set {
				kinds++
			}
		}
		if a.Name == "" || names[a.Name] || kinds != 1 {
			errs = append(errs, fmt.Errorf("arm %d (%q) needs a unique name and exactly one of gateway, baseline, runtime, batcher, url", i, a.Name))
		}
		names[a.Name] = true
		switch {
		case a.Runtime != nil:
			if len(a.Runtime.BatchSizes) == 0 || a.Runtime.Model == "" || a.Runtime.Tokenizer == "" {
				errs = append(errs, fmt.Errorf("runtime arm %q needs model, tokenizer and batch_sizes", a.Name))
			}
		case a.Batcher != nil:
			if a.Batcher.Model == "" || a.Batcher.Tokenizer == "" {
				errs = append(errs, fmt.Errorf("batcher arm %q needs model and tokenizer", a.Name))
			}
			if g := a.Batcher.Grouping; g != "" && g != "length" && g != "fifo" {
				errs = append(errs, fmt.Errorf("batcher arm %q: grouping %q (want length or fifo)", a.Name, g))
			}
			http = true // it needs the load's concurrencies
		default:
			http = true
		}
		if a.Baseline != "" && !names[a.Baseline] {
			errs = append(errs, fmt.Errorf("baseline arm %q must come after the arm %q it copies", a.Name, a.Baseline))
		}
	}
	if len(s.Arms) == 0 {
		errs = append(errs, errors.New("no arms"))
	}
	l := &s.Load
	if l.Duration <= 0 || l.Duration > 10*time.Minute {
		errs = append(errs, errors.New("load.duration must be in (0, 10m]"))
	}
	if _, err := load.ParseLengths(l.Workload); err != nil {
		errs = append(errs, err)
	}
	if http && len(l.Concurrency)+len(l.Rates)+len(l.RateFractions) == 0 {
		errs = append(errs, errors.New("load needs concurrency, rates or rate_fractions"))
	}
	if len(l.RateFractions) > 0 && len(l.Concurrency) == 0 {
		errs = append(errs, errors.New("rate_fractions need closed-loop concurrency to find saturation"))
	}
	for _, c := range s.Ratio {
		if _, _, err := parseTarget(c.Target); err != nil {
			errs = append(errs, fmt.Errorf("ratio %q: %w", c.Name, err))
		}
		switch c.Metric {
		case "throughput", "p99", "p99_budget":
		default:
			errs = append(errs, fmt.Errorf("ratio %q: metric must be throughput, p99 or p99_budget", c.Name))
		}
	}
	return errors.Join(errs...)
}

// parseTarget reads ">= 2" or "<= 1"; "" is no target.
func parseTarget(t string) (op string, v float64, err error) {
	if t == "" {
		return "", 0, nil
	}
	op, rest, ok := strings.Cut(strings.TrimSpace(t), " ")
	if ok && (op == ">=" || op == "<=") {
		if v, err = strconv.ParseFloat(strings.TrimSpace(rest), 64); err == nil {
			return op, v, nil
		}
	}
	return "", 0, fmt.Errorf("target %q: want like \">= 2\" or \"<= 1\"", t)
}
