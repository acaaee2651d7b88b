package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/infergate/infergate/benchmarks/load"
)

// Watcher is what a progress bar reads: a load.Run satisfies it.
type Watcher interface {
	Snapshot() load.Snapshot
	Done() <-chan struct{}
}

// Progress redraws a one-line progress bar on w (a terminal) every interval
// until the run ends, then ends the line. It returns when the run is done.
func Progress(w io.Writer, label string, run Watcher, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-run.Done():
			fmt.Fprintf(w, "\r%s\n", bar(label, run.Snapshot()))
			return
		case <-t.C:
			fmt.Fprintf(w, "\r%s", bar(label, run.Snapshot()))
		}
	}
}

func bar(label string, s load.Snapshot) string {
	const width = 24
	n := int(s.Progress * width)
	return fmt.Sprintf("%-18.18s [%s%s] %3.0f%% %-9s %6.1fs ok %-7d err %-5d %8.1f req/s p50 %7.2fms p99 %7.2fms\x1b[K",
		label, strings.Repeat("=", n), strings.Repeat(" ", width-n), s.Progress*100, s.Phase, s.Elapsed, s.OK, s.Errors, s.RPS, s.P50, s.P99)
}
