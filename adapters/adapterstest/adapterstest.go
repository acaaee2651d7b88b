// Package adapterstest is the conformance suite every adapters.Runtime passes,
// run by each adapter's own tests against the reference model and its golden
// fixture:
//
//	func TestConformance(t *testing.T) {
//		adapterstest.Run(t, func(t *testing.T) adapters.Runtime { ... }, "testdata/golden.json")
//	}
//
// The contract it checks, beyond adapters.Runtime's doc comments:
//   - outputs match the golden ones within Tolerance, alone and batched;
//   - a row's outputs do not depend on the other rows or on the padding;
//   - a Batch asking for some outputs gets exactly those;
//   - concurrent calls are safe (run the suite under -race);
//   - a cancelled or expired context gives KindTimeout before any work, and a
//     deadline passing mid-call ends the call early with KindTimeout;
//   - malformed batches, unknown outputs and ids the model cannot take give
//     KindBadInput;
//   - calls after Close give KindUnavailable, a second Close does not panic,
//     and Close leaves no goroutine behind (goleak).
package adapterstest

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/infergate/infergate/adapters"
)

// Run runs the suite. newRuntime makes a fresh runtime serving the model the
// golden file describes; the suite closes every runtime it makes. The model's
// position table must be shorter than 4096 (the suite sends a longer sequence
// and expects KindBadInput).
func Run(t *testing.T, newRuntime func(t *testing.T) adapters.Runtime, goldenPath string) {
	t.Helper()
	g, err := LoadGolden(goldenPath)
	if err != nil {
		t.Fatal(err)
	}
	s := &suite{golden: g, newRuntime: newRuntime}
	s.rt = s.fresh(t)
	if s.meta, err = s.rt.Metadata(context.Background()); err != nil {
		t.Fatalf("Metadata() = %v", err)
	}

	t.Run("Metadata", s.testMetadata)
	t.Run("Golden", s.testGolden)
	t.Run("GoldenBatched", s.testGoldenBatched)
	t.Run("OutputSelection", s.testOutputSelection)
	t.Run("BatchInvariance", s.testBatchInvariance)
	t.Run("Concurrent", s.testConcurrent)
	t.Run("Context", s.testContext)
	t.Run("DeadlineMidCall", s.testDeadlineMidCall)
	t.Run("BadInput", s.testBadInput)
	t.Run("Close", s.testClose)
}

// suite carries the state the checks share: one runtime for all checks but
// Close, which makes its own.
type suite struct {
	golden     Golden
	newRuntime func(t *testing.T) adapters.Runtime
	rt         adapters.Runtime
	meta       adapters.Metadata
}

// fresh makes a runtime and closes it when t ends.
func (s *suite) fresh(t *testing.T) adapters.Runtime {
	t.Helper()
	rt := s.newRuntime(t)
	if rt == nil {
		t.Fatal("newRuntime returned nil")
	}
	t.Cleanup(func() { _ = rt.Close() })
	return rt
}

// maxRows is the largest batch the runtime takes, capped at limit.
func (s *suite) maxRows(limit int) int {
	if m := s.meta.MaxBatchSize; m > 0 && m < limit {
		return m
	}
	return limit
}

// rowOutput is one row of a batch's outputs, cut to the row's own tokens.
type rowOutput struct {
	logits []float32   // [classes]
	hidden [][]float32 // [tokens][hidden]
}

// infer runs b, checks the outputs' shapes and splits them into rows; tokens
// gives each row's unpadded length.
func infer(ctx context.Context, rt adapters.Runtime, b adapters.Batch, tokens []int) ([]rowOutput, error) {
	out, err := rt.Infer(ctx, b)
	if err != nil {
		return nil, err
	}
	want := b.Outputs
	if len(want) == 0 {
		want = []string{adapters.Logits, adapters.LastHiddenState}
	}
	for name := range out {
		if !slices.Contains(want, name) {
			return nil, fmt.Errorf("Infer returned output %q the batch did not ask for (asked %v)", name, b.Outputs)
		}
	}
	rows := make([]rowOutput, b.Rows)
	if lt, ok := out[adapters.Logits]; ok {
		if len(lt.Shape) != 2 || lt.Shape[0] != int64(b.Rows) || int64(len(lt.Data)) != lt.Shape[0]*lt.Shape[1] {
			return nil, fmt.Errorf("logits shape %v with %d values; want [%d, classes]", lt.Shape, len(lt.Data), b.Rows)
		}
		c := int(lt.Shape[1])
		for i := range rows {
			rows[i].logits = lt.Data[i*c : (i+1)*c]
		}
	}
	if ht, ok := out[adapters.LastHiddenState]; ok {
		if len(ht.Shape) != 3 || ht.Shape[0] != int64(b.Rows) || ht.Shape[1] != int64(b.Len) ||
			int64(len(ht.Data)) != ht.Shape[0]*ht.Shape[1]*ht.Shape[2] {
			return nil, fmt.Errorf("last_hidden_state shape %v with %d values; want [%d, %d, hidden]", ht.Shape, len(ht.Data), b.Rows, b.Len)
		}
		h := int(ht.Shape[2])
		for i := range rows {
			for j := range tokens[i] {
				at := (i*b.Len + j) * h
				rows[i].hidden = append(rows[i].hidden, ht.Data[at:at+h])
			}
		}
	}
	return rows, nil
}

// inferCases runs cases as one batch padded to padTo.
func inferCases(ctx context.Context, rt adapters.Runtime, cases []Case, padTo int, outputs ...string) ([]rowOutput, error) {
	tokens := make([]int, len(cases))
	for i, c := range cases {
		tokens[i] = len(c.InputIDs)
	}
	return infer(ctx, rt, batchOf(cases, padTo, outputs...), tokens)
}

// compare reports how got differs from want beyond Tolerance, or "".
func compare(got, want rowOutput) string {
	if want.logits != nil {
		if len(got.logits) != len(want.logits) {
			return fmt.Sprintf("%d logits; want %d", len(got.logits), len(want.logits))
		}
		if i, ok := diff(got.logits, want.logits); !ok {
			return fmt.Sprintf("logits[%d] = %g; want %g (±%g)", i, got.logits[i], want.logits[i], Tolerance)
		}
	}
	if want.hidden != nil {
		if len(got.hidden) != len(want.hidden) {
			return fmt.Sprintf("%d hidden-state rows; want %d", len(got.hidden), len(want.hidden))
		}
		for j := range want.hidden {
			if len(got.hidden[j]) != len(want.hidden[j]) {
				return fmt.Sprintf("hidden width %d; want %d", len(got.hidden[j]), len(want.hidden[j]))
			}
			if i, ok := diff(got.hidden[j], want.hidden[j]); !ok {
				return fmt.Sprintf("last_hidden_state[%d][%d] = %g; want %g (±%g)", j, i, got.hidden[j][i], want.hidden[j][i], Tolerance)
			}
		}
	}
	return ""
}

// goldenRow is a case's expected output.
func goldenRow(c Case) rowOutput {
	return rowOutput{logits: c.Logits, hidden: c.LastHiddenState}
}
