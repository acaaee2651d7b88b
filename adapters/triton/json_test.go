package triton

import (
	"context"
	"net/url"
	"slices"
	"testing"

	"github.com/infergate/infergate/adapters"
)

// TestHTTPJSONTensors sends the same batch with JSON tensors, as the adapter
// does for servers without the binary extension, and with binary ones: the
// outputs must be identical (float32 survives JSON exactly).
func TestHTTPJSONTensors(t *testing.T) {
	srv := startReference(t)
	u, err := url.Parse(srv.httpURL)
	if err != nil {
		t.Fatal(err)
	}
	h := newHTTP(u)
	defer h.close()
	ctx := context.Background()
	md, err := h.modelMetadata(ctx, "langid", "")
	if err != nil {
		t.Fatal(err)
	}
	spec, err := newModelSpec(md, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	b := adapters.Batch{Rows: 2, Len: 4,
		InputIDs:      []int64{101, 7592, 2088, 102, 101, 2021, 102, 0},
		AttentionMask: []int64{1, 1, 1, 1, 1, 1, 1, 0},
		TokenTypeIDs:  make([]int64, 8)}
	var got [2]map[string]outTensor
	for i, binary := range []bool{false, true} {
		spec.binary = binary
		call, err := spec.buildCall("langid", "", b, spec.outputs)
		if err != nil {
			t.Fatal(err)
		}
		if got[i], err = h.infer(ctx, call); err != nil {
			t.Fatalf("infer(binary=%v) = %v", binary, err)
		}
	}
	for name, j := range got[0] {
		bin := got[1][name]
		if !slices.Equal(j.shape, bin.shape) || !slices.Equal(j.data, bin.data) || len(j.data) == 0 {
			t.Errorf("output %s: JSON %v (%d values) != binary %v (%d values)", name, j.shape, len(j.data), bin.shape, len(bin.data))
		}
	}
	if len(got[0]) != 2 {
		t.Errorf("got outputs %v; want logits and last_hidden_state", len(got[0]))
	}
}

func TestDecodeHTTPResponse(t *testing.T) {
	tests := []struct {
		name, hlen, body string
		want             []float32
		wantErr          bool
	}{
		{"flat", "", `{"outputs":[{"name":"o","datatype":"FP32","shape":[2,2],"data":[1,2,3,4.5]}]}`, []float32{1, 2, 3, 4.5}, false},
		{"nested", "", `{"outputs":[{"name":"o","datatype":"FP32","shape":[2,2],"data":[[1,2],[3,4.5]]}]}`, []float32{1, 2, 3, 4.5}, false},
		{"binary", "94", `{"outputs":[{"name":"o","datatype":"FP32","shape":[1,1],"parameters":{"binary_data_size":4}}]}` + "\x00\x00\x80\x3f", []float32{1}, false},
		{"short data", "", `{"outputs":[{"name":"o","datatype":"FP32","shape":[2,2],"data":[1,2,3]}]}`, nil, true},
		{"binary size beyond body", "94", `{"outputs":[{"name":"o","datatype":"FP32","shape":[1,1],"parameters":{"binary_data_size":8}}]}` + "\x00\x00\x80\x3f", nil, true},
		{"header length beyond body", "999", `{}`, nil, true},
		{"strings", "", `{"outputs":[{"name":"o","datatype":"FP32","shape":[1,1],"data":["x"]}]}`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeHTTPResponse(tt.hlen, []byte(tt.body))
			if (err != nil) != tt.wantErr {
				t.Fatalf("decodeHTTPResponse = %v, %v; want error %v", got, err, tt.wantErr)
			}
			if !tt.wantErr && !slices.Equal(got["o"].data, tt.want) {
				t.Errorf("data = %v; want %v", got["o"].data, tt.want)
			}
		})
	}
}
