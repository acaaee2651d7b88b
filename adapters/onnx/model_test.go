package onnx

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/infergate/infergate/adapters"
)

func tensorInfo(name string, dtype ort.TensorElementDataType, dims ...int64) ort.InputOutputInfo {
	return ort.InputOutputInfo{Name: name, OrtValueType: ort.ONNXTypeTensor, DataType: dtype, Dimensions: dims}
}

const (
	i64 = ort.TensorElementDataTypeInt64
	i32 = ort.TensorElementDataTypeInt32
	f32 = ort.TensorElementDataTypeFloat
	f16 = ort.TensorElementDataTypeFloat16
)

func TestMapModelIO(t *testing.T) {
	bertIn := []ort.InputOutputInfo{
		tensorInfo("input_ids", i64, -1, -1),
		tensorInfo("attention_mask", i64, -1, -1),
		tensorInfo("token_type_ids", i64, -1, -1),
	}
	bertOut := []ort.InputOutputInfo{
		tensorInfo("logits", f32, -1, 20),
		tensorInfo("last_hidden_state", f32, -1, -1, 128),
	}
	tests := []struct {
		name       string
		ins, outs  []ort.InputOutputInfo
		wantIn     []string // model names, in session order
		wantOut    []string
		wantErrMsg string
	}{
		{name: "reference", ins: bertIn, outs: bertOut,
			wantIn:  []string{"input_ids", "attention_mask", "token_type_ids"},
			wantOut: []string{"logits", "last_hidden_state"}},
		{name: "no token types (DistilBERT)", ins: bertIn[:2], outs: bertOut[1:],
			wantIn: []string{"input_ids", "attention_mask"}, wantOut: []string{"last_hidden_state"}},
		{name: "TF names and INT32",
			ins:     []ort.InputOutputInfo{tensorInfo("segment_ids:0", i32, -1, 128), tensorInfo("input_mask:0", i32, -1, 128), tensorInfo("input_ids:0", i32, -1, 128)},
			outs:    []ort.InputOutputInfo{tensorInfo("pooler_output", f32, -1, 768), tensorInfo("token_embeddings", f32, -1, 128, 768)},
			wantIn:  []string{"segment_ids:0", "input_mask:0", "input_ids:0"},
			wantOut: []string{"token_embeddings"}},
		{name: "unknown input", ins: append(slices.Clone(bertIn), tensorInfo("position_ids", i64, -1, -1)), outs: bertOut,
			wantErrMsg: `input "position_ids"`},
		{name: "no input_ids", ins: bertIn[1:], outs: bertOut, wantErrMsg: "no input_ids"},
		{name: "float input", ins: []ort.InputOutputInfo{tensorInfo("input_ids", f32, -1, -1)}, outs: bertOut, wantErrMsg: "INT64 or INT32"},
		{name: "rank 1 input", ins: []ort.InputOutputInfo{tensorInfo("input_ids", i64, -1)}, outs: bertOut, wantErrMsg: "[batch, sequence]"},
		{name: "no known output", ins: bertIn, outs: []ort.InputOutputInfo{tensorInfo("pooler_output", f32, -1, 128)}, wantErrMsg: "none of the outputs"},
		{name: "FP16 output", ins: bertIn, outs: []ort.InputOutputInfo{tensorInfo("logits", f16, -1, 2)}, wantErrMsg: "FP32"},
		{name: "logits of rank 3", ins: bertIn, outs: []ort.InputOutputInfo{tensorInfo("logits", f32, -1, -1, 2)}, wantErrMsg: "rank 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			io, err := mapModelIO(tt.ins, tt.outs)
			if tt.wantErrMsg != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErrMsg) {
					t.Fatalf("mapModelIO = %v; want an error mentioning %q", err, tt.wantErrMsg)
				}
				return
			}
			if err != nil {
				t.Fatalf("mapModelIO = %v", err)
			}
			if got := names(io.inputs); !slices.Equal(got, tt.wantIn) {
				t.Errorf("inputs = %v; want %v", got, tt.wantIn)
			}
			if got := names(io.outputs); !slices.Equal(got, tt.wantOut) {
				t.Errorf("outputs = %v; want %v", got, tt.wantOut)
			}
		})
	}
}

