package proxy

import (
	"context"

	"github.com/gofiber/fiber/v2"
	"go.uber.org/zap"

	"github.com/infergate/infergate/tokenizer"
)

const localInfer = "infergate.infer"

// infer is the shared path of every model route: pin the generation, pick
// the model, check the inputs, run them, and set the timing headers.
func (s *Server) infer(c *fiber.Ctx, model string, t task, ins []input, opts runOptions) (*pipeline, []textResult, error) {
	g, release, err := s.acquire()
	if err != nil {
		return nil, nil, err
	}
	defer release()
	p, err := g.pipeline(model)
	if err != nil {
		return nil, nil, err
	}
	c.Locals(localModel, p.name)
	c.Locals(localInfer, true)
	c.Locals(localTexts, len(ins))
	if err := p.supports(t); err != nil {
		return nil, nil, err
	}
	if err := checkInputs(ins, g.cfg.Server.MaxInputs); err != nil {
		return nil, nil, err
	}
	if opts.Pooling == "" {
		opts.Pooling = p.pooling
	}
	ctx, cancel := context.WithCancel(c.UserContext())
	defer cancel()
	defer watchClient(c.Context().Conn(), cancel)()
	results, err := p.runAll(ctx, t, ins, opts)
	if err != nil {
		return nil, nil, err
	}
	s.timingHeaders(c, p.name, results)
	return p, results, nil
}

// timingHeaders sets TEI-style headers in milliseconds: tokenization summed
// over the request's texts, queue and inference of the slowest text, the
// rows of the largest batch the texts ran in, and x-cache "hit" only when
// every text came from the cache.
func (s *Server) timingHeaders(c *fiber.Ctx, model string, rs []textResult) {
	var tm timing
	hit := true
	route := routeLabel(c)
	for _, r := range rs {
		if r.Tier == "" {
			hit = false
			s.metrics.duration.WithLabelValues(route, model, "tokenize").Observe(r.Timing.Tokenize.Seconds())
			s.metrics.duration.WithLabelValues(route, model, "queue").Observe(r.Timing.Queue.Seconds())
			s.metrics.duration.WithLabelValues(route, model, "inference").Observe(r.Timing.Inference.Seconds())
		}
		tm.Tokenize += r.Timing.Tokenize
		tm.Queue = max(tm.Queue, r.Timing.Queue)
		tm.Inference = max(tm.Inference, r.Timing.Inference)
		tm.BatchRows = max(tm.BatchRows, r.Timing.BatchRows)
	}
	c.Set("x-tokenization-time", msString(tm.Tokenize))
	c.Set("x-queue-time", msString(tm.Queue))
	c.Set("x-inference-time", msString(tm.Inference))
	c.Set("x-batch-size", itoa(tm.BatchRows))
	if hit {
		c.Set("x-cache", "hit")
	} else {
		c.Set("x-cache", "miss")
	}
}

type usage struct {
	Tokens int `json:"tokens"`
}

func tokensOf(rs []textResult) int {
	n := 0
	for _, r := range rs {
		n += r.Tokens
	}
	return n
}

// POST /v1/classify {model, inputs, top_k?, truncate?}
type classifyRequest struct {
	Model    string `json:"model"`
	Inputs   texts  `json:"inputs"`
	TopK     *int   `json:"top_k"`
	Truncate *bool  `json:"truncate"`
}

type classifyResult struct {
	Label string       `json:"label"`
	Score float32      `json:"score"`
	Top   []labelScore `json:"top"`
}

type classifyResponse struct {
	Model   string           `json:"model"`
	Results []classifyResult `json:"results"`
	Usage   usage            `json:"usage"`
}

const defaultTopK = 5

func (s *Server) classify(c *fiber.Ctx) error {
	var req classifyRequest
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	topK := defaultTopK
	if req.TopK != nil {
		if *req.TopK < 1 {
			return badRequest("invalid_top_k", "top_k must be at least 1, got %d", *req.TopK)
		}
		topK = *req.TopK
	}
	p, rs, err := s.infer(c, req.Model, taskClassify, fromTexts(req.Inputs), runOptions{Truncate: boolOr(req.Truncate, true)})
	if err != nil {
		return err
	}
	out := classifyResponse{Model: p.name, Results: make([]classifyResult, len(rs)), Usage: usage{tokensOf(rs)}}
	for i, r := range rs {
		all := ranked(softmax(r.Vec), p.labels)
		out.Results[i] = classifyResult{Label: all[0].Label, Score: all[0].Score, Top: all[:min(topK, len(all))]}
	}
	return c.JSON(out)
}

