package kserve

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/infergate/infergate/adapters"
)

func newApp(models Models) *fiber.App {
	app := fiber.New()
	Mount(app, models)
	return app
}

type httpResult struct {
	status int
	header map[string]string
	body   []byte
}

func do(t *testing.T, app *fiber.App, method, path string, body []byte, header map[string]string) httpResult {
	t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := app.Test(req, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	h := map[string]string{}
	for k := range resp.Header {
		h[k] = resp.Header.Get(k)
	}
	return httpResult{status: resp.StatusCode, header: h, body: b}
}

// jsonEq compares two JSON documents by value.
func jsonEq(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("response %q is not JSON: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want %q is not JSON: %v", want, err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if !bytes.Equal(gb, wb) {
		t.Errorf("body = %s; want %s", gb, wb)
	}
}

func TestHTTPHealthAndMetadata(t *testing.T) {
	ready := newFakeModel()
	down := newFakeModel()
	down.notReady = true
	tests := []struct {
		name   string
		models fakeModels
		path   string
		status int
		want   string // JSON body; "" means no body check
	}{
		{"live", fakeModels{"langid": ready}, "/v2/health/live", 200, ""},
		{"ready", fakeModels{"langid": ready}, "/v2/health/ready", 200, ""},
		{"server not ready", fakeModels{"langid": ready, "other": down}, "/v2/health/ready", 400, ""},
		{"model ready", fakeModels{"langid": ready}, "/v2/models/langid/ready", 200, ""},
		{"model version ready", fakeModels{"langid": ready}, "/v2/models/langid/versions/1/ready", 200, ""},
		{"model not ready", fakeModels{"langid": down}, "/v2/models/langid/ready", 400, ""},
		{"server metadata", fakeModels{"langid": ready}, "/v2", 200,
			`{"name":"infergate","version":"dev","extensions":["binary_tensor_data","model_configuration"]}`},
		{"model metadata", fakeModels{"langid": ready}, "/v2/models/langid", 200,
			`{"name":"langid","versions":["1"],"platform":"onnxruntime_onnx",
			  "inputs":[{"name":"input_ids","datatype":"INT64","shape":[-1,-1]},
			            {"name":"attention_mask","datatype":"INT64","shape":[-1,-1]},
			            {"name":"token_type_ids","datatype":"INT64","shape":[-1,-1]}],
			  "outputs":[{"name":"logits","datatype":"FP32","shape":[-1,3]},
			             {"name":"last_hidden_state","datatype":"FP32","shape":[-1,-1,2]}]}`},
		{"model config", fakeModels{"langid": ready}, "/v2/models/langid/versions/1/config", 200,
			`{"name":"langid","platform":"onnxruntime_onnx","max_batch_size":0,
			  "input":[{"name":"input_ids","data_type":"TYPE_INT64","dims":[-1,-1]},
			           {"name":"attention_mask","data_type":"TYPE_INT64","dims":[-1,-1]},
			           {"name":"token_type_ids","data_type":"TYPE_INT64","dims":[-1,-1]}],
			  "output":[{"name":"logits","data_type":"TYPE_FP32","dims":[-1,3]},
			            {"name":"last_hidden_state","data_type":"TYPE_FP32","dims":[-1,-1,2]}]}`},
		{"unknown model", fakeModels{"langid": ready}, "/v2/models/nope", 404, `{"error":"unknown model \"nope\""}`},
		{"unknown version", fakeModels{"langid": ready}, "/v2/models/langid/versions/7", 404,
			`{"error":"model \"langid\" has no version \"7\" (serving \"1\")"}`},
		{"unknown route", fakeModels{"langid": ready}, "/v2/repository/index", 404,
			`{"error":"no KServe v2 route GET /v2/repository/index"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, newApp(tt.models), "GET", tt.path, nil, nil)
			if r.status != tt.status {
				t.Fatalf("GET %s = %d %s; want %d", tt.path, r.status, r.body, tt.status)
			}
			if tt.want != "" {
				jsonEq(t, r.body, tt.want)
			}
		})
	}
}

// TestHTTPInferProtocolExamples round-trips the inference examples of the
// KServe v2 protocol document, with the document's tensor names replaced by
// the ones a BERT model takes: an id echoed back, one requested output,
// tensor data flat and nested row-major, and the error object.
func TestHTTPInferProtocolExamples(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		status int
		want   string
	}{
		{
			name: "request with id and one output, flat data",
			body: `{"id":"42","inputs":[
				{"name":"input_ids","shape":[2,2],"datatype":"INT64","data":[1,2,3,4]},
				{"name":"attention_mask","shape":[2,2],"datatype":"INT64","data":[1,1,1,0]}],
				"outputs":[{"name":"logits"}]}`,
			status: 200,
			want: `{"model_name":"langid","id":"42","outputs":[
				{"name":"logits","datatype":"FP32","shape":[2,3],"data":[3,2,0,7,1,0]}]}`,
		},
		{
			name: "nested data, INT32, default outputs",
			body: `{"inputs":[
				{"name":"input_ids","shape":[2,2],"datatype":"INT32","data":[[1,2],[4,5]]},
				{"name":"token_type_ids","shape":[2,2],"datatype":"INT32","data":[[0,1],[0,0]]}]}`,
			status: 200,
			want: `{"model_name":"langid","outputs":[
				{"name":"logits","datatype":"FP32","shape":[2,3],"data":[3,2,1,9,2,0]},
				{"name":"last_hidden_state","datatype":"FP32","shape":[2,2,2],"data":[1.5,1,2.5,1,4.5,1,5.5,1]}]}`,
		},
		{
			name: "the document's own request: UINT32 and BOOL are not token ids",
			body: `{"id":"42","inputs":[
				{"name":"input0","shape":[2,2],"datatype":"UINT32","data":[1,2,3,4]},
				{"name":"input1","shape":[3],"datatype":"BOOL","data":[true]}],
				"outputs":[{"name":"output0"}]}`,
			status: 400,
			want:   `{"error":"input \"input0\": datatype UINT32 is not supported; send INT64 or INT32"}`,
		},
		{
			name:   "BOOL",
			body:   `{"inputs":[{"name":"attention_mask","shape":[1,1],"datatype":"BOOL","data":[true]}]}`,
			status: 400,
			want:   `{"error":"input \"attention_mask\": datatype BOOL is not supported; send INT64 or INT32"}`,
		},
		{
			name:   "BYTES",
			body:   `{"inputs":[{"name":"input_ids","shape":[1,1],"datatype":"BYTES","data":["hello"]}]}`,
			status: 400,
			want:   `{"error":"input \"input_ids\": datatype BYTES is not supported: send token ids (INT64 or INT32), tokenized client-side, or use /v1/classify for text"}`,
		},
		{
			name:   "too little data",
			body:   `{"inputs":[{"name":"input_ids","shape":[2,2],"datatype":"INT64","data":[1,2,3]}]}`,
			status: 400,
			want:   `{"error":"input \"input_ids\": shape needs 4 elements, data has 3"}`,
		},
		{
			name:   "floats are not ids",
			body:   `{"inputs":[{"name":"input_ids","shape":[1,2],"datatype":"INT64","data":[[1.5,2]]}]}`,
			status: 400,
			want:   `{"error":"input \"input_ids\": element 1.5 is not an integer"}`,
		},
		{
			name:   "INT32 overflow",
			body:   `{"inputs":[{"name":"input_ids","shape":[1,1],"datatype":"INT32","data":[3000000000]}]}`,
			status: 400,
			want:   `{"error":"input \"input_ids\": element 0 = 3000000000 overflows INT32"}`,
		},
		{
			name:   "shapes differ",
			body:   `{"inputs":[{"name":"input_ids","shape":[1,2],"datatype":"INT64","data":[1,2]},{"name":"attention_mask","shape":[2,1],"datatype":"INT64","data":[1,1]}]}`,
			status: 400,
			want:   `{"error":"input \"attention_mask\": shape [2 1] differs from input_ids shape [1 2]"}`,
		},
		{
			name:   "one-dimensional",
			body:   `{"inputs":[{"name":"input_ids","shape":[3],"datatype":"INT64","data":[1,2,3]}]}`,
			status: 400,
			want:   `{"error":"input \"input_ids\": shape [3] must be [batch, sequence length]"}`,
		},
		{
			name:   "no input_ids",
			body:   `{"inputs":[{"name":"attention_mask","shape":[1,1],"datatype":"INT64","data":[1]}]}`,
			status: 400,
			want:   `{"error":"input \"input_ids\" is required"}`,
		},
		{
			name:   "mask not 0/1",
			body:   `{"inputs":[{"name":"input_ids","shape":[1,1],"datatype":"INT64","data":[5]},{"name":"attention_mask","shape":[1,1],"datatype":"INT64","data":[2]}]}`,
			status: 400,
			want:   `{"error":"attention_mask[0] = 2; want 0 or 1"}`,
		},
		{
			name:   "negative id",
			body:   `{"inputs":[{"name":"input_ids","shape":[1,1],"datatype":"INT64","data":[-1]}]}`,
			status: 400,
			want:   `{"error":"input_ids[0] = -1 is not a token id"}`,
		},
		{
			name:   "unknown output",
			body:   `{"inputs":[{"name":"input_ids","shape":[1,1],"datatype":"INT64","data":[5]}],"outputs":[{"name":"pooler_output"}]}`,
			status: 400,
			want:   `{"error":"unknown output \"pooler_output\"; outputs are [logits last_hidden_state]"}`,
		},
		{
			name:   "output twice",
			body:   `{"inputs":[{"name":"input_ids","shape":[1,1],"datatype":"INT64","data":[5]}],"outputs":[{"name":"logits"},{"name":"logits"}]}`,
			status: 400,
			want:   `{"error":"output \"logits\" requested twice"}`,
		},
		{
			name:   "binary_data not a boolean",
			body:   `{"inputs":[{"name":"input_ids","shape":[1,1],"datatype":"INT64","data":[5]}],"outputs":[{"name":"logits","parameters":{"binary_data":"yes"}}]}`,
			status: 400,
			want:   `{"error":"parameter \"binary_data\" must be a boolean, got \"yes\""}`,
		},
		{
			name:   "input given twice",
			body:   `{"inputs":[{"name":"input_ids","shape":[1,1],"datatype":"INT64","data":[5]},{"name":"input_ids","shape":[1,1],"datatype":"INT64","data":[5]}]}`,
			status: 400,
			want:   `{"error":"input \"input_ids\" given twice"}`,
		},
		{
			name:   "not JSON",
			body:   `{"inputs":`,
			status: 400,
			want:   `{"error":"request JSON: unexpected end of JSON input"}`,
		},
		{
			name:   "huge shape",
			body:   `{"inputs":[{"name":"input_ids","shape":[4294967296,4294967296],"datatype":"INT64","data":[1]}]}`,
			status: 400,
			want:   `{"error":"input \"input_ids\": shape [4294967296 4294967296] exceeds 67108864 elements"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := newApp(fakeModels{"langid": newFakeModel()})
			r := do(t, app, "POST", "/v2/models/langid/infer", []byte(tt.body), map[string]string{"Content-Type": "application/json"})
			if r.status != tt.status {
				t.Fatalf("status = %d (%s); want %d", r.status, r.body, tt.status)
			}
			jsonEq(t, r.body, tt.want)
		})
	}
}

func TestHTTPInferModelErrors(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		status     int
		retryAfter bool
	}{
		{"unavailable", adapters.Errorf(adapters.KindUnavailable, "no ready replica"), 503, true},
		{"timeout", adapters.Errorf(adapters.KindTimeout, "deadline"), 504, false},
		{"bad input", adapters.Errorf(adapters.KindBadInput, "id beyond vocabulary"), 400, false},
		{"internal", errors.New("boom"), 500, false},
	}
	body := `{"inputs":[{"name":"input_ids","shape":[1,1],"datatype":"INT64","data":[5]}]}`
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newFakeModel()
			m.err = tt.err
			r := do(t, newApp(fakeModels{"langid": m}), "POST", "/v2/models/langid/infer", []byte(body), nil)
			if r.status != tt.status {
				t.Fatalf("status = %d; want %d", r.status, tt.status)
			}
			if got := r.header["Retry-After"] != ""; got != tt.retryAfter {
				t.Errorf("Retry-After present = %v; want %v", got, tt.retryAfter)
			}
			jsonEq(t, r.body, `{"error":`+strconv.Quote(tt.err.Error())+`}`)
		})
	}
}