func TestOutputShape(t *testing.T) {
	tests := []struct {
		name   string
		give   ioTensor
		want   []int64
		wantOK bool
	}{
		{"logits", ioTensor{std: adapters.Logits, dims: []int64{-1, 20}}, []int64{8, 20}, true},
		{"hidden", ioTensor{std: adapters.LastHiddenState, dims: []int64{-1, -1, 128}}, []int64{8, 64, 128}, true},
		{"fixed seq that fits", ioTensor{dims: []int64{-1, 64, 128}}, []int64{8, 64, 128}, true},
		{"fixed seq that does not", ioTensor{dims: []int64{-1, 128, 128}}, nil, false},
		{"dynamic classes", ioTensor{dims: []int64{-1, -1}}, nil, false},
	}
	for _, tt := range tests {
		got, ok := outputShape(tt.give, 8, 64)
		if ok != tt.wantOK || !slices.Equal(got, tt.want) {
			t.Errorf("%s: outputShape(%v, 8, 64) = %v, %v; want %v, %v", tt.name, tt.give.dims, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		msg  string
		want adapters.Kind
	}{
		{"Non-zero status code returned while running Gather node. Name:'/embeddings/Gather' Status Message: indices element out of data bounds", adapters.KindBadInput},
		{"Failed to allocate memory for requested buffer of size 1073741824", adapters.KindUnavailable},
		{"something else entirely", adapters.KindInternal},
	}
	for _, tt := range tests {
		if got := adapters.KindOf(classify(errString(tt.msg))); got != tt.want {
			t.Errorf("classify(%q) kind = %v; want %v", tt.msg, got, tt.want)
		}
	}
}

type errString string

func (e errString) Error() string { return string(e) }

func TestLibraryCandidates(t *testing.T) {
	root := t.TempDir()
	nested := filepath.Join(root, "a", "b")
	if err := os.MkdirAll(nested, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvLibrary, "")
	t.Chdir(nested)
	if libs, system, err := libraryCandidates(""); err != nil || !system || !slices.Equal(libs, systemLibraries) {
		t.Errorf("with no local library: libraryCandidates() = %v, %v, %v; want the system's", libs, system, err)
	}

	local := filepath.Join(root, localLibrary)
	if err := os.MkdirAll(filepath.Dir(local), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(local, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if libs, system, err := libraryCandidates(""); err != nil || system || len(libs) != 1 || !samePath(libs[0], local) {
		t.Errorf("from a subfolder: libraryCandidates() = %v, %v, %v; want [%s]", libs, system, err, local)
	}

	explicit := filepath.Join(root, "mine.so")
	if err := os.WriteFile(explicit, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvLibrary, local)
	if libs, _, err := libraryCandidates(explicit); err != nil || len(libs) != 1 || libs[0] != explicit {
		t.Errorf("explicit: libraryCandidates(%s) = %v, %v; want it first", explicit, libs, err)
	}
	if libs, _, err := libraryCandidates(""); err != nil || len(libs) != 1 || libs[0] != local {
		t.Errorf("from %s: libraryCandidates() = %v, %v; want [%s]", EnvLibrary, libs, err, local)
	}
	t.Setenv(EnvLibrary, filepath.Join(root, "missing.so"))
	if _, _, err := libraryCandidates(""); err == nil || !strings.Contains(err.Error(), EnvLibrary) || !strings.Contains(err.Error(), "fetch-ort.sh") {
		t.Errorf("missing %s: libraryCandidates() error = %v; want one naming it and the fix", EnvLibrary, err)
	}
}
