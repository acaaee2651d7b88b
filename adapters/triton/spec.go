package triton

import (
	"fmt"
	"strings"

	"github.com/infergate/infergate/adapters"
)

// tensorMeta is one tensor of a model's metadata, as either transport reads it.
type tensorMeta struct {
	Name     string  `json:"name"`
	Datatype string  `json:"datatype"`
	Shape    []int64 `json:"shape"`
}

// modelMetadata is the KServe v2 model metadata, as either transport reads it.
type modelMetadata struct {
	Name     string       `json:"name"`
	Versions []string     `json:"versions"`
	Platform string       `json:"platform"`
	Inputs   []tensorMeta `json:"inputs"`
	Outputs  []tensorMeta `json:"outputs"`
}

// modelConfig is the part of Triton's model configuration the adapter uses.
type modelConfig struct {
	MaxBatchSize int `json:"max_batch_size"`
}

// binding ties one of the model's tensors to its standard adapters name.
type binding struct {
	std   string // adapters.InputIDs, adapters.Logits, ...
	name  string // the model's name
	dtype string
	shape []int64
}

// modelSpec is what discovery learned about the model: how to feed it and
// how to read it.
type modelSpec struct {
	name, version, platform string
	inputs                  []binding // every model input, in model order
	outputs                 []binding // the outputs with a standard meaning
	maxBatch                int       // 0: no limit
	binary                  bool      // HTTP: server supports binary tensors
}

// newModelSpec maps the model's tensors to standard names. It fails for a
// model the adapter cannot drive: an input it cannot fill, an input dtype
// other than INT64/INT32, or no output it understands.
func newModelSpec(md *modelMetadata, cfg *modelConfig, version string) (*modelSpec, error) {
	s := &modelSpec{name: md.Name, version: version, platform: md.Platform}
	if s.version == "" && len(md.Versions) == 1 {
		s.version = md.Versions[0]
	}
	if cfg != nil {
		s.maxBatch = cfg.MaxBatchSize
	}
	seen := map[string]string{}
	for _, in := range md.Inputs {
		std := standardInput(in.Name)
		if std == "" {
			return nil, fmt.Errorf("input %q has no standard meaning (want input ids, attention mask or token type ids)", in.Name)
		}
		if prev, dup := seen[std]; dup {
			return nil, fmt.Errorf("inputs %q and %q both look like %s", prev, in.Name, std)
		}
		seen[std] = in.Name
		if in.Datatype != "INT64" && in.Datatype != "INT32" {
			return nil, fmt.Errorf("input %q has datatype %s; want INT64 or INT32", in.Name, in.Datatype)
		}
		s.inputs = append(s.inputs, binding{std: std, name: in.Name, dtype: in.Datatype, shape: in.Shape})
	}
	if _, ok := seen[adapters.InputIDs]; !ok {
		return nil, fmt.Errorf("no input ids among the model's inputs")
	}
	for _, out := range md.Outputs {
		std := standardOutput(out.Name, len(out.Shape))
		if std == "" {
			continue // e.g. pooler_output: not one the gateway uses
		}
		if _, dup := seen[std]; dup {
			continue // the first output that looks like it wins
		}
		if !floatType(out.Datatype) {
			return nil, fmt.Errorf("output %q has datatype %s; want FP32, FP16 or FP64", out.Name, out.Datatype)
		}
		seen[std] = out.Name
		s.outputs = append(s.outputs, binding{std: std, name: out.Name, dtype: out.Datatype, shape: out.Shape})
	}
	if len(s.outputs) == 0 {
		return nil, fmt.Errorf("no output looks like logits or last_hidden_state")
	}
	return s, nil
}

// standardInput maps the input names BERT exports use (HF: input_ids,
// attention_mask, token_type_ids; TF: input_ids, input_mask, segment_ids).
func standardInput(name string) string {
	n := strings.ToLower(name)
	switch {
	case strings.Contains(n, "mask"):
		return adapters.AttentionMask
	case strings.Contains(n, "type") || strings.Contains(n, "segment"):
		return adapters.TokenTypeIDs
	case strings.Contains(n, "ids") || strings.Contains(n, "input"):
		return adapters.InputIDs
	}
	return ""
}

// standardOutput maps an output by name, else by rank (batch dimension
// included): [batch, classes] is logits, [batch, seq, hidden] hidden states.
func standardOutput(name string, rank int) string {
	n := strings.ToLower(name)
	switch {
	case strings.Contains(n, "logit"):
		return adapters.Logits
	case strings.Contains(n, "hidden"):
		return adapters.LastHiddenState
	case strings.Contains(n, "pool"):
		return ""
	case rank == 2:
		return adapters.Logits
	case rank == 3:
		return adapters.LastHiddenState
	}
	return ""
}