// binaryBody builds a request of the binary tensor data extension.
func binaryBody(t *testing.T, head any, raws ...[]byte) ([]byte, map[string]string) {
	t.Helper()
	h, err := json.Marshal(head)
	if err != nil {
		t.Fatal(err)
	}
	body := append([]byte(nil), h...)
	for _, r := range raws {
		body = append(body, r...)
	}
	return body, map[string]string{"Content-Type": "application/octet-stream", headerLength: strconv.Itoa(len(h))}
}

func le64(v ...int64) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint64(b, uint64(x))
	}
	return b
}

func le32(v ...int32) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, uint32(x))
	}
	return b
}

// splitBinary parses a binary-extension response.
func splitBinary(t *testing.T, r httpResult) (inferResponse, []byte) {
	t.Helper()
	n, err := strconv.Atoi(r.header[headerLength])
	if err != nil || n > len(r.body) {
		t.Fatalf("%s = %q for a %d-byte body", headerLength, r.header[headerLength], len(r.body))
	}
	var resp inferResponse
	if err := json.Unmarshal(r.body[:n], &resp); err != nil {
		t.Fatalf("header JSON: %v", err)
	}
	return resp, r.body[n:]
}

func floats(b []byte) []float32 {
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

// TestHTTPBinaryRoundTrip sends every input dtype the project uses (INT64,
// INT32) as binary data and reads FP32 outputs back as binary, also mixed
// with JSON tensors in the same request and response.
func TestHTTPBinaryRoundTrip(t *testing.T) {
	ids := []int64{101, 7592, 102, 101, 2088, 0}
	mask := []int64{1, 1, 1, 1, 1, 0}
	tests := []struct {
		name       string
		head       map[string]any
		raws       [][]byte
		wantBinary []string // outputs that must come back binary, in order
		wantJSON   []string
	}{
		{
			name: "INT64 binary in, all binary out",
			head: map[string]any{
				"parameters": map[string]any{"binary_data_output": true},
				"inputs": []any{
					map[string]any{"name": "input_ids", "shape": []int{2, 3}, "datatype": "INT64", "parameters": map[string]any{"binary_data_size": 48}},
					map[string]any{"name": "attention_mask", "shape": []int{2, 3}, "datatype": "INT64", "parameters": map[string]any{"binary_data_size": 48}},
				},
			},
			raws:       [][]byte{le64(ids...), le64(mask...)},
			wantBinary: []string{"logits", "last_hidden_state"},
		},
		{
			name: "INT32 binary and JSON in, one output binary",
			head: map[string]any{
				"inputs": []any{
					map[string]any{"name": "input_ids", "shape": []int{2, 3}, "datatype": "INT32", "parameters": map[string]any{"binary_data_size": 24}},
					map[string]any{"name": "attention_mask", "shape": []int{2, 3}, "datatype": "INT64", "data": mask},
				},
				"outputs": []any{
					map[string]any{"name": "last_hidden_state", "parameters": map[string]any{"binary_data": true}},
					map[string]any{"name": "logits"},
				},
			},
			raws:       [][]byte{le32(101, 7592, 102, 101, 2088, 0)},
			wantBinary: []string{"last_hidden_state"},
			wantJSON:   []string{"logits"},
		},
	}
	wantLogits := []float32{101 + 7592 + 102, 3, 0, 101 + 2088, 2, 0}
	var wantHidden []float32
	for i := range ids {
		wantHidden = append(wantHidden, float32(ids[i])+0.5, float32(mask[i]))
	}
	want := map[string][]float32{"logits": wantLogits, "last_hidden_state": wantHidden}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newFakeModel()
			body, hdr := binaryBody(t, tt.head, tt.raws...)
			r := do(t, newApp(fakeModels{"langid": m}), "POST", "/v2/models/langid/versions/1/infer", body, hdr)
			if r.status != 200 {
				t.Fatalf("status = %d (%s)", r.status, r.body)
			}
			resp, rest := splitBinary(t, r)
			if resp.ModelVersion != "1" {
				t.Errorf("model_version = %q; want 1", resp.ModelVersion)
			}
			var gotBinary, gotJSON []string
			for _, o := range resp.Outputs {
				var got []float32
				if size, ok := o.Parameters["binary_data_size"]; ok {
					n := int(size.(float64))
					got, rest = floats(rest[:n]), rest[n:]
					gotBinary = append(gotBinary, o.Name)
				} else {
					got = o.Data
					gotJSON = append(gotJSON, o.Name)
				}
				if o.Datatype != "FP32" || !slices.Equal(got, want[o.Name]) {
					t.Errorf("output %s = %s %v; want FP32 %v", o.Name, o.Datatype, got, want[o.Name])
				}
			}
			if len(rest) != 0 {
				t.Errorf("%d bytes left over after the outputs", len(rest))
			}
			if strings.Join(gotBinary, ",") != strings.Join(tt.wantBinary, ",") || strings.Join(gotJSON, ",") != strings.Join(tt.wantJSON, ",") {
				t.Errorf("binary outputs %v, JSON outputs %v; want %v, %v", gotBinary, gotJSON, tt.wantBinary, tt.wantJSON)
			}
			if b := m.lastBatch(); !slices.Equal(b.InputIDs, ids) || !slices.Equal(b.AttentionMask, mask) || !slices.Equal(b.TokenTypeIDs, make([]int64, 6)) {
				t.Errorf("model got batch %+v", b)
			}
		})
	}
}

