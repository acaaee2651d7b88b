// Package report turns load runs into the artefacts that back performance
// claims: medians over repeated runs, ratios measured side by side, JSON,
// markdown tables stating machine, date and command, and SVG plots.
package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/infergate/infergate/benchmarks/load"
)

// Case is one configuration measured one or more times: an arm of a
// scenario at one concurrency or rate.
type Case struct {
	Arm         string    `json:"arm"`
	Mode        load.Mode `json:"mode"`
	Concurrency int       `json:"concurrency,omitempty"`
	Rate        float64   `json:"rate,omitempty"`
	// Fraction is the share of the arm's saturation throughput that set
	// Rate, for cases defined that way.
	Fraction float64 `json:"fraction,omitempty"`
	// BatchSize is set for runtime-alone cases (Mode Raw).
	BatchSize int           `json:"batch_size,omitempty"`
	Runs      []load.Result `json:"runs"`
	// Extra holds numbers a run measured besides the load engine's, per run
	// (e.g. the gateway's padding ratio); the median goes in the table.
	Extra map[string][]float64 `json:"extra,omitempty"`
}

// Stats are the medians over a case's runs.
type Stats struct {
	Runs       int     `json:"runs"`
	Throughput float64 `json:"throughput_rps"`
	Texts      float64 `json:"texts_per_s"`
	SendRate   float64 `json:"send_rate"`
	P50        float64 `json:"p50_ms"`
	P90        float64 `json:"p90_ms"`
	P99        float64 `json:"p99_ms"`
	P999       float64 `json:"p999_ms"`
	Errors     float64 `json:"errors"`
	// Spread is (max - min) / median of the throughputs, a noise indicator.
	Spread float64 `json:"throughput_spread"`
}

// Median computes the median of each statistic over the runs.
func (c Case) Median() Stats {
	pick := func(f func(load.Result) float64) []float64 {
		v := make([]float64, len(c.Runs))
		for i, r := range c.Runs {
			v[i] = f(r)
		}
		return v
	}
	tp := pick(func(r load.Result) float64 { return r.Throughput })
	s := Stats{
		Runs:       len(c.Runs),
		Throughput: Median(tp),
		Texts:      Median(pick(func(r load.Result) float64 { return r.TextsPerSecond })),
		SendRate:   Median(pick(func(r load.Result) float64 { return r.SendRate })),
		P50:        Median(pick(func(r load.Result) float64 { return r.Latency.P50 })),
		P90:        Median(pick(func(r load.Result) float64 { return r.Latency.P90 })),
		P99:        Median(pick(func(r load.Result) float64 { return r.Latency.P99 })),
		P999:       Median(pick(func(r load.Result) float64 { return r.Latency.P999 })),
		Errors:     Median(pick(func(r load.Result) float64 { return float64(r.Errors) })),
	}
	if s.Throughput > 0 && len(tp) > 1 {
		sort.Float64s(tp)
		s.Spread = (tp[len(tp)-1] - tp[0]) / s.Throughput
	}
	return s
}

// Raw marks a case that measured a runtime alone, batch by batch: its
// throughput is rows/s and its latencies are per batch call.
const Raw load.Mode = "raw"

// Label names the case in tables, legends and ratios: "arm c=16",
// "arm 200/s", "arm @0.5" (half of saturation) or "arm b=32" (runtime alone).
func (c Case) Label() string {
	switch {
	case c.Mode == Raw:
		return fmt.Sprintf("%s b=%d", c.Arm, c.BatchSize)
	case c.Mode == load.Open && c.Fraction > 0:
		return fmt.Sprintf("%s @%g", c.Arm, c.Fraction)
	case c.Mode == load.Closed && c.Concurrency > 0:
		return fmt.Sprintf("%s c=%d", c.Arm, c.Concurrency)
	case c.Mode == load.Open:
		return fmt.Sprintf("%s %s/s", c.Arm, num(c.Rate))
	}
	return c.Arm
}

// Median of v (the mean of the middle two for an even count); 0 if empty.
func Median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

// Ratio compares two measured values taken side by side in one run.
type Ratio struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	// How says what was divided by what.
	How string `json:"how"`
	// Target is the claim it checks, e.g. ">= 2x"; Met says if it holds.
	Target string `json:"target,omitempty"`
	Met    *bool  `json:"met,omitempty"`
}

// Report is one scenario's results.
type Report struct {
	Name        string    `json:"name"`
	Title       string    `json:"title"`
	Description string    `json:"description,omitempty"`
	Machine     string    `json:"machine"`
	Date        time.Time `json:"date"`
	Command     string    `json:"command"`
	// Revision is the source the measured binaries were built from.
	Revision string   `json:"revision,omitempty"`
	Cases    []Case   `json:"cases"`
	Ratios   []Ratio  `json:"ratios,omitempty"`
	Notes    []string `json:"notes,omitempty"`
}

// WriteJSON writes the report, every run included.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// LoadAvg returns the host's 1, 5 and 15 minute load averages ("" where
// unknown): on a shared machine they tell how quiet a measurement was.
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// Machine describes the host for results files: CPU model, cores, OS.
func Machine() string {
	model := "unknown CPU"
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err == nil {
			mem = fmt.Sprintf(", %d GiB RAM", (kb+(1<<19))>>20)
		}
	}
	return fmt.Sprintf("%s, %d cores%s, %s/%s, %s", model, runtime.NumCPU(), mem, runtime.GOOS, runtime.GOARCH, runtime.Version())
}
