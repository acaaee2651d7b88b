package triton

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/infergate/infergate/adapters"
)

// headerLength is the binary tensor data extension's header: the length of
// the JSON part of a body whose binary tensors follow it.
const headerLength = "Inference-Header-Content-Length"

// maxResponse bounds what the adapter reads from a server.
const maxResponse = 1 << 30

// httpTransport speaks KServe v2 over HTTP/REST with keep-alive connections.
type httpTransport struct {
	base  string // scheme://host[/prefix], no trailing slash
	hc    *http.Client
	conns *connTracker
}

func newHTTP(u *url.URL) *httpTransport {
	conns := &connTracker{dialer: &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}}
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         conns.dialContext,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     90 * time.Second,
	}
	base := u.Scheme + "://" + u.Host + strings.TrimRight(u.Path, "/")
	return &httpTransport{base: base, hc: &http.Client{Transport: tr}, conns: conns}
}

func (h *httpTransport) close() error {
	h.conns.closeAll()
	h.hc.CloseIdleConnections()
	return nil
}

func v2ModelPath(model, version string) string {
	p := "/v2/models/" + url.PathEscape(model)
	if version != "" {
		p += "/versions/" + url.PathEscape(version)
	}
	return p
}

// do sends one request and reads the whole body, so the connection goes
// back to the pool.
func (h *httpTransport) do(ctx context.Context, method, path string, body []byte, header http.Header) (*http.Response, []byte, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, h.base+path, r)
	if err != nil {
		return nil, nil, adapters.Wrap(adapters.KindInternal, err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := h.hc.Do(req)
	if err != nil {
		return nil, nil, transportError(ctx, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, nil, transportError(ctx, err)
	}
	return resp, data, nil
}

// statusError turns a non-2xx answer into an *adapters.Error carrying the
// server's {"error": "..."} message.
func statusError(resp *http.Response, body []byte) error {
	var e struct {
		Error string `json:"error"`
	}
	msg := strings.TrimSpace(string(body))
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		msg = e.Error
	}
	if len(msg) > 512 {
		msg = msg[:512] + "..."
	}
	kind := httpKind(resp.StatusCode)
	if resp.StatusCode == http.StatusBadRequest && strings.Contains(msg, "unknown model") {
		// Triton's HTTP frontend answers 400 "Request for unknown model"
		// when the model is not loaded there: another replica may have it.
		kind = adapters.KindUnavailable
	}
	return adapters.Errorf(kind, "HTTP %d: %s", resp.StatusCode, msg)
}

// probe answers a health endpoint: 200 is true, another 4xx false.
func (h *httpTransport) probe(ctx context.Context, path string) (bool, error) {
	resp, body, err := h.do(ctx, http.MethodGet, path, nil, nil)
	switch {
	case err != nil:
		return false, err
	case resp.StatusCode == http.StatusOK:
		return true, nil
	case resp.StatusCode >= 400 && resp.StatusCode < 500:
		return false, nil
	}
	return false, statusError(resp, body)
}

func (h *httpTransport) serverReady(ctx context.Context) (bool, error) {
	return h.probe(ctx, "/v2/health/ready")
}

func (h *httpTransport) modelReady(ctx context.Context, model, version string) (bool, error) {
	return h.probe(ctx, v2ModelPath(model, version)+"/ready")
}

func (h *httpTransport) getJSON(ctx context.Context, path string, v any) (int, error) {
	resp, body, err := h.do(ctx, http.MethodGet, path, nil, nil)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, statusError(resp, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return resp.StatusCode, adapters.Errorf(adapters.KindInternal, "GET %s: decode: %w", path, err)
	}
	return resp.StatusCode, nil
}

func (h *httpTransport) binaryTensors(ctx context.Context) (bool, error) {
	var md struct {
		Extensions []string `json:"extensions"`
	}
	if _, err := h.getJSON(ctx, "/v2", &md); err != nil {
		return false, err
	}
	return slices.Contains(md.Extensions, "binary_tensor_data"), nil
}

func (h *httpTransport) modelMetadata(ctx context.Context, model, version string) (*modelMetadata, error) {
	var md modelMetadata
	if _, err := h.getJSON(ctx, v2ModelPath(model, version), &md); err != nil {
		return nil, err
	}
	return &md, nil
}

func (h *httpTransport) modelConfig(ctx context.Context, model, version string) (*modelConfig, error) {
	var cfg modelConfig
	code, err := h.getJSON(ctx, v2ModelPath(model, version)+"/config", &cfg)
	if code == http.StatusNotFound || code == http.StatusMethodNotAllowed {
		return nil, nil // the metadata call found the model: no config endpoint here
	}
	if err != nil {
		return nil, err
	}
	return &cfg, nil
}

// The JSON shapes of a KServe v2 inference request and response.
type (
	jsonParams struct {
		BinaryDataSize *int64 `json:"binary_data_size,omitempty"`
		BinaryData     *bool  `json:"binary_data,omitempty"`
	}
	jsonInput struct {
		Name       string      `json:"name"`
		Shape      []int64     `json:"shape"`
		Datatype   string      `json:"datatype"`
		Parameters *jsonParams `json:"parameters,omitempty"`
		Data       []int64     `json:"data,omitempty"`
	}
	jsonRequestedOutput struct {
		Name       string      `json:"name"`
		Parameters *jsonParams `json:"parameters,omitempty"`
	}
	jsonRequest struct {
		Inputs  []jsonInput           `json:"inputs"`
		Outputs []jsonRequestedOutput `json:"outputs,omitempty"`
	}
	jsonOutput struct {
		Name       string          `json:"name"`
		Shape      []int64         `json:"shape"`
		Datatype   string          `json:"datatype"`
		Parameters *jsonParams     `json:"parameters,omitempty"`
		Data       json.RawMessage `json:"data,omitempty"`
	}
	jsonResponse struct {
		Outputs []jsonOutput `json:"outputs"`
	}
)

func (h *httpTransport) infer(ctx context.Context, call *inferCall) (map[string]outTensor, error) {
	var req jsonRequest
	var raw []byte
	for _, in := range call.inputs {
		ji := jsonInput{Name: in.name, Shape: in.shape, Datatype: in.dtype}
		if call.binary {
			size := int64(len(in.values) * intSize(in.dtype))
			ji.Parameters = &jsonParams{BinaryDataSize: &size}
			raw = appendInts(raw, in.dtype, in.values)
		} else {
			ji.Data = in.values // INT32 inputs were range-checked, numbers are numbers
		}
		req.Inputs = append(req.Inputs, ji)
	}
	yes := true
	for _, name := range call.outputs {
		o := jsonRequestedOutput{Name: name}
		if call.binary {
			o.Parameters = &jsonParams{BinaryData: &yes}
		}
		req.Outputs = append(req.Outputs, o)
	}
	head, err := json.Marshal(req)
	if err != nil {
		return nil, adapters.Wrap(adapters.KindInternal, err)
	}
	header := http.Header{"Content-Type": {"application/json"}}
	body := head
	if call.binary {
		header.Set("Content-Type", "application/octet-stream")
		header.Set(headerLength, strconv.Itoa(len(head)))
		body = append(head, raw...)
	}
	resp, data, err := h.do(ctx, http.MethodPost, v2ModelPath(call.model, call.version)+"/infer", body, header)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, statusError(resp, data)
	}
	out, err := decodeHTTPResponse(resp.Header.Get(headerLength), data)
	if err != nil {
		return nil, adapters.Errorf(adapters.KindInternal, "decode response: %w", err)
	}
	return out, nil
}

