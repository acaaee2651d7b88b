package adapterstest

import (
	"encoding/json"
	"fmt"
	"math"
	"os"

	"github.com/infergate/infergate/adapters"
)

// Golden is a golden.json fixture: texts with the outputs the reference
// framework (torch) computed for them, one unpadded sequence per case.
type Golden struct {
	Cases []Case `json:"cases"`
}

// Case is one golden sequence.
type Case struct {
	Text          string  `json:"text"`
	InputIDs      []int64 `json:"input_ids"`
	AttentionMask []int64 `json:"attention_mask"`
	TokenTypeIDs  []int64 `json:"token_type_ids"`
	// Logits is [classes]; LastHiddenState is [len(InputIDs)][hidden]. Either
	// may be empty when the model has no such output.
	Logits          []float32   `json:"logits"`
	LastHiddenState [][]float32 `json:"last_hidden_state"`
}

// LoadGolden reads and checks a golden file: every case non-empty, its three
// inputs of one length, and every case with the same output sizes.
func LoadGolden(path string) (Golden, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Golden{}, fmt.Errorf("golden: %w", err)
	}
	var g Golden
	if err := json.Unmarshal(raw, &g); err != nil {
		return Golden{}, fmt.Errorf("golden %s: %w", path, err)
	}
	if len(g.Cases) == 0 {
		return Golden{}, fmt.Errorf("golden %s: no cases", path)
	}
	first := g.Cases[0]
	for i, c := range g.Cases {
		n := len(c.InputIDs)
		switch {
		case n == 0:
			return Golden{}, fmt.Errorf("golden %s: case %d has no input_ids", path, i)
		case len(c.AttentionMask) != n || len(c.TokenTypeIDs) != n:
			return Golden{}, fmt.Errorf("golden %s: case %d has %d input_ids, %d attention_mask, %d token_type_ids",
				path, i, n, len(c.AttentionMask), len(c.TokenTypeIDs))
		case len(c.Logits) != len(first.Logits):
			return Golden{}, fmt.Errorf("golden %s: case %d has %d logits, case 0 has %d", path, i, len(c.Logits), len(first.Logits))
		case len(c.LastHiddenState) != 0 && len(c.LastHiddenState) != n:
			return Golden{}, fmt.Errorf("golden %s: case %d has %d hidden-state rows for %d tokens", path, i, len(c.LastHiddenState), n)
		case (len(c.LastHiddenState) == 0) != (len(first.LastHiddenState) == 0):
			return Golden{}, fmt.Errorf("golden %s: case %d and case 0 disagree on having hidden states", path, i)
		}
		for j, row := range c.LastHiddenState {
			if len(row) != len(first.LastHiddenState[0]) {
				return Golden{}, fmt.Errorf("golden %s: case %d hidden-state row %d has width %d, want %d",
					path, i, j, len(row), len(first.LastHiddenState[0]))
			}
		}
	}
	if len(first.Logits) == 0 && len(first.LastHiddenState) == 0 {
		return Golden{}, fmt.Errorf("golden %s: cases carry neither logits nor last_hidden_state", path)
	}
	return g, nil
}

// outputs lists the standard outputs the golden file carries.
func (g Golden) outputs() []string {
	var out []string
	if len(g.Cases[0].Logits) > 0 {
		out = append(out, adapters.Logits)
	}
	if len(g.Cases[0].LastHiddenState) > 0 {
		out = append(out, adapters.LastHiddenState)
	}
	return out
}

// longest returns the length of the longest case.
func longest(cases []Case) int {
	n := 0
	for _, c := range cases {
		n = max(n, len(c.InputIDs))
	}
	return n
}

// batchOf pads cases to padTo tokens (at least the longest) with id 0 and
// mask 0, and asks for outputs (nil: all).
func batchOf(cases []Case, padTo int, outputs ...string) adapters.Batch {
	l := max(padTo, longest(cases))
	b := adapters.Batch{
		Rows:          len(cases),
		Len:           l,
		InputIDs:      make([]int64, len(cases)*l),
		AttentionMask: make([]int64, len(cases)*l),
		TokenTypeIDs:  make([]int64, len(cases)*l),
		Outputs:       outputs,
	}
	for i, c := range cases {
		copy(b.InputIDs[i*l:], c.InputIDs)
		copy(b.AttentionMask[i*l:], c.AttentionMask)
		copy(b.TokenTypeIDs[i*l:], c.TokenTypeIDs)
	}
	return b
}

// Tolerance is how far an output may be from the golden one: absolute for
// values up to 1 in magnitude, relative beyond.
const Tolerance = 1e-4

// diff returns the largest excess of |got-want| over its tolerance scale, as
// the worst index and the two values; ok is false when any value is out of
// tolerance (NaN included).
func diff(got, want []float32) (worst int, ok bool) {
	worst, ok = -1, true
	worstErr := 0.0
	for i := range want {
		g, w := float64(got[i]), float64(want[i])
		e := math.Abs(g-w) / math.Max(1, math.Abs(w))
		if math.IsNaN(e) {
			e = math.Inf(1)
		}
		if e > worstErr || worst < 0 {
			worst, worstErr = i, e
		}
	}
	return worst, worstErr <= Tolerance
}
