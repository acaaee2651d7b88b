package kserve

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/infergate/infergate/adapters"
)

// headerLength is the binary tensor data extension's header: the length of
// the JSON part of a body whose binary tensors follow it.
const headerLength = "Inference-Header-Content-Length"

// Mount adds the KServe v2 HTTP routes (/v2, /v2/health/*, /v2/models/...)
// to r. Errors are answered as {"error": "..."}, the protocol's form.
func Mount(r fiber.Router, models Models) {
	h := &httpHandler{models: models}
	v2 := r.Group("/v2")
	v2.Get("/", h.server)
	v2.Get("/health/live", h.live)
	v2.Get("/health/ready", h.ready)
	for _, p := range []string{"/models/:model", "/models/:model/versions/:version"} {
		v2.Get(p, h.metadata)
		v2.Get(p+"/ready", h.modelReady)
		v2.Get(p+"/config", h.config)
		v2.Post(p+"/infer", h.infer)
	}
	v2.All("/*", func(c *fiber.Ctx) error {
		return writeError(c, notFound("no KServe v2 route %s %s", c.Method(), c.Path()))
	})
}

type httpHandler struct{ models Models }

func writeError(c *fiber.Ctx, err error) error {
	code := statusOf(err)
	if code == http.StatusServiceUnavailable {
		c.Set(fiber.HeaderRetryAfter, "1")
	}
	return c.Status(code).JSON(fiber.Map{"error": err.Error()})
}

func (h *httpHandler) server(c *fiber.Ctx) error {
	return c.JSON(serverMetadata{Name: serverName, Version: serverVersion(), Extensions: extensions()})
}

func (h *httpHandler) live(c *fiber.Ctx) error { return c.SendStatus(http.StatusOK) }

// ready answers 200 when every model is ready and 400 otherwise: the
// protocol's false is a 4xx.
func (h *httpHandler) ready(c *fiber.Ctx) error {
	if allReady(h.models) {
		return c.SendStatus(http.StatusOK)
	}
	return c.SendStatus(http.StatusBadRequest)
}

// target is the model (and, if the path names one, version) of a request.
type target struct {
	name, version string
	model         Model
}

func (h *httpHandler) target(c *fiber.Ctx) (target, error) {
	name, err := url.PathUnescape(c.Params("model"))
	if err != nil {
		return target{}, badRequest("model name: %v", err)
	}
	version, err := url.PathUnescape(c.Params("version"))
	if err != nil {
		return target{}, badRequest("model version: %v", err)
	}
	return resolve(c.UserContext(), h.models, name, version)
}

// resolve finds a model and checks the version when one is named.
func resolve(ctx context.Context, models Models, name, version string) (target, error) {
	m, ok := models.Model(name)
	if !ok {
		return target{}, notFound("unknown model %q", name)
	}
	t := target{name: name, version: version, model: m}
	if version == "" {
		return t, nil
	}
	md, err := m.Metadata(ctx)
	if err != nil {
		return target{}, err
	}
	if v := versionOf(md); v != version {
		return target{}, notFound("model %q has no version %q (serving %q)", name, version, v)
	}
	return t, nil
}

func (h *httpHandler) metadata(c *fiber.Ctx) error {
	t, err := h.target(c)
	if err != nil {
		return writeError(c, err)
	}
	md, err := t.model.Metadata(c.UserContext())
	if err != nil {
		return writeError(c, err)
	}
	return c.JSON(describe(t.name, md))
}

func (h *httpHandler) modelReady(c *fiber.Ctx) error {
	t, err := h.target(c)
	if err != nil {
		return writeError(c, err)
	}
	if t.model.Ready() {
		return c.SendStatus(http.StatusOK)
	}
	return c.SendStatus(http.StatusBadRequest)
}

func (h *httpHandler) config(c *fiber.Ctx) error {
	t, err := h.target(c)
	if err != nil {
		return writeError(c, err)
	}
	md, err := t.model.Metadata(c.UserContext())
	if err != nil {
		return writeError(c, err)
	}
	return c.JSON(configOf(t.name, md))
}

