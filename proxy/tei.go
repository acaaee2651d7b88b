package proxy

import (
	"encoding/json"
	"runtime"
	"strconv"

	"github.com/gofiber/fiber/v2"
)

// TEI-compatible routes (HuggingFace text-embeddings-inference): the same
// request and answer shapes, so TEI clients can point at the gateway. They
// take an optional "model" field TEI does not have; without it the first
// configured model answers. As in TEI, truncate defaults to false: a text
// over max_seq_len is a 413.

// predictInputs is TEI's /predict input: a string, a pair [a, b], or a
// batch [[a], [a, b], ...]. Batch reports which of the answer shapes to use.
type predictInputs struct {
	Items []input
	Batch bool
}

func (p *predictInputs) UnmarshalJSON(b []byte) error {
	invalid := shapeError("a string, a pair [string, string] or a batch [[string], [string, string], ...]", b)
	if firstByte(b) == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return invalid
		}
		p.Items = []input{{Text: s}}
		return nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(b, &items); err != nil || len(items) == 0 || containsNull(b) {
		return invalid
	}
	seq := func(ss []string) (input, error) {
		switch len(ss) {
		case 1:
			return input{Text: ss[0]}, nil
		case 2:
			return input{Text: ss[0], Pair: ss[1], HasPair: true}, nil
		}
		return input{}, invalid
	}
	if firstByte(items[0]) == '"' {
		var ss []string
		if err := json.Unmarshal(b, &ss); err != nil {
			return invalid
		}
		in, err := seq(ss)
		p.Items = []input{in}
		return err
	}
	p.Batch = true
	for _, it := range items {
		var ss []string
		if err := json.Unmarshal(it, &ss); err != nil {
			return invalid
		}
		in, err := seq(ss)
		if err != nil {
			return err
		}
		p.Items = append(p.Items, in)
	}
	return nil
}

type teiPredictRequest struct {
	Inputs    predictInputs `json:"inputs"`
	Truncate  bool          `json:"truncate"`
	RawScores bool          `json:"raw_scores"`
	Model     string        `json:"model"`
}

// POST /predict -> [{score, label}] for one input, [[...]] for a batch,
// every class, best first.
func (s *Server) teiPredict(c *fiber.Ctx) error {
	var req teiPredictRequest
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	p, rs, err := s.infer(c, req.Model, taskClassify, req.Inputs.Items, runOptions{Truncate: req.Truncate})
	if err != nil {
		return err
	}
	out := make([][]teiPrediction, len(rs))
	for i, r := range rs {
		scores := r.Vec
		if !req.RawScores {
			scores = softmax(r.Vec)
		}
		for _, ls := range ranked(scores, p.labels) {
			out[i] = append(out[i], teiPrediction(ls))
		}
	}
	if req.Inputs.Batch {
		return c.JSON(out)
	}
	return c.JSON(out[0])
}

// teiPrediction is TEI's field order: score, then label.
type teiPrediction struct {
	Label string  `json:"label"`
	Score float32 `json:"score"`
}

type teiEmbedRequest struct {
	Inputs              texts  `json:"inputs"`
	Normalize           *bool  `json:"normalize"`
	Truncate            bool   `json:"truncate"`
	TruncationDirection string `json:"truncation_direction"`
	Dimensions          *int   `json:"dimensions"`
	Model               string `json:"model"`
}

// POST /embed -> [[f32]], normalised unless normalize: false.
func (s *Server) teiEmbed(c *fiber.Ctx) error {
	var req teiEmbedRequest
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	if d := req.TruncationDirection; d != "" && d != "right" && d != "Right" {
		return badRequest("unsupported_truncation_direction", "only right truncation is supported, got %q", d)
	}
	if req.Dimensions != nil && *req.Dimensions < 1 {
		return badRequest("invalid_dimensions", "dimensions must be at least 1, got %d", *req.Dimensions)
	}
	_, rs, err := s.infer(c, req.Model, taskEmbed, fromTexts(req.Inputs), runOptions{Truncate: req.Truncate})
	if err != nil {
		return err
	}
	dims := 0
	if req.Dimensions != nil {
		dims = *req.Dimensions
		if len(rs) > 0 && dims > len(rs[0].Vec) {
			return badRequest("invalid_dimensions", "dimensions %d is larger than the model's %d", dims, len(rs[0].Vec))
		}
	}
	out := make([][]float32, len(rs))
	for i, r := range rs {
		out[i] = shapeVector(r.Vec, dims, boolOr(req.Normalize, true))
	}
	return c.JSON(out)
}