// metadata reports the model under standard names.
func (s *modelSpec) metadata() adapters.Metadata {
	md := adapters.Metadata{Name: s.name, Version: s.version, Platform: s.platform, MaxBatchSize: s.maxBatch}
	for _, in := range s.inputs {
		md.Inputs = append(md.Inputs, adapters.TensorSpec{Name: in.std, DType: in.dtype, Shape: append([]int64(nil), in.shape...)})
	}
	for _, out := range s.outputs {
		md.Outputs = append(md.Outputs, adapters.TensorSpec{Name: out.std, DType: out.dtype, Shape: append([]int64(nil), out.shape...)})
	}
	return md
}

// requestedOutputs resolves standard output names; none means all.
func (s *modelSpec) requestedOutputs(names []string) ([]binding, error) {
	if len(names) == 0 {
		return s.outputs, nil
	}
	out := make([]binding, 0, len(names))
	for _, n := range names {
		b, ok := s.output(n)
		if !ok {
			return nil, adapters.Errorf(adapters.KindBadInput, "model %s has no output %q", s.name, n)
		}
		out = append(out, b)
	}
	return out, nil
}

func (s *modelSpec) output(std string) (binding, bool) {
	for _, b := range s.outputs {
		if b.std == std {
			return b, true
		}
	}
	return binding{}, false
}

// inTensor is one input of a call; values are converted to dtype on the wire.
type inTensor struct {
	name, dtype string
	shape       []int64
	values      []int64
}

// outTensor is one decoded output of a call.
type outTensor struct {
	shape []int64
	data  []float32
}

// inferCall is one request on the wire.
type inferCall struct {
	model, version string
	inputs         []inTensor
	outputs        []string // model output names
	binary         bool
}

func (s *modelSpec) buildCall(model, version string, b adapters.Batch, outputs []binding) (*inferCall, error) {
	call := &inferCall{model: model, version: version, binary: s.binary}
	shape := []int64{int64(b.Rows), int64(b.Len)}
	for _, in := range s.inputs {
		var v []int64
		switch in.std {
		case adapters.InputIDs:
			v = b.InputIDs
		case adapters.AttentionMask:
			v = b.AttentionMask
		case adapters.TokenTypeIDs:
			v = b.TokenTypeIDs
		}
		if in.dtype == "INT32" {
			if err := fitsInt32(v); err != nil {
				return nil, adapters.Errorf(adapters.KindBadInput, "input %s: %w", in.std, err)
			}
		}
		call.inputs = append(call.inputs, inTensor{name: in.name, dtype: in.dtype, shape: shape, values: v})
	}
	for _, o := range outputs {
		call.outputs = append(call.outputs, o.name)
	}
	return call, nil
}

// collect checks the server's outputs against the batch and renames them.
func (s *modelSpec) collect(got map[string]outTensor, b adapters.Batch, outputs []binding) (adapters.Outputs, error) {
	res := make(adapters.Outputs, len(outputs))
	for _, o := range outputs {
		t, ok := got[o.name]
		if !ok {
			return nil, adapters.Errorf(adapters.KindInternal, "response lacks output %q", o.name)
		}
		if err := checkOutputShape(o.std, t, b); err != nil {
			return nil, adapters.Errorf(adapters.KindInternal, "output %q: %w", o.name, err)
		}
		res[o.std] = adapters.Tensor{Shape: t.shape, Data: t.data}
	}
	return res, nil
}

func checkOutputShape(std string, t outTensor, b adapters.Batch) error {
	want := 2
	if std == adapters.LastHiddenState {
		want = 3
	}
	n := int64(1)
	for _, d := range t.shape {
		n *= d
	}
	switch {
	case len(t.shape) != want:
		return fmt.Errorf("shape %v has rank %d; want %d", t.shape, len(t.shape), want)
	case t.shape[0] != int64(b.Rows):
		return fmt.Errorf("shape %v has %d rows; want %d", t.shape, t.shape[0], b.Rows)
	case want == 3 && t.shape[1] != int64(b.Len):
		return fmt.Errorf("shape %v has length %d; want %d", t.shape, t.shape[1], b.Len)
	case n != int64(len(t.data)):
		return fmt.Errorf("shape %v needs %d values, got %d", t.shape, n, len(t.data))
	}
	return nil
}
