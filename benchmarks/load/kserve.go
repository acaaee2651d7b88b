package load

import (
	"encoding/json"
	"fmt"
	"net/url"
)

// Encoder tokenizes one text for targets that take token ids. It is the
// only thing the engine needs from a tokenizer; cmd adapts the real one.
type Encoder interface {
	Encode(text string) (ids, typeIDs []int32, err error)
}

// KServeOptions configures a KServe v2 (Triton) HTTP infer target.
type KServeOptions struct {
	Model   string
	Version string // "" lets the server choose
	// Encoder, when set, sends padded input_ids, attention_mask and
	// token_type_ids INT64 tensors (a BERT model behind Triton or the
	// gateway's own KServe frontend). When nil, the texts go as one BYTES
	// tensor named TextInput, for models that tokenize server-side.
	Encoder   Encoder
	TextInput string // "" means "TEXT"
	// Outputs to request; empty means the server's default (all).
	Outputs []string
}

type kserveTensor struct {
	Name     string  `json:"name"`
	Shape    []int64 `json:"shape"`
	Datatype string  `json:"datatype"`
	Data     any     `json:"data"`
}

type kserveOutput struct {
	Name string `json:"name"`
}

type kserveRequest struct {
	Inputs  []kserveTensor `json:"inputs"`
	Outputs []kserveOutput `json:"outputs,omitempty"`
}

// KServe targets POST {base}/v2/models/{model}[/versions/{v}]/infer with the
// JSON tensor encoding of the KServe v2 protocol.
func KServe(base string, o KServeOptions) (*HTTPTarget, error) {
	if o.Model == "" {
		return nil, fmt.Errorf("kserve target: model name is required")
	}
	path := "/v2/models/" + url.PathEscape(o.Model)
	if o.Version != "" {
		path += "/versions/" + url.PathEscape(o.Version)
	}
	u, err := joinURL(base, path+"/infer")
	if err != nil {
		return nil, err
	}
	if o.TextInput == "" {
		o.TextInput = "TEXT"
	}
	var outs []kserveOutput
	for _, name := range o.Outputs {
		outs = append(outs, kserveOutput{Name: name})
	}
	body := func(texts []string) ([]byte, error) {
		req := kserveRequest{Outputs: outs}
		if o.Encoder == nil {
			req.Inputs = []kserveTensor{{Name: o.TextInput, Shape: []int64{int64(len(texts))}, Datatype: "BYTES", Data: texts}}
		} else {
			in, err := tokenTensors(o.Encoder, texts)
			if err != nil {
				return nil, err
			}
			req.Inputs = in
		}
		return json.Marshal(req)
	}
	return &HTTPTarget{Name: "kserve " + o.Model, URL: u, Body: body}, nil
}

// tokenTensors encodes texts and pads them to the longest one.
func tokenTensors(enc Encoder, texts []string) ([]kserveTensor, error) {
	ids := make([][]int32, len(texts))
	types := make([][]int32, len(texts))
	longest := 0
	for i, t := range texts {
		var err error
		ids[i], types[i], err = enc.Encode(t)
		if err != nil {
			return nil, fmt.Errorf("encode text %d: %w", i, err)
		}
		longest = max(longest, len(ids[i]))
	}
	n := len(texts) * longest
	flatIDs, mask, flatTypes := make([]int64, n), make([]int64, n), make([]int64, n)
	for i := range texts {
		for j, id := range ids[i] {
			flatIDs[i*longest+j] = int64(id)
			mask[i*longest+j] = 1
			if j < len(types[i]) {
				flatTypes[i*longest+j] = int64(types[i][j])
			}
		}
	}
	shape := []int64{int64(len(texts)), int64(longest)}
	return []kserveTensor{
		{Name: "input_ids", Shape: shape, Datatype: "INT64", Data: flatIDs},
		{Name: "attention_mask", Shape: shape, Datatype: "INT64", Data: mask},
		{Name: "token_type_ids", Shape: shape, Datatype: "INT64", Data: flatTypes},
	}, nil
}