type teiTokenizeRequest struct {
	Inputs           texts  `json:"inputs"`
	AddSpecialTokens *bool  `json:"add_special_tokens"`
	Model            string `json:"model"`
}

// teiToken is TEI's token: start and stop are byte offsets into the text.
type teiToken struct {
	ID      int32  `json:"id"`
	Text    string `json:"text"`
	Special bool   `json:"special"`
	Start   *int   `json:"start"`
	Stop    *int   `json:"stop"`
}

// POST /tokenize -> [[{id, text, special, start, stop}]]
func (s *Server) teiTokenize(c *fiber.Ctx) error {
	var req teiTokenizeRequest
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	ins := fromTexts(req.Inputs)
	encs, _, err := s.encodeOnly(c, req.Model, ins, false)
	if err != nil {
		return err
	}
	withSpecial := boolOr(req.AddSpecialTokens, true)
	out := make([][]teiToken, len(encs))
	for i, e := range encs {
		bytePos := runeToByte(ins[i].Text)
		out[i] = []teiToken{}
		for j, id := range e.IDs {
			off := e.Offsets[j]
			special := off[0] == off[1]
			if special && !withSpecial {
				continue
			}
			t := teiToken{ID: id, Text: e.Tokens[j], Special: special}
			if !special && off[1] < len(bytePos) {
				start, stop := bytePos[off[0]], bytePos[off[1]]
				t.Start, t.Stop = &start, &stop
				t.Text = ins[i].Text[start:stop]
			}
			out[i] = append(out[i], t)
		}
	}
	return c.JSON(out)
}

// runeToByte maps each code point index (and the end) to its byte offset.
func runeToByte(s string) []int {
	pos := make([]int, 0, len(s)+1)
	for i := range s {
		pos = append(pos, i)
	}
	return append(pos, len(s))
}

// GET /info describes the model like TEI does.
func (s *Server) teiInfo(c *fiber.Ctx) error {
	g, release, err := s.acquire()
	if err != nil {
		return err
	}
	defer release()
	p, err := g.pipeline(c.Query("model"))
	if err != nil {
		return err
	}
	mc := g.cfg.Models[0]
	for _, m := range g.cfg.Models {
		if m.Name == p.name {
			mc = m
		}
	}
	var modelType any = fiber.Map{"embedding": fiber.Map{"pooling": p.pooling}}
	if len(p.labels) > 0 || p.classes > 0 {
		n := max(len(p.labels), p.classes)
		id2label, label2id := map[string]string{}, map[string]int{}
		for i := 0; i < n; i++ {
			l := labelOf(p.labels, i)
			id2label[strconv.Itoa(i)] = l
			label2id[l] = i
		}
		modelType = fiber.Map{"classifier": fiber.Map{"id2label": id2label, "label2id": label2id}}
	}
	return c.JSON(fiber.Map{
		"model_id":                p.name,
		"model_sha":               p.version,
		"model_dtype":             "float32",
		"model_type":              modelType,
		"max_concurrent_requests": mc.Batching.MaxQueue,
		"max_input_length":        p.maxSeqLen,
		"max_batch_tokens":        mc.Batching.MaxBatchTokens,
		"max_batch_requests":      mc.Batching.MaxBatchSize,
		"max_client_batch_size":   g.cfg.Server.MaxInputs,
		"auto_truncate":           false,
		"tokenization_workers":    runtime.GOMAXPROCS(0),
		"version":                 serverVersion(),
	})
}