// POST /v1/embed {model, inputs, pooling?, normalize?, truncate?}
type embedRequest struct {
	Model     string `json:"model"`
	Inputs    texts  `json:"inputs"`
	Pooling   string `json:"pooling"`
	Normalize *bool  `json:"normalize"`
	Truncate  *bool  `json:"truncate"`
}

type embedResponse struct {
	Model      string      `json:"model"`
	Embeddings [][]float32 `json:"embeddings"`
	Usage      usage       `json:"usage"`
}

func (s *Server) embed(c *fiber.Ctx) error {
	var req embedRequest
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	if req.Pooling != "" && req.Pooling != "cls" && req.Pooling != "mean" {
		return badRequest("invalid_pooling", "pooling must be cls or mean, got %q", req.Pooling)
	}
	p, rs, err := s.infer(c, req.Model, taskEmbed, fromTexts(req.Inputs),
		runOptions{Truncate: boolOr(req.Truncate, true), Pooling: req.Pooling})
	if err != nil {
		return err
	}
	normalize := boolOr(req.Normalize, p.normalize)
	out := embedResponse{Model: p.name, Embeddings: make([][]float32, len(rs)), Usage: usage{tokensOf(rs)}}
	for i, r := range rs {
		out.Embeddings[i] = shapeVector(r.Vec, 0, normalize)
	}
	return c.JSON(out)
}

// POST /v1/tokenize {model, inputs, text_pair?, truncate?} ->
// [{ids, type_ids, tokens, offsets}], offsets in code points.
type tokenizeRequest struct {
	Model    string `json:"model"`
	Inputs   texts  `json:"inputs"`
	TextPair texts  `json:"text_pair"`
	Truncate bool   `json:"truncate"`
}

type tokenized struct {
	IDs     []int32  `json:"ids"`
	TypeIDs []int32  `json:"type_ids"`
	Tokens  []string `json:"tokens"`
	Offsets [][2]int `json:"offsets"`
}

func (s *Server) tokenize(c *fiber.Ctx) error {
	var req tokenizeRequest
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	ins := fromTexts(req.Inputs)
	switch {
	case req.TextPair == nil:
	case len(req.TextPair) == 1:
		for i := range ins {
			ins[i].Pair, ins[i].HasPair = req.TextPair[0], true
		}
	case len(req.TextPair) == len(ins):
		for i := range ins {
			ins[i].Pair, ins[i].HasPair = req.TextPair[i], true
		}
	default:
		return badRequest("invalid_text_pair", "text_pair has %d entries for %d inputs; send one, or one per input", len(req.TextPair), len(ins))
	}
	encs, _, err := s.encodeOnly(c, req.Model, ins, req.Truncate)
	if err != nil {
		return err
	}
	out := make([]tokenized, len(encs))
	for i, e := range encs {
		out[i] = tokenized{IDs: e.IDs, TypeIDs: e.TypeIDs, Tokens: e.Tokens, Offsets: e.Offsets}
	}
	return c.JSON(out)
}

// encodeOnly tokenizes without running the model (the tokenize routes).
func (s *Server) encodeOnly(c *fiber.Ctx, model string, ins []input, truncate bool) ([]tokenizer.Encoding, *pipeline, error) {
	g, release, err := s.acquire()
	if err != nil {
		return nil, nil, err
	}
	defer release()
	p, err := g.pipeline(model)
	if err != nil {
		return nil, nil, err
	}
	c.Locals(localModel, p.name)
	if err := checkInputs(ins, g.cfg.Server.MaxInputs); err != nil {
		return nil, nil, err
	}
	opts := tokenizer.Options{NoTruncate: true, NoPadding: true}
	if truncate {
		opts = tokenizer.Options{MaxLength: p.maxSeqLen, NoPadding: true}
	}
	encs := make([]tokenizer.Encoding, len(ins))
	for i, in := range ins {
		var err error
		if in.HasPair {
			encs[i], err = p.tok.EncodePair(in.Text, in.Pair, opts)
		} else {
			encs[i], err = p.tok.Encode(in.Text, opts)
		}
		if err != nil {
			s.log.Debug("tokenizer rejected input", zap.Int("input", i), zap.Error(err))
			return nil, nil, &apiError{Status: 422, Type: typeUnprocess, Code: "tokenizer_rejected",
				Message: "input " + itoa(i) + ": " + err.Error(), cause: err}
		}
	}
	return encs, p, nil
}

func boolOr(b *bool, def bool) bool {
	if b == nil {
		return def
	}
	return *b
}
