package triton

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/infergate/infergate/adapters"
)

// KServe v2 tensors on the wire are little-endian, row-major, unpadded.

// appendInts appends values as dtype (INT64 or INT32) little-endian bytes.
func appendInts(dst []byte, dtype string, values []int64) []byte {
	if dtype == "INT32" {
		for _, v := range values {
			dst = binary.LittleEndian.AppendUint32(dst, uint32(int32(v)))
		}
		return dst
	}
	for _, v := range values {
		dst = binary.LittleEndian.AppendUint64(dst, uint64(v))
	}
	return dst
}

// intSize is the wire size of an input element.
func intSize(dtype string) int {
	if dtype == "INT32" {
		return 4
	}
	return 8
}

// fitsInt32 reports the first value an INT32 input cannot hold.
func fitsInt32(values []int64) error {
	for i, v := range values {
		if v < math.MinInt32 || v > math.MaxInt32 {
			return fmt.Errorf("value %d at %d does not fit the model's INT32", v, i)
		}
	}
	return nil
}

func floatType(dtype string) bool {
	return dtype == "FP32" || dtype == "FP16" || dtype == "FP64"
}

// decodeFloats reads a raw little-endian float tensor of n elements.
func decodeFloats(dtype string, raw []byte, n int64) ([]float32, error) {
	size := map[string]int64{"FP32": 4, "FP16": 2, "FP64": 8}[dtype]
	if size == 0 {
		return nil, fmt.Errorf("datatype %s is not a float type", dtype)
	}
	if n < 0 || int64(len(raw)) != n*size {
		return nil, fmt.Errorf("%s tensor of %d elements needs %d bytes, got %d", dtype, n, n*size, len(raw))
	}
	out := make([]float32, n)
	switch dtype {
	case "FP32":
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
	case "FP64":
		for i := range out {
			out[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:])))
		}
	case "FP16":
		for i := range out {
			out[i] = halfToFloat(binary.LittleEndian.Uint16(raw[2*i:]))
		}
	}
	return out, nil
}

// halfToFloat converts an IEEE 754 binary16 value, which Triton models on
// GPUs often return, to float32.
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // inf, nan
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp != 0: // normal
		return math.Float32frombits(sign | (exp+127-15)<<23 | frac<<13)
	case frac == 0: // zero
		return math.Float32frombits(sign)
	}
	// subnormal: normalise
	e := uint32(127 - 15 + 1)
	for frac&0x400 == 0 {
		frac <<= 1
		e--
	}
	return math.Float32frombits(sign | e<<23 | (frac&0x3ff)<<13)
}

// elements is the product of shape; -1 when a dimension is negative.
func elements(shape []int64) int64 {
	n := int64(1)
	for _, d := range shape {
		if d < 0 {
			return -1
		}
		n *= d
	}
	return n
}

// splitBatch cuts b into batches of at most max rows, sharing b's memory.
func splitBatch(b adapters.Batch, max int) []adapters.Batch {
	var out []adapters.Batch
	for r := 0; r < b.Rows; r += max {
		end := min(r+max, b.Rows)
		lo, hi := r*b.Len, end*b.Len
		out = append(out, adapters.Batch{
			Rows: end - r, Len: b.Len,
			InputIDs:      b.InputIDs[lo:hi],
			AttentionMask: b.AttentionMask[lo:hi],
			TokenTypeIDs:  b.TokenTypeIDs[lo:hi],
			Outputs:       b.Outputs,
		})
	}
	return out
}

// mergeOutputs concatenates per-chunk outputs along the batch dimension.
func mergeOutputs(parts []adapters.Outputs) (adapters.Outputs, error) {
	res := adapters.Outputs{}
	for name, first := range parts[0] {
		shape := append([]int64(nil), first.Shape...)
		rows := int64(0)
		n := 0
		for _, p := range parts {
			t, ok := p[name]
			if !ok || len(t.Shape) != len(shape) {
				return nil, adapters.Errorf(adapters.KindInternal, "output %s differs between sub-batches", name)
			}
			for i := 1; i < len(shape); i++ {
				if t.Shape[i] != shape[i] {
					return nil, adapters.Errorf(adapters.KindInternal, "output %s: shapes %v and %v differ between sub-batches", name, first.Shape, t.Shape)
				}
			}
			rows += t.Shape[0]
			n += len(t.Data)
		}
		data := make([]float32, 0, n)
		for _, p := range parts {
			data = append(data, p[name].Data...)
		}
		shape[0] = rows
		res[name] = adapters.Tensor{Shape: shape, Data: data}
	}
	return res, nil
}
