package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// WriteMarkdown writes the report as a results page: what was measured,
// where and how, then one row per case (medians) and the ratios.
func (r Report) WriteMarkdown(w io.Writer, plots []string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", r.Title)
	if r.Description != "" {
		fmt.Fprintf(&b, "%s\n\n", strings.TrimSpace(r.Description))
	}
	fmt.Fprintf(&b, "- Machine: %s\n", r.Machine)
	fmt.Fprintf(&b, "- Date: %s\n", r.Date.UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "- Command: `%s`\n", r.Command)
	if r.Revision != "" {
		fmt.Fprintf(&b, "- Revision: %s\n", r.Revision)
	}
	runs := 0
	for _, c := range r.Cases {
		runs = max(runs, len(c.Runs))
	}
	fmt.Fprintf(&b, "- Each row is the median of %d run(s)", runs)
	if runs > 1 && len(r.Cases) > 1 {
		b.WriteString("; cases ran interleaved (A, B, A, B, ...), so ratios compare runs taken side by side")
	}
	b.WriteString(".\n\n")
	if len(r.Ratios) > 0 {
		b.WriteString("| ratio | value | target | met | how |\n|---|---:|---|---|---|\n")
		for _, q := range r.Ratios {
			met := ""
			if q.Met != nil {
				met = map[bool]string{true: "yes", false: "**no**"}[*q.Met]
			}
			fmt.Fprintf(&b, "| %s | %.2f | %s | %s | %s |\n", q.Name, q.Value, q.Target, met, q.How)
		}
		b.WriteString("\n")
	}
	extras := extraKeys(r.Cases)
	b.WriteString("| case | runs | sent/s | throughput (req/s) | texts/s | spread | p50 ms | p90 ms | p99 ms | p99.9 ms | errors |")
	for _, k := range extras {
		fmt.Fprintf(&b, " %s |", k)
	}
	b.WriteString("\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	b.WriteString(strings.Repeat("---:|", len(extras)))
	b.WriteString("\n")
	for _, c := range r.Cases {
		s := c.Median()
		sent := fmt.Sprintf("%.1f", s.SendRate)
		if c.Mode == Raw {
			sent = "-"
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %.1f | %.1f | %.0f%% | %.2f | %.2f | %.2f | %.2f | %s |",
			c.Label(), s.Runs, sent, s.Throughput, s.Texts, s.Spread*100, s.P50, s.P90, s.P99, s.P999, errorCell(c, s.Errors))
		for _, k := range extras {
			if v, ok := c.Extra[k]; ok && len(v) > 0 {
				fmt.Fprintf(&b, " %.3g |", Median(v))
			} else {
				b.WriteString(" |")
			}
		}
		b.WriteString("\n")
	}
	if anyErrors(r.Cases) {
		b.WriteString("\nLatency columns cover successful requests only; errors (any status outside 2xx, timeouts) are counted apart: the median per run, then the kinds summed over all runs.\n")
	}
	for _, c := range r.Cases {
		if c.Mode == Raw {
			b.WriteString("\nRows `ARM b=N` measure the runtime alone at batch size N: throughput and texts/s are rows/s, latencies are per batch call.\n")
			break
		}
	}
	if len(r.Notes) > 0 {
		b.WriteString("\n")
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	for _, p := range plots {
		fmt.Fprintf(&b, "\n![%s](%s)\n", p, p)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func extraKeys(cases []Case) []string {
	seen := map[string]bool{}
	var keys []string
	for _, c := range cases {
		for k := range c.Extra {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	sort.Strings(keys)
	return keys
}

// errorCell shows the median error count and, when there were errors, their
// kinds over all runs, e.g. "12 (http_429: 30, timeout: 6)".
func errorCell(c Case, median float64) string {
	kinds := map[string]int64{}
	for _, r := range c.Runs {
		for k, n := range r.ErrorKinds {
			kinds[k] += n
		}
	}
	if len(kinds) == 0 {
		return fmt.Sprintf("%.0f", median)
	}
	names := make([]string, 0, len(kinds))
	for k := range kinds {
		names = append(names, k)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = fmt.Sprintf("%s: %d", k, kinds[k])
	}
	return fmt.Sprintf("%.0f (%s)", median, strings.Join(parts, ", "))
}

func anyErrors(cases []Case) bool {
	for _, c := range cases {
		for _, r := range c.Runs {
			if r.Errors > 0 {
				return true
			}
		}
	}
	return false
}
