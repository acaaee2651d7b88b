package triton

import (
	"context"
	"encoding/json"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/infergate/infergate/adapters"
)

func batchOf(rows, n int) adapters.Batch {
	b := adapters.Batch{Rows: rows, Len: n}
	for r := range rows {
		for i := range n {
			b.InputIDs = append(b.InputIDs, int64(100*r+i))
			b.AttentionMask = append(b.AttentionMask, int64(min(1, (i+r)%3)))
			b.TokenTypeIDs = append(b.TokenTypeIDs, 0)
		}
	}
	return b
}

// wantLogits is what stubTriton answers for b.
func wantLogits(b adapters.Batch) []float32 {
	var out []float32
	for r := range b.Rows {
		var a, m float32
		for i := r * b.Len; i < (r+1)*b.Len; i++ {
			a += float32(b.InputIDs[i])
			m += float32(b.AttentionMask[i])
		}
		out = append(out, a, m)
	}
	return out
}

func newClient(t *testing.T, url, model string) *Client {
	t.Helper()
	c, err := New(context.Background(), Options{URL: url, Model: model, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("New(%s) = %v", url, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestDiscoveryAndSplitting drives a TF-style model (input_word_ids,
// input_mask, segment_ids as INT32, max_batch_size 2): names map to the
// standard ones, ids go out as INT32, and a 5-row batch goes out as 2+2+1.
func TestDiscoveryAndSplitting(t *testing.T) {
	for _, outDType := range []string{"FP32", "FP16"} {
		t.Run(outDType, func(t *testing.T) {
			stub := &stubTriton{md: tfStyle(), maxBatch: 2, outDType: outDType}
			stub.md.Outputs[0].Datatype = outDType
			c := newClient(t, stub.serve(t), "bert")

			md, err := c.Metadata(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, in := range md.Inputs {
				names = append(names, in.Name+":"+in.DType)
			}
			want := []string{"input_ids:INT32", "attention_mask:INT32", "token_type_ids:INT32"}
			if !slices.Equal(names, want) || md.MaxBatchSize != 2 || md.Version != "3" ||
				len(md.Outputs) != 1 || md.Outputs[0].Name != adapters.Logits {
				t.Fatalf("Metadata() = %+v; want inputs %v, max batch 2, version 3, logits", md, want)
			}

			b := batchOf(5, 4)
			out, err := c.Infer(context.Background(), b)
			if err != nil {
				t.Fatal(err)
			}
			got := out[adapters.Logits]
			if !slices.Equal(got.Shape, []int64{5, 2}) || !slices.Equal(got.Data, wantLogits(b)) {
				t.Errorf("logits = %v %v; want [5 2] %v", got.Shape, got.Data, wantLogits(b))
			}
			if rows := stub.rowsPerCall(); !slices.Equal(rows, []int64{2, 2, 1}) && !slices.Equal(slices.Sorted(slices.Values(rows)), []int64{1, 2, 2}) {
				t.Errorf("rows per call = %v; want 2, 2, 1", rows)
			}
			for _, in := range stub.calls[0].GetInputs() {
				if in.GetDatatype() != "INT32" {
					t.Errorf("input %s sent as %s; want INT32", in.GetName(), in.GetDatatype())
				}
			}
		})
	}
}

func TestInt32Overflow(t *testing.T) {
	stub := &stubTriton{md: tfStyle(), outDType: "FP32"}
	c := newClient(t, stub.serve(t), "bert")
	b := batchOf(1, 2)
	b.InputIDs[1] = 1 << 40
	_, err := c.Infer(context.Background(), b)
	if adapters.KindOf(err) != adapters.KindBadInput || len(stub.rowsPerCall()) != 0 {
		t.Errorf("Infer(id 1<<40 to an INT32 model) = %v after %d calls; want bad input before any call", err, len(stub.rowsPerCall()))
	}
}

func TestNoConfigMeansNoLimit(t *testing.T) {
	stub := &stubTriton{md: tfStyle(), outDType: "FP32", noConfig: true}
	c := newClient(t, stub.serve(t), "bert")
	if _, err := c.Infer(context.Background(), batchOf(7, 3)); err != nil {
		t.Fatal(err)
	}
	if rows := stub.rowsPerCall(); !slices.Equal(rows, []int64{7}) {
		t.Errorf("rows per call = %v; want one call of 7", rows)
	}
}

// TestGRPCErrorKinds checks the server's status codes reach the pool as the
// kinds it retries on (or not).
func TestGRPCErrorKinds(t *testing.T) {
	tests := []struct {
		code      codes.Code
		want      adapters.Kind
		retryable bool
	}{
		{codes.Unavailable, adapters.KindUnavailable, true},
		{codes.ResourceExhausted, adapters.KindUnavailable, true},
		{codes.NotFound, adapters.KindUnavailable, true},
		{codes.DeadlineExceeded, adapters.KindTimeout, true},
		{codes.InvalidArgument, adapters.KindBadInput, false},
		{codes.Internal, adapters.KindInternal, false},
	}
	for _, tt := range tests {
		t.Run(tt.code.String(), func(t *testing.T) {
			stub := &stubTriton{md: tfStyle(), outDType: "FP32", err: status.Error(tt.code, "from the stub")}
			c := newClient(t, stub.serve(t), "bert")
			_, err := c.Infer(context.Background(), batchOf(1, 2))
			if adapters.KindOf(err) != tt.want || adapters.Retryable(err) != tt.retryable || !strings.Contains(err.Error(), "from the stub") {
				t.Errorf("Infer = %v (kind %v); want kind %v, retryable %v, the server's message", err, adapters.KindOf(err), tt.want, tt.retryable)
			}
		})
	}
}

// TestServerDown: New succeeds (connections are lazy, the pool probes), and
// every call fails fast as Unavailable, over both transports.
func TestServerDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now: connections are refused
	for _, url := range []string{"grpc://" + addr, "http://" + addr} {
		t.Run(url[:strings.Index(url, ":")], func(t *testing.T) {
			c := newClient(t, url, "langid")
			ctx := context.Background()
			start := time.Now()
			_, err := c.Infer(ctx, batchOf(1, 2))
			if adapters.KindOf(err) != adapters.KindUnavailable {
				t.Errorf("Infer = %v; want unavailable", err)
			}
			if err := c.Ready(ctx); adapters.KindOf(err) != adapters.KindUnavailable {
				t.Errorf("Ready = %v; want unavailable", err)
			}
			if _, err := c.Metadata(ctx); adapters.KindOf(err) != adapters.KindUnavailable {
				t.Errorf("Metadata = %v; want unavailable", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("failing took %v; want fast", d)
			}
		})
	}
}

func TestDeadlineHonoured(t *testing.T) {
	// A listener that accepts and never answers: only the deadline ends the call.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	for _, url := range []string{"grpc://" + l.Addr().String(), "http://" + l.Addr().String()} {
		c, err := New(context.Background(), Options{URL: url, Model: "m", Timeout: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err = c.Infer(ctx, batchOf(1, 2))
		cancel()
		if d := time.Since(start); !adapters.Retryable(err) || d > 2*time.Second {
			t.Errorf("%s: Infer = %v after %v; want a retryable error after about 100ms", url, err, d)
		}
		c.Close()
	}
}

func TestNewErrors(t *testing.T) {
	fp32Input := tfStyle()
	fp32Input.Inputs[0].Datatype = "FP32"
	noIDs := tfStyle()
	noIDs.Inputs = noIDs.Inputs[1:]
	unknownInput := tfStyle()
	unknownInput.Inputs[2].Name = "pixel_values"
	tests := []struct {
		name string
		stub *stubTriton
		url  string
		want string
	}{
		{"no scheme", nil, "localhost:8001", "scheme must be"},
		{"bad scheme", nil, "ftp://localhost:8001", "scheme must be"},
		{"no host", nil, "grpc://", "has no host"},
		{"FP32 input", &stubTriton{md: fp32Input}, "", "datatype FP32; want INT64 or INT32"},
		{"no ids", &stubTriton{md: noIDs}, "", "no input ids"},
		{"unknown input", &stubTriton{md: unknownInput}, "", `input "pixel_values" has no standard meaning`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := tt.url
			if tt.stub != nil {
				url = tt.stub.serve(t)
			}
			c, err := New(context.Background(), Options{URL: url, Model: "bert"})
			if err == nil {
				c.Close()
				t.Fatalf("New(%s) = nil error; want %q", url, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New(%s) = %v; want %q", url, err, tt.want)
			}
		})
	}
	if _, err := New(context.Background(), Options{URL: "grpc://localhost:1"}); err == nil {
		t.Error("New without a model name succeeded")
	}
}

// TestHTTPStatusKinds maps a server's HTTP errors to kinds and keeps its
// {"error": ...} message.
func TestHTTPStatusKinds(t *testing.T) {
	tests := []struct {
		status int
		msg    string
		want   adapters.Kind
	}{
		{400, "said the server", adapters.KindBadInput},
		{400, "Request for unknown model: 'langid' is not found, said the server", adapters.KindUnavailable},
		{413, "said the server", adapters.KindBadInput}, {404, "said the server", adapters.KindUnavailable},
		{429, "said the server", adapters.KindUnavailable}, {502, "said the server", adapters.KindUnavailable},
		{503, "said the server", adapters.KindUnavailable}, {504, "said the server", adapters.KindTimeout},
		{500, "said the server", adapters.KindInternal},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				_ = json.NewEncoder(w).Encode(map[string]string{"error": tt.msg})
			}))
			defer srv.Close()
			u, _ := url.Parse(srv.URL)
			h := newHTTP(u)
			defer h.close()
			_, err := h.infer(context.Background(), &inferCall{model: "m", inputs: []inTensor{{name: "input_ids", dtype: "INT64", shape: []int64{1, 1}, values: []int64{1}}}})
			if adapters.KindOf(err) != tt.want || !strings.Contains(err.Error(), "said the server") {
				t.Errorf("HTTP %d: err = %v; want kind %v with the server's message", tt.status, err, tt.want)
			}
		})
	}
}

func TestHalfToFloat(t *testing.T) {
	tests := []struct {
		give uint16
		want float32
	}{
		{0x0000, 0}, {0x3c00, 1}, {0xc000, -2}, {0x3555, 0.33325195}, {0x7bff, 65504},
		{0x0001, 5.9604645e-08}, {0x03ff, 6.097555e-05}, {0x7c00, float32(math.Inf(1))},
	}
	for _, tt := range tests {
		if got := halfToFloat(tt.give); got != tt.want {
			t.Errorf("halfToFloat(%#04x) = %g; want %g", tt.give, got, tt.want)
		}
	}
	if !math.IsNaN(float64(halfToFloat(0x7e00))) {
		t.Error("halfToFloat(NaN) is not NaN")
	}
}

func TestStandardNames(t *testing.T) {
	inputs := map[string]string{
		"input_ids": adapters.InputIDs, "attention_mask": adapters.AttentionMask, "token_type_ids": adapters.TokenTypeIDs,
		"input_word_ids": adapters.InputIDs, "input_mask": adapters.AttentionMask, "segment_ids": adapters.TokenTypeIDs,
		"pixel_values": "",
	}
	for give, want := range inputs {
		if got := standardInput(give); got != want {
			t.Errorf("standardInput(%q) = %q; want %q", give, got, want)
		}
	}
	outputs := []struct {
		name string
		rank int
		want string
	}{
		{"logits", 2, adapters.Logits}, {"last_hidden_state", 3, adapters.LastHiddenState},
		{"output_0", 2, adapters.Logits}, {"output_1", 3, adapters.LastHiddenState},
		{"pooler_output", 2, ""}, {"scalar", 1, ""},
	}
	for _, tt := range outputs {
		if got := standardOutput(tt.name, tt.rank); got != tt.want {
			t.Errorf("standardOutput(%q, %d) = %q; want %q", tt.name, tt.rank, got, tt.want)
		}
	}
}
