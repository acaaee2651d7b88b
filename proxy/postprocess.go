package proxy

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
)

// labelScore is one class and its probability (or raw logit).
type labelScore struct {
	Label string  `json:"label"`
	Score float32 `json:"score"`
}

// softmax returns the probabilities of logits, computed in float64 with the
// maximum subtracted so that large logits do not overflow.
func softmax(logits []float32) []float32 {
	if len(logits) == 0 {
		return nil
	}
	maxV := math.Inf(-1)
	for _, v := range logits {
		maxV = math.Max(maxV, float64(v))
	}
	var sum float64
	exp := make([]float64, len(logits))
	for i, v := range logits {
		exp[i] = math.Exp(float64(v) - maxV)
		sum += exp[i]
	}
	out := make([]float32, len(logits))
	for i := range exp {
		out[i] = float32(exp[i] / sum)
	}
	return out
}

// ranked pairs scores with labels, best first (ties keep label order).
// Classes beyond the label list are named LABEL_i.
func ranked(scores []float32, labels []string) []labelScore {
	out := make([]labelScore, len(scores))
	for i, s := range scores {
		out[i] = labelScore{Label: labelOf(labels, i), Score: s}
	}
	slices.SortStableFunc(out, func(a, b labelScore) int { return cmp.Compare(b.Score, a.Score) })
	return out
}

func labelOf(labels []string, i int) string {
	if i < len(labels) {
		return labels[i]
	}
	return fmt.Sprintf("LABEL_%d", i)
}

// poolHidden reduces a [tokens, hidden] state to one vector: the first
// token's ([CLS]) or the mean over the tokens the attention mask keeps.
func poolHidden(state []float32, hidden int, mask []int32, pooling string) ([]float32, error) {
	if hidden <= 0 || len(state)%hidden != 0 || len(state) == 0 {
		return nil, fmt.Errorf("last_hidden_state of %d values does not split into rows of %d", len(state), hidden)
	}
	rows := len(state) / hidden
	out := make([]float32, hidden)
	if pooling == "cls" {
		copy(out, state[:hidden])
		return out, nil
	}
	acc := make([]float64, hidden)
	n := 0
	for r := 0; r < rows; r++ {
		if r < len(mask) && mask[r] == 0 {
			continue
		}
		row := state[r*hidden : (r+1)*hidden]
		for j, v := range row {
			acc[j] += float64(v)
		}
		n++
	}
	if n == 0 {
		n = 1
	}
	for j := range acc {
		out[j] = float32(acc[j] / float64(n))
	}
	return out, nil
}

// shapeVector applies OpenAI's dimensions (keep the first d values) and then
// L2 normalisation, into a new slice: the input may be shared with the cache.
func shapeVector(v []float32, dims int, normalize bool) []float32 {
	if dims > 0 && dims < len(v) {
		v = v[:dims]
	}
	out := make([]float32, len(v))
	copy(out, v)
	if !normalize {
		return out
	}
	var sum float64
	for _, x := range out {
		sum += float64(x) * float64(x)
	}
	if sum == 0 {
		return out
	}
	inv := 1 / math.Sqrt(sum)
	for i, x := range out {
		out[i] = float32(float64(x) * inv)
	}
	return out
}

// encodeResult is the cache's value format: the token count, then the
// float32 vector, little-endian.
func encodeResult(tokens int, vec []float32) []byte {
	b := make([]byte, 4+4*len(vec))
	binary.LittleEndian.PutUint32(b, uint32(tokens))
	for i, v := range vec {
		binary.LittleEndian.PutUint32(b[4+4*i:], math.Float32bits(v))
	}
	return b
}

func decodeResult(b []byte) (int, []float32, error) {
	if len(b) < 4 || (len(b)-4)%4 != 0 {
		return 0, nil, fmt.Errorf("cached value of %d bytes is malformed", len(b))
	}
	vec := make([]float32, (len(b)-4)/4)
	for i := range vec {
		vec[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4+4*i:]))
	}
	return int(binary.LittleEndian.Uint32(b)), vec, nil
}
