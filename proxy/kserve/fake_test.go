package kserve

import (
	"context"
	"slices"
	"sync"

	"github.com/infergate/infergate/adapters"
)

// fakeModel is a test double for the gateway's pool: its outputs are
// computed from the batch, so a test sees whether every value crossed the
// wire intact. logits[r] = [sum ids, sum mask, sum type ids] of row r;
// last_hidden_state[r][i] = [id, mask].
type fakeModel struct {
	md       adapters.Metadata
	notReady bool
	err      error // returned by Infer when set

	mu   sync.Mutex
	last adapters.Batch
}

func newFakeModel() *fakeModel {
	return &fakeModel{md: adapters.Metadata{
		Name: "langid", Version: "1", Platform: "onnxruntime_onnx", MaxBatchSize: 0,
		Inputs: []adapters.TensorSpec{
			{Name: adapters.InputIDs, DType: "INT64", Shape: []int64{-1, -1}},
			{Name: adapters.AttentionMask, DType: "INT64", Shape: []int64{-1, -1}},
			{Name: adapters.TokenTypeIDs, DType: "INT64", Shape: []int64{-1, -1}},
		},
		Outputs: []adapters.TensorSpec{
			{Name: adapters.Logits, DType: "FP32", Shape: []int64{-1, 3}},
			{Name: adapters.LastHiddenState, DType: "FP32", Shape: []int64{-1, -1, 2}},
		},
	}}
}

func (f *fakeModel) Ready() bool { return !f.notReady }

func (f *fakeModel) Metadata(context.Context) (adapters.Metadata, error) { return f.md, nil }

func (f *fakeModel) Infer(_ context.Context, b adapters.Batch) (adapters.Outputs, error) {
	if err := b.Validate(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.last = b
	f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	want := func(n string) bool { return len(b.Outputs) == 0 || slices.Contains(b.Outputs, n) }
	out := adapters.Outputs{}
	if want(adapters.Logits) {
		t := adapters.Tensor{Shape: []int64{int64(b.Rows), 3}}
		for r := range b.Rows {
			var s [3]float32
			for i := r * b.Len; i < (r+1)*b.Len; i++ {
				s[0] += float32(b.InputIDs[i])
				s[1] += float32(b.AttentionMask[i])
				s[2] += float32(b.TokenTypeIDs[i])
			}
			t.Data = append(t.Data, s[:]...)
		}
		out[adapters.Logits] = t
	}
	if want(adapters.LastHiddenState) {
		t := adapters.Tensor{Shape: []int64{int64(b.Rows), int64(b.Len), 2}}
		for i := range b.InputIDs {
			t.Data = append(t.Data, float32(b.InputIDs[i])+0.5, float32(b.AttentionMask[i]))
		}
		out[adapters.LastHiddenState] = t
	}
	return out, nil
}

func (f *fakeModel) lastBatch() adapters.Batch {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last
}

// fakeModels serves fixed models by name.
type fakeModels map[string]Model

func (m fakeModels) Model(name string) (Model, bool) { v, ok := m[name]; return v, ok }

func (m fakeModels) Names() []string {
	var n []string
	for k := range m {
		n = append(n, k)
	}
	return n
}
