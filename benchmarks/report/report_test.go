package report

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/infergate/infergate/benchmarks/load"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		give []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
	}
	for _, tt := range tests {
		if got := Median(tt.give); got != tt.want {
			t.Errorf("Median(%v) = %v; want %v", tt.give, got, tt.want)
		}
	}
}

func run(tp, p99 float64) load.Result {
	return load.Result{Throughput: tp, Latency: load.Latency{P50: p99 / 4, P99: p99,
		CDF: []load.Quantile{{Q: 0, Ms: 1}, {Q: 0.5, Ms: p99 / 4}, {Q: 1, Ms: p99}}}}
}

func withErrors(r load.Result) load.Result {
	r.Errors, r.ErrorKinds = 7, map[string]int64{"http_429": 5, "timeout": 2}
	return r
}

func sampleCases() []Case {
	return []Case{
		{Arm: "batching", Mode: load.Closed, Concurrency: 8, Runs: []load.Result{run(100, 9), run(120, 8), run(90, 12)},
			Extra: map[string][]float64{"padding": {0.1, 0.2, 0.3}}},
		{Arm: "batching", Mode: load.Closed, Concurrency: 32, Runs: []load.Result{run(300, 20), run(310, 25), run(290, 30)}},
		{Arm: "batch=1", Mode: load.Closed, Concurrency: 8, Runs: []load.Result{run(50, 30), run(40, 35), withErrors(run(45, 40))}},
		{Arm: "batch=1", Mode: load.Closed, Concurrency: 32, Runs: []load.Result{run(60, 90), run(55, 95), run(65, 99)}},
		{Arm: "gw", Mode: load.Open, Rate: 100, Runs: []load.Result{run(100, 5)}},
		{Arm: "gw", Mode: load.Open, Rate: 200, Runs: []load.Result{run(200, 15)}},
	}
}

func TestCaseMedian(t *testing.T) {
	s := sampleCases()[0].Median()
	if s.Throughput != 100 || s.P99 != 9 || s.Runs != 3 {
		t.Errorf("Median() = %+v; want throughput 100, p99 9 over 3 runs", s)
	}
	if want := 0.3; s.Spread < want-1e-9 || s.Spread > want+1e-9 {
		t.Errorf("spread = %v; want %v", s.Spread, want)
	}
}

func TestMarkdown(t *testing.T) {
	met := true
	r := Report{Title: "Batching", Machine: "2 cores", Date: time.Date(2026, 11, 28, 23, 0, 0, 0, time.UTC),
		Command: "make bench", Cases: sampleCases(),
		Ratios: []Ratio{{Name: "batching / batch=1", Value: 2.22, Target: ">= 2x", Met: &met, How: "median throughput at c=8"}}}
	var b bytes.Buffer
	if err := r.WriteMarkdown(&b, []string{"plot.svg"}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"# Batching", "Machine: 2 cores", "2026-11-28 23:00 UTC", "`make bench`", "median of 3 run(s); cases ran interleaved",
		"| batching / batch=1 | 2.22 | >= 2x | yes |", "| batching c=8 | 3 | 0.0 | 100.0 |", "| padding |", " 0.2 |", "| 0 (http_429: 5, timeout: 2) |", "cover successful requests only", "![plot.svg](plot.svg)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}
}

func TestChartsAreValidSVG(t *testing.T) {
	cases := sampleCases()
	lat, ok := LatencyVsLoad("latency", cases)
	if !ok || len(lat.Series) != 2 || len(lat.Series[1].Points) != 2 || lat.Series[1].Points[1] != (XY{200, 15}) {
		t.Errorf("LatencyVsLoad = %+v, %v; want p50 and p99 of gw at 100 and 200/s", lat.Series, ok)
	}
	tp, ok := ThroughputVsConcurrency("throughput", cases)
	if !ok || len(tp.Series) != 2 || tp.Series[0].Points[1] != (XY{32, 300}) {
		t.Errorf("ThroughputVsConcurrency = %+v, %v; want two arms with the median at c=32", tp.Series, ok)
	}
	cdf := CDF("cdf <&>", cases)
	if len(cdf.Series) != len(cases) || cdf.Series[0].Points[2] != (XY{9, 1}) {
		t.Errorf("CDF = %+v; want one series per case from its median run", cdf.Series)
	}
	for _, ch := range []Chart{lat, tp, cdf, {Title: "empty"}} {
		var b bytes.Buffer
		if err := ch.WriteSVG(&b); err != nil {
			t.Fatal(err)
		}
		dec := xml.NewDecoder(&b)
		for {
			_, err := dec.Token()
			if err != nil {
				if err.Error() != "EOF" {
					t.Errorf("%s: SVG is not well-formed XML: %v", ch.Title, err)
				}
				break
			}
		}
	}
}

func TestAxisTicks(t *testing.T) {
	a := newAxis([]float64{3, 97}, false, 0, 100)
	if a.lo != 0 || a.hi != 100 || len(a.ticks) != 6 {
		t.Errorf("linear axis over [3, 97] = [%v, %v] with %d ticks; want [0, 100] with 6", a.lo, a.hi, len(a.ticks))
	}
	l := newAxis([]float64{0.3, 40}, true, 0, 100)
	if l.lo != -1 || l.hi != 2 || l.px(1) <= l.px(0.3) {
		t.Errorf("log axis over [0.3, 40] = [%v, %v]; want decades -1 to 2", l.lo, l.hi)
	}
}