func (h *httpHandler) infer(c *fiber.Ctx) error {
	t, err := h.target(c)
	if err != nil {
		return writeError(c, err)
	}
	req, err := decodeHTTPInfer(c.Body(), c.Get(headerLength))
	if err != nil {
		return writeError(c, err)
	}
	out, err := t.model.Infer(c.UserContext(), req.batch)
	if err != nil {
		return writeError(c, err)
	}
	names, err := outputOrder(req.batch.Outputs, out)
	if err != nil {
		return writeError(c, adapters.Wrap(adapters.KindInternal, err))
	}
	resp := inferResponse{ModelName: t.name, ModelVersion: t.version, ID: req.id}
	var raw []byte
	for _, name := range names {
		o := responseOutput{Name: name, Datatype: "FP32", Shape: out[name].Shape}
		if req.binaryOutput(name) {
			o.Parameters = map[string]any{"binary_data_size": 4 * len(out[name].Data)}
			raw = appendFloats(raw, out[name].Data)
		} else {
			o.Data = out[name].Data
		}
		resp.Outputs = append(resp.Outputs, o)
	}
	head, err := json.Marshal(resp)
	if err != nil { // NaN or Inf in an output: JSON cannot carry them
		return writeError(c, adapters.Errorf(adapters.KindInternal, "encode response: %v; request binary outputs", err))
	}
	if raw == nil {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(head)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEOctetStream)
	c.Set(headerLength, strconv.Itoa(len(head)))
	return c.Send(append(head, raw...))
}

// httpInfer is a decoded HTTP inference request.
type httpInfer struct {
	id        string
	batch     adapters.Batch
	binaryAll bool            // parameters.binary_data_output
	binary    map[string]bool // each output's parameters.binary_data, when given
}

// binaryOutput reports whether output name goes back as binary data: its
// own binary_data parameter wins over the request's binary_data_output.
func (r httpInfer) binaryOutput(name string) bool {
	if b, ok := r.binary[name]; ok {
		return b
	}
	return r.binaryAll
}

// decodeHTTPInfer parses a JSON body, or a JSON header of hlen bytes followed
// by the binary inputs in the order of the inputs with binary_data_size.
func decodeHTTPInfer(body []byte, hlen string) (httpInfer, error) {
	head, rest := body, []byte(nil)
	if hlen != "" {
		n, err := strconv.Atoi(hlen)
		if err != nil || n < 0 || n > len(body) {
			return httpInfer{}, badRequest("%s %q does not fit a %d-byte body", headerLength, hlen, len(body))
		}
		head, rest = body[:n], body[n:]
	}
	var req inferRequest
	if err := json.Unmarshal(head, &req); err != nil {
		return httpInfer{}, badRequest("request JSON: %v", err)
	}
	if len(req.Inputs) == 0 {
		return httpInfer{}, badRequest("request has no inputs")
	}
	inputs := make([]inputTensor, 0, len(req.Inputs))
	for _, in := range req.Inputs {
		n, err := checkShape(in.Name, in.Shape)
		if err != nil {
			return httpInfer{}, err
		}
		size, binary, err := in.Parameters.int64Param("binary_data_size")
		if err != nil {
			return httpInfer{}, err
		}
		var vals []int64
		if binary {
			if len(in.Data) != 0 {
				return httpInfer{}, badRequest("input %q has both data and binary_data_size", in.Name)
			}
			if size < 0 || size > int64(len(rest)) {
				return httpInfer{}, badRequest("input %q: binary_data_size %d exceeds the %d binary bytes left", in.Name, size, len(rest))
			}
			vals, err = decodeRaw(in.Name, in.Datatype, rest[:size], n)
			rest = rest[size:]
		} else {
			vals, err = decodeJSONInts(in.Name, in.Datatype, in.Data, n)
		}
		if err != nil {
			return httpInfer{}, err
		}
		inputs = append(inputs, inputTensor{name: in.Name, shape: in.Shape, vals: vals})
	}
	if len(rest) != 0 {
		return httpInfer{}, badRequest("%d bytes after the binary inputs belong to no input", len(rest))
	}
	r := httpInfer{id: req.ID, binary: map[string]bool{}}
	var err error
	if r.binaryAll, err = req.Parameters.boolParam("binary_data_output"); err != nil {
		return httpInfer{}, err
	}
	var outputs []string
	for _, o := range req.Outputs {
		outputs = append(outputs, o.Name)
		if _, set := o.Parameters["binary_data"]; set {
			if r.binary[o.Name], err = o.Parameters.boolParam("binary_data"); err != nil {
				return httpInfer{}, err
			}
		}
	}
	r.batch, err = buildBatch(inputs, outputs)
	return r, err
}
