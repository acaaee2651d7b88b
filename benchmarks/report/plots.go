package report

import (
	"sort"

	"github.com/infergate/infergate/benchmarks/load"
)

// byArm groups cases by arm, keeping first-seen order.
func byArm(cases []Case, keep func(Case) bool) (arms []string, groups map[string][]Case) {
	groups = map[string][]Case{}
	for _, c := range cases {
		if !keep(c) {
			continue
		}
		if _, ok := groups[c.Arm]; !ok {
			arms = append(arms, c.Arm)
		}
		groups[c.Arm] = append(groups[c.Arm], c)
	}
	return arms, groups
}

// LatencyVsLoad plots median p50 and p99 against offered load for the
// open-loop cases; ok is false when there are fewer than two rates.
func LatencyVsLoad(title string, cases []Case) (Chart, bool) {
	arms, groups := byArm(cases, func(c Case) bool { return c.Mode == load.Open })
	ch := Chart{Title: title, XLabel: "offered load (requests/s)", YLabel: "latency (ms)", LogY: true}
	points := 0
	for _, arm := range arms {
		g := groups[arm]
		sort.Slice(g, func(i, j int) bool { return g[i].Rate < g[j].Rate })
		p50 := Series{Name: arm + " p50"}
		p99 := Series{Name: arm + " p99"}
		for _, c := range g {
			s := c.Median()
			p50.Points = append(p50.Points, XY{c.Rate, s.P50})
			p99.Points = append(p99.Points, XY{c.Rate, s.P99})
		}
		points = max(points, len(g))
		ch.Series = append(ch.Series, p50, p99)
	}
	return ch, points >= 2
}

// ThroughputVsConcurrency plots median throughput against closed-loop
// concurrency; ok is false when there are fewer than two concurrencies.
func ThroughputVsConcurrency(title string, cases []Case) (Chart, bool) {
	arms, groups := byArm(cases, func(c Case) bool { return c.Mode == load.Closed })
	ch := Chart{Title: title, XLabel: "concurrent clients", YLabel: "throughput (requests/s)", LogX: true}
	points := 0
	for _, arm := range arms {
		g := groups[arm]
		sort.Slice(g, func(i, j int) bool { return g[i].Concurrency < g[j].Concurrency })
		s := Series{Name: arm}
		for _, c := range g {
			s.Points = append(s.Points, XY{float64(c.Concurrency), c.Median().Throughput})
		}
		points = max(points, len(g))
		ch.Series = append(ch.Series, s)
	}
	return ch, points >= 2
}

// CDF plots the latency distribution of each case's median-throughput run.
func CDF(title string, cases []Case) Chart {
	ch := Chart{Title: title, XLabel: "latency (ms)", YLabel: "fraction of requests at or below", LogX: true}
	for _, c := range cases {
		r, ok := medianRun(c)
		if !ok {
			continue
		}
		s := Series{Name: c.Label()}
		for _, q := range r.Latency.CDF {
			s.Points = append(s.Points, XY{q.Ms, q.Q})
		}
		ch.Series = append(ch.Series, s)
	}
	return ch
}

// medianRun returns the run whose throughput is the median one.
func medianRun(c Case) (load.Result, bool) {
	if len(c.Runs) == 0 {
		return load.Result{}, false
	}
	runs := append([]load.Result(nil), c.Runs...)
	sort.Slice(runs, func(i, j int) bool { return runs[i].Throughput < runs[j].Throughput })
	return runs[(len(runs)-1)/2], true
}