func TestHTTPBinaryErrors(t *testing.T) {
	in := func(size int) map[string]any {
		return map[string]any{"inputs": []any{map[string]any{"name": "input_ids", "shape": []int{1, 2}, "datatype": "INT64", "parameters": map[string]any{"binary_data_size": size}}}}
	}
	tests := []struct {
		name string
		head map[string]any
		raw  []byte
		hlen string // overrides the computed header length
		want string
	}{
		{"size beyond body", in(32), le64(1, 2), "", `input "input_ids": binary_data_size 32 exceeds the 16 binary bytes left`},
		{"size not the shape's", in(8), le64(1, 2), "", `input "input_ids": 2 INT64 elements need 16 bytes, got 8`},
		{"extra bytes", in(16), le64(1, 2, 3), "", `8 bytes after the binary inputs belong to no input`},
		{"bad header length", in(16), le64(1, 2), "99999", `Inference-Header-Content-Length "99999" does not fit a`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, hdr := binaryBody(t, tt.head, tt.raw)
			if tt.hlen != "" {
				hdr[headerLength] = tt.hlen
			}
			r := do(t, newApp(fakeModels{"langid": newFakeModel()}), "POST", "/v2/models/langid/infer", body, hdr)
			var e struct{ Error string }
			_ = json.Unmarshal(r.body, &e)
			if r.status != 400 || !strings.Contains(e.Error, tt.want) {
				t.Errorf("= %d %s; want 400 containing %q", r.status, r.body, tt.want)
			}
		})
	}
}
