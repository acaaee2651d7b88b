package kserve

import "github.com/infergate/infergate/adapters"

// describe is the model metadata the frontend serves: INT64 inputs (INT32
// is accepted too) and FP32 outputs under the standard names.
func describe(name string, md adapters.Metadata) modelMetadata {
	m := modelMetadata{Name: name, Versions: []string{versionOf(md)}, Platform: md.Platform}
	for _, in := range servedInputs(md) {
		m.Inputs = append(m.Inputs, tensorMetadata{Name: in.Name, Datatype: "INT64", Shape: in.Shape})
	}
	for _, out := range md.Outputs {
		m.Outputs = append(m.Outputs, tensorMetadata{Name: out.Name, Datatype: "FP32", Shape: out.Shape})
	}
	return m
}

// servedInputs are the model's inputs, or the standard three when the
// runtime reports none; shapes default to [-1, -1].
func servedInputs(md adapters.Metadata) []adapters.TensorSpec {
	if len(md.Inputs) != 0 {
		return md.Inputs
	}
	var s []adapters.TensorSpec
	for _, n := range standardInputs() {
		s = append(s, adapters.TensorSpec{Name: n, DType: "INT64", Shape: []int64{-1, -1}})
	}
	return s
}

// configOf renders Triton's model configuration: with max_batch_size > 0
// the dims leave out the batch dimension.
func configOf(name string, md adapters.Metadata) modelConfig {
	cfg := modelConfig{Name: name, Platform: md.Platform, MaxBatchSize: md.MaxBatchSize}
	dims := func(shape []int64) []int64 {
		if md.MaxBatchSize > 0 && len(shape) > 0 {
			return shape[1:]
		}
		return shape
	}
	for _, in := range servedInputs(md) {
		cfg.Input = append(cfg.Input, configTensor{Name: in.Name, DataType: "TYPE_INT64", Dims: dims(in.Shape)})
	}
	for _, out := range md.Outputs {
		cfg.Output = append(cfg.Output, configTensor{Name: out.Name, DataType: "TYPE_FP32", Dims: dims(out.Shape)})
	}
	return cfg
}
