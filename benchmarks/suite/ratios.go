package suite

import (
	"fmt"
	"strings"

	"github.com/infergate/infergate/benchmarks/report"
)

// findCase resolves a ratio operand: a case label, or "ARM best" for the
// arm's case with the highest median throughput.
func findCase(cases []report.Case, label string) (report.Case, bool) {
	if arm, ok := strings.CutSuffix(label, " best"); ok {
		var best report.Case
		found := false
		for _, c := range cases {
			if c.Arm == arm && (!found || c.Median().Texts > best.Median().Texts) {
				best, found = c, true
			}
		}
		return best, found
	}
	for _, c := range cases {
		if c.Label() == label {
			return c, true
		}
	}
	return report.Case{}, false
}

func computeRatios(comps []Comp, cases []report.Case) []report.Ratio {
	var out []report.Ratio
	for _, cp := range comps {
		num, ok1 := findCase(cases, cp.Num)
		den, ok2 := findCase(cases, cp.Den)
		q := report.Ratio{Name: cp.Name, Target: cp.Target}
		if !ok1 || !ok2 {
			q.How = fmt.Sprintf("not measured: no case %q or %q", cp.Num, cp.Den)
			out = append(out, q)
			continue
		}
		n, d := num.Median(), den.Median()
		switch cp.Metric {
		case "throughput":
			q.Value = safeDiv(n.Texts, d.Texts)
			q.How = fmt.Sprintf("texts/s of %s (%.1f) / %s (%.1f)", num.Label(), n.Texts, den.Label(), d.Texts)
		case "p99":
			q.Value = safeDiv(n.P99, d.P99)
			q.How = fmt.Sprintf("p99 of %s (%.2fms) / %s (%.2fms)", num.Label(), n.P99, den.Label(), d.P99)
		case "p99_budget":
			// One full batch's time: the mean over the workload of a runtime
			// case (batch size / rows per second), else the case's p50.
			batch, what := d.P50, "p50"
			if den.Mode == report.Raw && den.BatchSize > 0 && d.Texts > 0 {
				batch, what = 1000*float64(den.BatchSize)/d.Texts, "mean"
			}
			budget := cp.DelayMs + cp.Batches*batch
			q.Value = safeDiv(n.P99, budget)
			q.How = fmt.Sprintf("p99 of %s (%.2fms) / (max_delay %gms + %g x %s %s batch time %.2fms = %.2fms)",
				num.Label(), n.P99, cp.DelayMs, cp.Batches, den.Label(), what, batch, budget)
		}
		if op, v, err := parseTarget(cp.Target); err == nil && op != "" {
			met := (op == ">=" && q.Value >= v) || (op == "<=" && q.Value <= v)
			q.Met = &met
		}
		out = append(out, q)
	}
	return out
}

func safeDiv(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}
