package adapterstest

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/infergate/infergate/adapters"
)

func (s *suite) testMetadata(t *testing.T) {
	ctx := context.Background()
	if err := s.rt.Ready(ctx); err != nil {
		t.Errorf("Ready() = %v; want nil", err)
	}
	m := s.meta
	if m.Name == "" {
		t.Error("Metadata().Name is empty")
	}
	if m.MaxBatchSize < 0 {
		t.Errorf("Metadata().MaxBatchSize = %d; want >= 0", m.MaxBatchSize)
	}
	stdIn := []string{adapters.InputIDs, adapters.AttentionMask, adapters.TokenTypeIDs}
	for _, in := range m.Inputs {
		if !slices.Contains(stdIn, in.Name) {
			t.Errorf("input %q is not a standard name (%v)", in.Name, stdIn)
		}
		if in.DType != "INT64" && in.DType != "INT32" {
			t.Errorf("input %s has dtype %q; want INT64 or INT32", in.Name, in.DType)
		}
		if len(in.Shape) != 2 {
			t.Errorf("input %s has shape %v; want [batch, sequence]", in.Name, in.Shape)
		}
	}
	if !slices.ContainsFunc(m.Inputs, func(s adapters.TensorSpec) bool { return s.Name == adapters.InputIDs }) {
		t.Errorf("Metadata().Inputs = %v; want an %s input", m.Inputs, adapters.InputIDs)
	}

	c := s.golden.Cases[0]
	wantOut := map[string]struct{ rank, last int }{
		adapters.Logits: {2, len(c.Logits)},
	}
	if len(c.LastHiddenState) > 0 {
		wantOut[adapters.LastHiddenState] = struct{ rank, last int }{3, len(c.LastHiddenState[0])}
	}
	for _, name := range s.golden.outputs() {
		i := slices.IndexFunc(m.Outputs, func(s adapters.TensorSpec) bool { return s.Name == name })
		if i < 0 {
			t.Errorf("Metadata().Outputs = %v; want %s, which the golden file has", m.Outputs, name)
			continue
		}
		o, w := m.Outputs[i], wantOut[name]
		if o.DType != "FP32" {
			t.Errorf("output %s has dtype %q; want FP32", name, o.DType)
		}
		if len(o.Shape) != w.rank {
			t.Errorf("output %s has shape %v; want rank %d", name, o.Shape, w.rank)
		} else if last := o.Shape[w.rank-1]; last > 0 && last != int64(w.last) {
			t.Errorf("output %s has shape %v; want last dimension %d as in the golden file", name, o.Shape, w.last)
		}
	}

	// Metadata hands out copies: a caller editing one does not edit the next.
	m1, err := s.rt.Metadata(ctx)
	if err != nil {
		t.Fatalf("Metadata() = %v", err)
	}
	if len(m1.Inputs) > 0 && len(m1.Inputs[0].Shape) > 0 {
		m1.Inputs[0].Shape[0] = 123456
		m1.Inputs[0].Name = "edited"
		m2, err := s.rt.Metadata(ctx)
		if err != nil {
			t.Fatalf("Metadata() = %v", err)
		}
		if m2.Inputs[0].Shape[0] == 123456 || m2.Inputs[0].Name == "edited" {
			t.Error("editing the returned Metadata changed the runtime's own")
		}
	}
}

func (s *suite) testGolden(t *testing.T) {
	for i, c := range s.golden.Cases {
		rows, err := inferCases(context.Background(), s.rt, []Case{c}, 0)
		if err != nil {
			t.Errorf("case %d (%q): Infer = %v", i, c.Text, err)
			continue
		}
		if msg := compare(rows[0], goldenRow(c)); msg != "" {
			t.Errorf("case %d (%q): %s", i, c.Text, msg)
		}
	}
}

