package suite

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/infergate/infergate/benchmarks/report"
)

// Write stores a report in dir as NAME.json, NAME.md and NAME-*.svg plots.
func Write(rep report.Report, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var plots []string
	save := func(suffix string, ch report.Chart) error {
		name := rep.Name + "-" + suffix + ".svg"
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		if err := ch.WriteSVG(f); err != nil {
			f.Close()
			return err
		}
		plots = append(plots, name)
		return f.Close()
	}
	if ch, ok := report.ThroughputVsConcurrency(rep.Title+": throughput vs concurrency", rep.Cases); ok {
		if err := save("throughput", ch); err != nil {
			return err
		}
	}
	if ch, ok := report.LatencyVsLoad(rep.Title+": latency vs offered load", rep.Cases); ok {
		if err := save("latency", ch); err != nil {
			return err
		}
	}
	var httpCases []report.Case
	for _, c := range rep.Cases {
		if c.Mode != report.Raw {
			httpCases = append(httpCases, c)
		}
	}
	if len(httpCases) > 0 {
		if err := save("cdf", report.CDF(rep.Title+": latency CDF", httpCases)); err != nil {
			return err
		}
	}
	for _, ext := range []string{"json", "md"} {
		f, err := os.Create(filepath.Join(dir, rep.Name+"."+ext))
		if err != nil {
			return err
		}
		if ext == "json" {
			err = rep.WriteJSON(f)
		} else {
			err = rep.WriteMarkdown(f, plots)
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("write %s: %w", f.Name(), err)
		}
	}
	return nil
}
