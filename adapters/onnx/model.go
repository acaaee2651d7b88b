package onnx

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/infergate/infergate/adapters"
)

// aliases maps each standard tensor name to the names exporters commonly give
// it (HF optimum and torch exports use the standard ones; TF BERT exports use
// input_mask and segment_ids; sentence-transformers exports token_embeddings).
// Names are compared after normalise.
var aliases = map[string][]string{
	adapters.InputIDs:        {"input_ids"},
	adapters.AttentionMask:   {"attention_mask", "input_mask"},
	adapters.TokenTypeIDs:    {"token_type_ids", "segment_ids"},
	adapters.Logits:          {"logits"},
	adapters.LastHiddenState: {"last_hidden_state", "token_embeddings"},
}

// normalise lowercases a tensor name and drops a TF-style ":0" suffix.
func normalise(name string) string {
	name = strings.ToLower(name)
	if i := strings.LastIndexByte(name, ':'); i > 0 {
		name = name[:i]
	}
	return name
}

// standardName returns the standard name a model tensor stands for, if any.
func standardName(modelName string, among []string) (string, bool) {
	n := normalise(modelName)
	for _, std := range among {
		if slices.Contains(aliases[std], n) {
			return std, true
		}
	}
	return "", false
}

// ioTensor is one model input or output the runtime feeds or fetches.
type ioTensor struct {
	std   string // standard name (adapters.InputIDs, ...)
	model string // the model's own name
	dtype ort.TensorElementDataType
	dims  []int64 // -1 for dynamic dimensions
}

// modelIO is the mapping between a model's tensors and the standard ones, in
// the order the session is created with.
type modelIO struct {
	inputs  []ioTensor
	outputs []ioTensor
}

// mapModelIO maps the model's declared inputs and outputs to the standard
// names. Every model input must map (the runtime could not feed it
// otherwise), input_ids is required, and at least one known output must
// exist; other outputs are ignored and never computed for their own sake.
func mapModelIO(ins, outs []ort.InputOutputInfo) (modelIO, error) {
	var io modelIO
	stdIn := []string{adapters.InputIDs, adapters.AttentionMask, adapters.TokenTypeIDs}
	for _, in := range ins {
		std, ok := standardName(in.Name, stdIn)
		if !ok {
			return io, fmt.Errorf("model input %q is not one of %s", in.Name, strings.Join(stdIn, ", "))
		}
		if in.OrtValueType != ort.ONNXTypeTensor {
			return io, fmt.Errorf("model input %q is a %s, not a tensor", in.Name, in.OrtValueType)
		}
		if in.DataType != ort.TensorElementDataTypeInt64 && in.DataType != ort.TensorElementDataTypeInt32 {
			return io, fmt.Errorf("model input %q has type %s; INT64 or INT32 is needed", in.Name, dtypeName(in.DataType))
		}
		if len(in.Dimensions) != 2 {
			return io, fmt.Errorf("model input %q has shape %v; [batch, sequence] is needed", in.Name, in.Dimensions)
		}
		if slices.ContainsFunc(io.inputs, func(t ioTensor) bool { return t.std == std }) {
			return io, fmt.Errorf("model inputs map %q twice", std)
		}
		io.inputs = append(io.inputs, ioTensor{std: std, model: in.Name, dtype: in.DataType, dims: slices.Clone(in.Dimensions)})
	}
	if !slices.ContainsFunc(io.inputs, func(t ioTensor) bool { return t.std == adapters.InputIDs }) {
		return io, fmt.Errorf("model has no %s input", adapters.InputIDs)
	}
	stdOut := []string{adapters.Logits, adapters.LastHiddenState}
	for _, out := range outs {
		std, ok := standardName(out.Name, stdOut)
		if !ok || slices.ContainsFunc(io.outputs, func(t ioTensor) bool { return t.std == std }) {
			continue
		}
		if out.OrtValueType != ort.ONNXTypeTensor || out.DataType != ort.TensorElementDataTypeFloat {
			return io, fmt.Errorf("model output %q has type %s; FP32 is needed", out.Name, dtypeName(out.DataType))
		}
		wantRank := map[string]int{adapters.Logits: 2, adapters.LastHiddenState: 3}[std]
		if len(out.Dimensions) != wantRank {
			return io, fmt.Errorf("model output %q has shape %v; rank %d is needed", out.Name, out.Dimensions, wantRank)
		}
		io.outputs = append(io.outputs, ioTensor{std: std, model: out.Name, dtype: out.DataType, dims: slices.Clone(out.Dimensions)})
	}
	if len(io.outputs) == 0 {
		return io, fmt.Errorf("model has none of the outputs %s", strings.Join(stdOut, ", "))
	}
	return io, nil
}

// names returns the model names of tensors, in order.
func names(ts []ioTensor) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.model
	}
	return out
}

// outputShape is the shape of an output for a batch of rows x seqLen, or
// false when the model's declared shape leaves a dimension unknown (the
// runtime then lets ONNX Runtime allocate it).
func outputShape(t ioTensor, rows, seqLen int) ([]int64, bool) {
	shape := []int64{int64(rows), int64(seqLen)}[:len(t.dims)-1]
	last := t.dims[len(t.dims)-1]
	if last <= 0 {
		return nil, false
	}
	for i, d := range t.dims[:len(t.dims)-1] {
		if d > 0 && d != shape[i] {
			return nil, false
		}
	}
	return append(shape, last), true
}

// spec describes a tensor for Metadata, under its standard name.
func spec(t ioTensor) adapters.TensorSpec {
	return adapters.TensorSpec{Name: t.std, DType: dtypeName(t.dtype), Shape: slices.Clone(t.dims)}
}

// dtypeName returns the KServe v2 name of an ONNX element type.
func dtypeName(t ort.TensorElementDataType) string {
	switch t {
	case ort.TensorElementDataTypeFloat:
		return "FP32"
	case ort.TensorElementDataTypeFloat16:
		return "FP16"
	case ort.TensorElementDataTypeBFloat16:
		return "BF16"
	case ort.TensorElementDataTypeDouble:
		return "FP64"
	case ort.TensorElementDataTypeInt64:
		return "INT64"
	case ort.TensorElementDataTypeInt32:
		return "INT32"
	case ort.TensorElementDataTypeInt16:
		return "INT16"
	case ort.TensorElementDataTypeInt8:
		return "INT8"
	case ort.TensorElementDataTypeUint64:
		return "UINT64"
	case ort.TensorElementDataTypeUint32:
		return "UINT32"
	case ort.TensorElementDataTypeUint16:
		return "UINT16"
	case ort.TensorElementDataTypeUint8:
		return "UINT8"
	case ort.TensorElementDataTypeBool:
		return "BOOL"
	case ort.TensorElementDataTypeString:
		return "BYTES"
	default:
		return t.String()
	}
}

var versionDir = regexp.MustCompile(`^[0-9]+$`)

// nameVersion derives the model's name and version from its path: the
// Triton layout <repository>/<name>/<version>/model.onnx gives both; any
// other file is named after itself, version "1".
func nameVersion(path string) (name, version string) {
	abs := absPath(path)
	dir := filepath.Dir(abs)
	if v := filepath.Base(dir); filepath.Base(abs) == "model.onnx" && versionDir.MatchString(v) {
		if n := filepath.Base(filepath.Dir(dir)); n != "" && n != "." && n != string(filepath.Separator) {
			return n, v
		}
	}
	return strings.TrimSuffix(filepath.Base(abs), filepath.Ext(abs)), "1"
}