// decodeHTTPResponse reads a JSON response, or a JSON header followed by
// the binary outputs in the order of the outputs that carry binary_data_size.
func decodeHTTPResponse(hlen string, body []byte) (map[string]outTensor, error) {
	head, rest := body, []byte(nil)
	if hlen != "" {
		n, err := strconv.Atoi(hlen)
		if err != nil || n < 0 || n > len(body) {
			return nil, fmt.Errorf("%s %q does not fit a %d-byte body", headerLength, hlen, len(body))
		}
		head, rest = body[:n], body[n:]
	}
	var r jsonResponse
	if err := json.Unmarshal(head, &r); err != nil {
		return nil, err
	}
	out := make(map[string]outTensor, len(r.Outputs))
	for _, o := range r.Outputs {
		n := elements(o.Shape)
		var data []float32
		var err error
		if o.Parameters != nil && o.Parameters.BinaryDataSize != nil {
			size := *o.Parameters.BinaryDataSize
			if size < 0 || size > int64(len(rest)) {
				return nil, fmt.Errorf("output %q: binary_data_size %d exceeds the %d bytes left", o.Name, size, len(rest))
			}
			data, err = decodeFloats(o.Datatype, rest[:size], n)
			rest = rest[size:]
		} else {
			data, err = decodeJSONFloats(o.Data, n)
		}
		if err != nil {
			return nil, fmt.Errorf("output %q: %w", o.Name, err)
		}
		out[o.Name] = outTensor{shape: o.Shape, data: data}
	}
	return out, nil
}

// decodeJSONFloats reads tensor data given flat, as servers send it, or
// nested row by row, which the protocol also allows.
func decodeJSONFloats(raw json.RawMessage, n int64) ([]float32, error) {
	var flat []float32
	if err := json.Unmarshal(raw, &flat); err != nil {
		var nested []any
		if err := json.Unmarshal(raw, &nested); err != nil {
			return nil, fmt.Errorf("data: %w", err)
		}
		flat = flat[:0]
		if err := flattenFloats(nested, &flat); err != nil {
			return nil, err
		}
	}
	if int64(len(flat)) != n {
		return nil, fmt.Errorf("shape needs %d values, data has %d", n, len(flat))
	}
	return flat, nil
}

func flattenFloats(v []any, dst *[]float32) error {
	for _, e := range v {
		switch e := e.(type) {
		case float64:
			*dst = append(*dst, float32(e))
		case []any:
			if err := flattenFloats(e, dst); err != nil {
				return err
			}
		default:
			return fmt.Errorf("data holds %T, want numbers", e)
		}
	}
	return nil
}
