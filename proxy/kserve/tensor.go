package kserve

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/infergate/infergate/adapters"
)

// maxElements bounds one input tensor; far beyond any BERT batch, it keeps
// a client-declared shape from asking for absurd allocations.
const maxElements = 1 << 26

// inputTensor is one decoded request input, values widened to int64.
type inputTensor struct {
	name  string
	shape []int64
	vals  []int64
}

// standardInputs are the inputs the frontend accepts, in batch order.
func standardInputs() []string {
	return []string{adapters.InputIDs, adapters.AttentionMask, adapters.TokenTypeIDs}
}

// standardOutputs is the order outputs are returned in when none are named.
func standardOutputs() []string { return []string{adapters.Logits, adapters.LastHiddenState} }

// intSize is the wire size of an integer datatype the frontend accepts; 0
// rejects the datatype with a message that says what to send instead.
func intSize(name, dtype string) (int, error) {
	switch dtype {
	case "INT64":
		return 8, nil
	case "INT32":
		return 4, nil
	case "BYTES":
		return 0, badRequest("input %q: datatype BYTES is not supported: send token ids (INT64 or INT32), tokenized client-side, or use /v1/classify for text", name)
	case "BOOL", "FP16", "FP32", "FP64", "BF16", "INT8", "INT16", "UINT8", "UINT16", "UINT32", "UINT64":
		return 0, badRequest("input %q: datatype %s is not supported; send INT64 or INT32", name, dtype)
	}
	return 0, badRequest("input %q: unknown datatype %q; send INT64 or INT32", name, dtype)
}

// checkShape validates a declared shape and returns its element count.
func checkShape(name string, shape []int64) (int64, error) {
	if len(shape) != 2 {
		return 0, badRequest("input %q: shape %v must be [batch, sequence length]", name, shape)
	}
	n := int64(1)
	for _, d := range shape {
		if d <= 0 {
			return 0, badRequest("input %q: shape %v has a non-positive dimension", name, shape)
		}
		if n > maxElements/d {
			return 0, badRequest("input %q: shape %v exceeds %d elements", name, shape, maxElements)
		}
		n *= d
	}
	return n, nil
}

// decodeRaw reads n little-endian integers of dtype.
func decodeRaw(name, dtype string, raw []byte, n int64) ([]int64, error) {
	size, err := intSize(name, dtype)
	if err != nil {
		return nil, err
	}
	if int64(len(raw)) != n*int64(size) {
		return nil, badRequest("input %q: %d %s elements need %d bytes, got %d", name, n, dtype, n*int64(size), len(raw))
	}
	out := make([]int64, n)
	if size == 4 {
		for i := range out {
			out[i] = int64(int32(binary.LittleEndian.Uint32(raw[4*i:])))
		}
		return out, nil
	}
	for i := range out {
		out[i] = int64(binary.LittleEndian.Uint64(raw[8*i:]))
	}
	return out, nil
}

// buildBatch checks the inputs and assembles the padded batch: input_ids
// is required, attention_mask defaults to ones and token_type_ids to zeros.
func buildBatch(inputs []inputTensor, outputs []string) (adapters.Batch, error) {
	byName := map[string]inputTensor{}
	for _, in := range inputs {
		if !slices.Contains(standardInputs(), in.name) {
			return adapters.Batch{}, badRequest("unknown input %q; inputs are %v", in.name, standardInputs())
		}
		if _, dup := byName[in.name]; dup {
			return adapters.Batch{}, badRequest("input %q given twice", in.name)
		}
		byName[in.name] = in
	}
	ids, ok := byName[adapters.InputIDs]
	if !ok {
		return adapters.Batch{}, badRequest("input %q is required", adapters.InputIDs)
	}
	b := adapters.Batch{Rows: int(ids.shape[0]), Len: int(ids.shape[1]), InputIDs: ids.vals}
	for _, in := range inputs {
		if !slices.Equal(in.shape, ids.shape) {
			return adapters.Batch{}, badRequest("input %q: shape %v differs from %s shape %v", in.name, in.shape, adapters.InputIDs, ids.shape)
		}
	}
	if in, ok := byName[adapters.AttentionMask]; ok {
		b.AttentionMask = in.vals
	} else {
		b.AttentionMask = filled(len(ids.vals), 1)
	}
	if in, ok := byName[adapters.TokenTypeIDs]; ok {
		b.TokenTypeIDs = in.vals
	} else {
		b.TokenTypeIDs = filled(len(ids.vals), 0)
	}
	if err := checkValues(b); err != nil {
		return adapters.Batch{}, err
	}
	for i, o := range outputs {
		if !slices.Contains(standardOutputs(), o) {
			return adapters.Batch{}, badRequest("unknown output %q; outputs are %v", o, standardOutputs())
		}
		if slices.Contains(outputs[:i], o) {
			return adapters.Batch{}, badRequest("output %q requested twice", o)
		}
	}
	b.Outputs = outputs
	return b, nil
}

// checkValues rejects ids no vocabulary has and masks that are not 0/1.
func checkValues(b adapters.Batch) error {
	for i := range b.InputIDs {
		switch {
		case b.InputIDs[i] < 0 || b.InputIDs[i] > math.MaxInt32:
			return badRequest("input_ids[%d] = %d is not a token id", i, b.InputIDs[i])
		case b.AttentionMask[i] != 0 && b.AttentionMask[i] != 1:
			return badRequest("attention_mask[%d] = %d; want 0 or 1", i, b.AttentionMask[i])
		case b.TokenTypeIDs[i] < 0 || b.TokenTypeIDs[i] > math.MaxInt32:
			return badRequest("token_type_ids[%d] = %d is not a segment id", i, b.TokenTypeIDs[i])
		}
	}
	return nil
}

func filled(n int, v int64) []int64 {
	s := make([]int64, n)
	if v != 0 {
		for i := range s {
			s[i] = v
		}
	}
	return s
}

// outputOrder lists the outputs to return: those requested, in request
// order, or every output the model produced, standard ones first.
func outputOrder(requested []string, got adapters.Outputs) ([]string, error) {
	if len(requested) != 0 {
		for _, n := range requested {
			if _, ok := got[n]; !ok {
				return nil, fmt.Errorf("model returned no output %q", n)
			}
		}
		return requested, nil
	}
	var names []string
	for _, n := range standardOutputs() {
		if _, ok := got[n]; ok {
			names = append(names, n)
		}
	}
	var rest []string
	for n := range got {
		if !slices.Contains(standardOutputs(), n) {
			rest = append(rest, n)
		}
	}
	slices.Sort(rest)
	return append(names, rest...), nil
}

// appendFloats appends FP32 little-endian bytes.
func appendFloats(dst []byte, v []float32) []byte {
	for _, f := range v {
		dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(f))
	}
	return dst
}
