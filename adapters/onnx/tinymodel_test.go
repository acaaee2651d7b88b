package onnx

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"go.uber.org/goleak"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/infergate/infergate/adapters"
)

// This file builds, in the test, a tiny ONNX model unlike the reference one:
// TF-style tensor names ("input_ids:0", "input_mask:0"), INT32 inputs, no
// token_type_ids, an output with a dynamic last dimension (which the runtime
// cannot preallocate) and a sentence-transformers style "token_embeddings".
// It computes logits = float(input_ids) * float(input_mask), [batch, seq],
// and token_embeddings = the same as [batch, seq, 1]. The ONNX protobuf is written field by field
// (onnx.proto field numbers) so the test needs nothing but the library.

type pb []byte

func (b pb) str(field protowire.Number, s string) pb {
	b = protowire.AppendTag(b, field, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func (b pb) msg(field protowire.Number, m pb) pb {
	b = protowire.AppendTag(b, field, protowire.BytesType)
	return protowire.AppendBytes(b, m)
}

func (b pb) int(field protowire.Number, v int64) pb {
	b = protowire.AppendTag(b, field, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(v))
}

const (
	onnxFloat = 1
	onnxInt32 = 6
	onnxInt64 = 7
)

// valueInfo is a ValueInfoProto; dims > 0 are fixed, others named dynamic.
func valueInfo(name string, elem int64, dims ...int64) pb {
	var shape pb
	for i, d := range dims {
		if d > 0 {
			shape = shape.msg(1, pb(nil).int(1, d))
		} else {
			shape = shape.msg(1, pb(nil).str(2, "d"+string(rune('0'+i))))
		}
	}
	tensor := pb(nil).int(1, elem).msg(2, shape)
	return pb(nil).str(1, name).msg(2, pb(nil).msg(1, tensor))
}

func node(op string, inputs, outputs []string, attrs ...pb) pb {
	var n pb
	for _, in := range inputs {
		n = n.str(1, in)
	}
	for _, out := range outputs {
		n = n.str(2, out)
	}
	n = n.str(4, op)
	for _, a := range attrs {
		n = n.msg(5, a)
	}
	return n
}

func intAttr(name string, v int64) pb {
	return pb(nil).str(1, name).int(3, v).int(20, 2) // type INT
}

// int64Initializer is a one-element INT64 TensorProto.
func int64Initializer(name string, v int64) pb {
	return pb(nil).int(1, 1).int(2, onnxInt64).int(7, v).str(8, name)
}

func writeTinyModel(t *testing.T) string {
	t.Helper()
	graph := pb(nil).
		msg(1, node("Cast", []string{"input_ids:0"}, []string{"ids"}, intAttr("to", onnxFloat))).
		msg(1, node("Cast", []string{"input_mask:0"}, []string{"mask"}, intAttr("to", onnxFloat))).
		msg(1, node("Mul", []string{"ids", "mask"}, []string{"logits"})).
		msg(1, node("Unsqueeze", []string{"logits", "axis2"}, []string{"token_embeddings"})).
		str(2, "tiny").
		msg(5, int64Initializer("axis2", 2)).
		msg(11, valueInfo("input_ids:0", onnxInt32, -1, -1)).
		msg(11, valueInfo("input_mask:0", onnxInt32, -1, -1)).
		msg(12, valueInfo("logits", onnxFloat, -1, -1)).
		msg(12, valueInfo("token_embeddings", onnxFloat, -1, -1, 1))
	model := pb(nil).
		int(1, 8). // ir_version
		str(2, "infergate-test").
		msg(7, graph).
		msg(8, pb(nil).str(1, "").int(2, 14)) // opset 14
	path := filepath.Join(t.TempDir(), "tiny.onnx")
	if err := os.WriteFile(path, model, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTinyModel(t *testing.T) {
	defer goleak.VerifyNone(t)
	ctx := context.Background()
	r := newTestRuntime(t, Options{ModelPath: writeTinyModel(t)})
	defer r.Close()

	m, err := r.Metadata(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantIn := []adapters.TensorSpec{
		{Name: adapters.InputIDs, DType: "INT32", Shape: []int64{-1, -1}},
		{Name: adapters.AttentionMask, DType: "INT32", Shape: []int64{-1, -1}},
	}
	wantOut := []adapters.TensorSpec{
		{Name: adapters.Logits, DType: "FP32", Shape: []int64{-1, -1}},
		{Name: adapters.LastHiddenState, DType: "FP32", Shape: []int64{-1, -1, 1}},
	}
	specEqual := func(a, b adapters.TensorSpec) bool {
		return a.Name == b.Name && a.DType == b.DType && slices.Equal(a.Shape, b.Shape)
	}
	if m.Name != "tiny" || !slices.EqualFunc(m.Inputs, wantIn, specEqual) || !slices.EqualFunc(m.Outputs, wantOut, specEqual) {
		t.Errorf("Metadata() = %+v; want name tiny, inputs %v, outputs %v", m, wantIn, wantOut)
	}

	b := adapters.Batch{
		Rows: 2, Len: 3,
		InputIDs:      []int64{101, 7, 102, 101, 102, 5},
		AttentionMask: []int64{1, 1, 1, 1, 1, 0},
		TokenTypeIDs:  []int64{0, 0, 0, 0, 0, 0}, // the model has no such input: not fed
	}
	tests := []struct {
		name    string
		outputs []string
	}{
		{"all", nil},
		{"logits (allocated by ONNX Runtime)", []string{adapters.Logits}},
		{"hidden (preallocated)", []string{adapters.LastHiddenState}},
	}
	for _, tt := range tests {
		b.Outputs = tt.outputs
		out, err := r.Infer(ctx, b)
		if err != nil {
			t.Fatalf("%s: Infer = %v", tt.name, err)
		}
		want := tt.outputs
		if want == nil {
			want = []string{adapters.Logits, adapters.LastHiddenState}
		}
		for _, name := range want {
			if _, ok := out[name]; !ok {
				t.Errorf("%s: no %s in the outputs", tt.name, name)
			}
		}
		if len(out) != len(want) {
			t.Errorf("%s: got %d outputs; want only %v", tt.name, len(out), want)
		}
		if lt, ok := out[adapters.Logits]; ok {
			if !slices.Equal(lt.Shape, []int64{2, 3}) || !slices.Equal(lt.Data, []float32{101, 7, 102, 101, 102, 0}) {
				t.Errorf("%s: logits = %v %v; want [2 3] [101 7 102 101 102 0]", tt.name, lt.Shape, lt.Data)
			}
		}
		if ht, ok := out[adapters.LastHiddenState]; ok {
			if !slices.Equal(ht.Shape, []int64{2, 3, 1}) || !slices.Equal(ht.Data, []float32{101, 7, 102, 101, 102, 0}) {
				t.Errorf("%s: last_hidden_state = %v %v; want [2 3 1] [101 7 102 101 102 0]", tt.name, ht.Shape, ht.Data)
			}
		}
	}

	b.InputIDs = []int64{101, math.MaxInt32 + 1, 102, 101, 102, 0}
	if _, err := r.Infer(ctx, b); adapters.KindOf(err) != adapters.KindBadInput {
		t.Errorf("Infer(id beyond INT32) = %v; want KindBadInput", err)
	}
}
