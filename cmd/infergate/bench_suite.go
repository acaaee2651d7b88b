package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/infergate/infergate/adapters/onnx"
	"github.com/infergate/infergate/benchmarks/baseline"
	"github.com/infergate/infergate/benchmarks/rawbench"
	"github.com/infergate/infergate/benchmarks/suite"
	"github.com/infergate/infergate/tokenizer"
)

func newBenchSuiteCmd() *cobra.Command {
	var (
		out   string
		runs  int
		scale float64
	)
	cmd := &cobra.Command{
		Use:   "suite SCENARIO.yaml...",
		Short: "Run benchmark scenarios and write their results pages (what `make bench` runs)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			bin, err := os.Executable()
			if err != nil {
				return err
			}
			opts := suite.Options{Bin: bin, Runs: runs, Scale: scale, OpenRuntime: openRuntime, Log: cmd.ErrOrStderr(),
				Command: "infergate " + strings.Join(os.Args[1:], " "), Revision: gitRevision(cmd.Context())}
			if f, ok := cmd.OutOrStdout().(*os.File); ok && isatty.IsTerminal(f.Fd()) {
				opts.Progress = f
			}
			// Every scenario is checked first, then each runs; one that fails
			// does not stop the others, but the command fails at the end.
			var scenarios []*suite.Scenario
			for _, file := range files {
				s, err := suite.LoadScenario(file)
				if err != nil {
					return err
				}
				scenarios = append(scenarios, s)
			}
			var failed []string
			for i, s := range scenarios {
				fmt.Fprintf(cmd.ErrOrStderr(), "== %s (%s)\n", s.Title, files[i])
				rep, err := suite.Run(cmd.Context(), s, opts)
				if err == nil {
					err = suite.Write(rep, out)
				}
				if err != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "FAILED %s: %v\n", s.Name, err)
					failed = append(failed, s.Name)
					if cmd.Context().Err() != nil {
						break
					}
					continue
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s\n", filepath.Join(out, s.Name+".md"))
			}
			if len(failed) > 0 {
				return fmt.Errorf("scenarios failed: %s", strings.Join(failed, ", "))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "benchmarks/results", "folder for NAME.md, NAME.json and plots")
	cmd.Flags().IntVar(&runs, "runs", 0, "override each scenario's run count (0: as written)")
	cmd.Flags().Float64Var(&scale, "scale", 0, "multiply load durations, e.g. 0.2 for a smoke run (0: as written)")
	return cmd
}

// gitRevision names the checked-out commit, and says when the working tree
// differs from it; "" outside a git checkout.
func gitRevision(ctx context.Context) string {
	head, err := exec.CommandContext(ctx, "git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return ""
	}
	rev := "commit " + strings.TrimSpace(string(head))
	if st, err := exec.CommandContext(ctx, "git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
		rev += " plus uncommitted changes in the working tree"
	}
	return rev
}

// openRuntime wires a runtime arm to ONNX Runtime and the project tokenizer.
func openRuntime(ctx context.Context, arm suite.RuntimeArm) (rawbench.Runner, rawbench.Encoder, io.Closer, error) {
	if arm.Type != "" && arm.Type != "onnx" {
		return nil, nil, nil, fmt.Errorf("runtime type %q: only onnx is measured alone", arm.Type)
	}
	enc, err := newEncoder(arm.Tokenizer, arm.MaxSeqLen)
	if err != nil {
		return nil, nil, nil, err
	}
	rt, err := onnx.New(ctx, onnx.Options{ModelPath: arm.Model, IntraOpThreads: arm.Threads})
	if err != nil {
		return nil, nil, nil, err
	}
	return rt, enc, rt, nil
}

// tokenEncoder adapts the tokenizer to the bench's one-method Encoder.
type tokenEncoder struct {
	tok  *tokenizer.Tokenizer
	opts tokenizer.Options
}

func newEncoder(path string, maxLen int) (*tokenEncoder, error) {
	tok, err := tokenizer.Load(path)
	if err != nil {
		return nil, err
	}
	return &tokenEncoder{tok: tok, opts: tokenizer.Options{MaxLength: maxLen, NoPadding: true}}, nil
}

func (e *tokenEncoder) Encode(text string) ([]int32, []int32, error) {
	enc, err := e.tok.Encode(text, e.opts)
	return enc.IDs, enc.TypeIDs, err
}

func newBenchBaselineCmd() *cobra.Command {
	var (
		addr string
		size int
	)
	cmd := &cobra.Command{
		Use:   "baseline",
		Short: "Serve a fixed JSON body from a minimal Fiber handler (the yardstick for the cache-hit path)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			app := baseline.New(baseline.Body(size))
			errc := make(chan error, 1)
			go func() { errc <- app.Listen(addr) }()
			select {
			case err := <-errc:
				return err
			case <-cmd.Context().Done():
				return app.Shutdown()
			}
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8090", "listen address")
	cmd.Flags().IntVar(&size, "body-bytes", 256, "size of the JSON body every POST answers")
	return cmd
}
