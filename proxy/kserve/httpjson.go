package kserve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// The JSON objects of the KServe v2 HTTP inference API.
type (
	// params holds an object's parameters; only the binary extension's
	// are interpreted, others are accepted and ignored as the protocol says.
	params map[string]json.RawMessage

	requestInput struct {
		Name       string          `json:"name"`
		Shape      []int64         `json:"shape"`
		Datatype   string          `json:"datatype"`
		Parameters params          `json:"parameters"`
		Data       json.RawMessage `json:"data"`
	}
	requestOutput struct {
		Name       string `json:"name"`
		Parameters params `json:"parameters"`
	}
	inferRequest struct {
		ID         string          `json:"id"`
		Parameters params          `json:"parameters"`
		Inputs     []requestInput  `json:"inputs"`
		Outputs    []requestOutput `json:"outputs"`
	}

	responseOutput struct {
		Name       string         `json:"name"`
		Datatype   string         `json:"datatype"`
		Shape      []int64        `json:"shape"`
		Parameters map[string]any `json:"parameters,omitempty"`
		Data       []float32      `json:"data,omitempty"`
	}
	inferResponse struct {
		ModelName    string           `json:"model_name"`
		ModelVersion string           `json:"model_version,omitempty"`
		ID           string           `json:"id,omitempty"`
		Outputs      []responseOutput `json:"outputs"`
	}

	tensorMetadata struct {
		Name     string  `json:"name"`
		Datatype string  `json:"datatype"`
		Shape    []int64 `json:"shape"`
	}
	modelMetadata struct {
		Name     string           `json:"name"`
		Versions []string         `json:"versions"`
		Platform string           `json:"platform"`
		Inputs   []tensorMetadata `json:"inputs"`
		Outputs  []tensorMetadata `json:"outputs"`
	}
	serverMetadata struct {
		Name       string   `json:"name"`
		Version    string   `json:"version"`
		Extensions []string `json:"extensions"`
	}

	// The model configuration in Triton's JSON form (snake_case fields,
	// TYPE_ dtypes, dims without the batch dimension when batching).
	configTensor struct {
		Name     string  `json:"name"`
		DataType string  `json:"data_type"`
		Dims     []int64 `json:"dims"`
	}
	modelConfig struct {
		Name         string         `json:"name"`
		Platform     string         `json:"platform"`
		MaxBatchSize int            `json:"max_batch_size"`
		Input        []configTensor `json:"input"`
		Output       []configTensor `json:"output"`
	}
)

// int64Param reads an integer parameter; ok is false when it is absent.
func (p params) int64Param(name string) (v int64, ok bool, err error) {
	raw, ok := p[name]
	if !ok {
		return 0, false, nil
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return 0, true, badRequest("parameter %q must be an integer, got %s", name, raw)
	}
	return v, true, nil
}

// boolParam reads a boolean parameter; absent is false.
func (p params) boolParam(name string) (bool, error) {
	raw, ok := p[name]
	if !ok {
		return false, nil
	}
	var v bool
	if err := json.Unmarshal(raw, &v); err != nil {
		return false, badRequest("parameter %q must be a boolean, got %s", name, raw)
	}
	return v, nil
}

// decodeJSONInts reads tensor data given flat or nested (row by row), as
// the protocol allows, checking every element is an integer of dtype.
func decodeJSONInts(name, dtype string, raw json.RawMessage, n int64) ([]int64, error) {
	if _, err := intSize(name, dtype); err != nil {
		return nil, err
	}
	if len(raw) == 0 {
		return nil, badRequest("input %q has neither data nor parameters.binary_data_size", name)
	}
	var flat []int64
	if err := json.Unmarshal(raw, &flat); err != nil {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var nested []any
		if err := dec.Decode(&nested); err != nil {
			return nil, badRequest("input %q: data must be an array of integers: %v", name, err)
		}
		flat = flat[:0]
		if err := flattenInts(nested, &flat, n); err != nil {
			return nil, badRequest("input %q: %v", name, err)
		}
	}
	if int64(len(flat)) != n {
		return nil, badRequest("input %q: shape needs %d elements, data has %d", name, n, len(flat))
	}
	if dtype == "INT32" {
		for i, v := range flat {
			if v < math.MinInt32 || v > math.MaxInt32 {
				return nil, badRequest("input %q: element %d = %d overflows INT32", name, i, v)
			}
		}
	}
	return flat, nil
}

func flattenInts(v []any, dst *[]int64, limit int64) error {
	for _, e := range v {
		switch e := e.(type) {
		case json.Number:
			i, err := strconv.ParseInt(e.String(), 10, 64)
			if err != nil {
				return fmt.Errorf("element %s is not an integer", e)
			}
			if int64(len(*dst)) >= limit {
				return fmt.Errorf("data has more than the %d elements the shape needs", limit)
			}
			*dst = append(*dst, i)
		case []any:
			if err := flattenInts(e, dst, limit); err != nil {
				return err
			}
		default:
			return fmt.Errorf("data holds %T, want integers", e)
		}
	}
	return nil
}