// testGoldenBatched runs the golden cases together, padded past the longest.
func (s *suite) testGoldenBatched(t *testing.T) {
	cases := s.golden.Cases
	for start := 0; start < len(cases); start += s.maxRows(8) {
		chunk := cases[start:min(start+s.maxRows(8), len(cases))]
		rows, err := inferCases(context.Background(), s.rt, chunk, longest(chunk)+5)
		if err != nil {
			t.Fatalf("cases %d..%d: Infer = %v", start, start+len(chunk)-1, err)
		}
		for i, c := range chunk {
			if msg := compare(rows[i], goldenRow(c)); msg != "" {
				t.Errorf("case %d (%q) in a batch of %d: %s", start+i, c.Text, len(chunk), msg)
			}
		}
	}
}

// testOutputSelection asks for each output alone, then for all by name.
func (s *suite) testOutputSelection(t *testing.T) {
	c := s.golden.Cases[0]
	want := goldenRow(c)
	choices := [][]string{s.golden.outputs()}
	for _, name := range s.golden.outputs() {
		choices = append(choices, []string{name})
	}
	for _, outputs := range choices {
		rows, err := inferCases(context.Background(), s.rt, []Case{c}, 0, outputs...)
		if err != nil {
			t.Errorf("Outputs %v: Infer = %v", outputs, err)
			continue
		}
		got := rows[0]
		w := rowOutput{}
		if slices.Contains(outputs, adapters.Logits) {
			w.logits = want.logits
			if got.logits == nil {
				t.Errorf("Outputs %v: no logits returned", outputs)
			}
		}
		if slices.Contains(outputs, adapters.LastHiddenState) {
			w.hidden = want.hidden
			if got.hidden == nil {
				t.Errorf("Outputs %v: no last_hidden_state returned", outputs)
			}
		}
		if msg := compare(got, w); msg != "" {
			t.Errorf("Outputs %v: %s", outputs, msg)
		}
	}
}

// testBatchInvariance checks that a row's outputs are the same alone,
// with extra padding, and among other rows in any order.
func (s *suite) testBatchInvariance(t *testing.T) {
	ctx := context.Background()
	cases := s.golden.Cases[:min(len(s.golden.Cases), 12)]
	alone := make([]rowOutput, len(cases))
	for i, c := range cases {
		rows, err := inferCases(ctx, s.rt, []Case{c}, 0)
		if err != nil {
			t.Fatalf("case %d alone: Infer = %v", i, err)
		}
		alone[i] = rows[0]
	}
	for i, c := range cases {
		for _, extra := range []int{1, 17, 64} {
			rows, err := inferCases(ctx, s.rt, []Case{c}, len(c.InputIDs)+extra)
			if err != nil {
				t.Fatalf("case %d with %d padding: Infer = %v", i, extra, err)
			}
			if msg := compare(rows[0], alone[i]); msg != "" {
				t.Errorf("case %d with %d padding tokens differs from alone: %s", i, extra, msg)
			}
		}
	}
	n := s.maxRows(len(cases))
	for shift := range len(cases) {
		order := make([]int, n)
		batch := make([]Case, n)
		for j := range n {
			order[j] = (len(cases) - 1 - j + shift) % len(cases)
			batch[j] = cases[order[j]]
		}
		rows, err := inferCases(ctx, s.rt, batch, longest(batch)+3)
		if err != nil {
			t.Fatalf("batch %v: Infer = %v", order, err)
		}
		for j, k := range order {
			if msg := compare(rows[j], alone[k]); msg != "" {
				t.Errorf("case %d as row %d of batch %v differs from alone: %s", k, j, order, msg)
			}
		}
	}
}

// testConcurrent runs random batches from several goroutines at once.
func (s *suite) testConcurrent(t *testing.T) {
	const workers, calls = 8, 6
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 42))
			for range calls {
				batch := make([]Case, 1+rng.IntN(s.maxRows(8)))
				for j := range batch {
					batch[j] = s.golden.Cases[rng.IntN(len(s.golden.Cases))]
				}
				rows, err := inferCases(context.Background(), s.rt, batch, longest(batch)+rng.IntN(16))
				if err != nil {
					t.Errorf("worker %d: Infer = %v", w, err)
					return
				}
				for j, c := range batch {
					if msg := compare(rows[j], goldenRow(c)); msg != "" {
						t.Errorf("worker %d, row %d (%q): %s", w, j, c.Text, msg)
					}
				}
			}
		})
	}
	wg.Wait()
}
