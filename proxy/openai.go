package proxy

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"

	"github.com/gofiber/fiber/v2"
)

// POST /v1/embeddings, shaped like OpenAI's so that its official clients
// work unchanged: input is a string, a list of strings, a list of token ids
// or a list of such lists; encoding_format float (default) or base64
// (little-endian float32, what the Node client asks for by default);
// dimensions keeps the first d values and renormalises.
type openAIRequest struct {
	Input          json.RawMessage `json:"input"`
	Model          string          `json:"model"`
	EncodingFormat string          `json:"encoding_format"`
	Dimensions     *int            `json:"dimensions"`
	User           string          `json:"user"`
}

type openAIEmbedding struct {
	Object    string `json:"object"`
	Index     int    `json:"index"`
	Embedding any    `json:"embedding"` // []float32 or a base64 string
}

type openAIUsage struct {
	PromptTokens int `json:"prompt_tokens"`
	TotalTokens  int `json:"total_tokens"`
}

type openAIResponse struct {
	Object string            `json:"object"`
	Data   []openAIEmbedding `json:"data"`
	Model  string            `json:"model"`
	Usage  openAIUsage       `json:"usage"`
}

func (s *Server) openAIEmbeddings(c *fiber.Ctx) error {
	var req openAIRequest
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	ins, err := openAIInputs(req.Input)
	if err != nil {
		return err
	}
	switch req.EncodingFormat {
	case "", "float", "base64":
	default:
		return badRequest("invalid_encoding_format", "encoding_format must be float or base64, got %q", req.EncodingFormat)
	}
	if req.Dimensions != nil && *req.Dimensions < 1 {
		return badRequest("invalid_dimensions", "dimensions must be at least 1, got %d", *req.Dimensions)
	}
	p, rs, err := s.infer(c, req.Model, taskEmbed, ins, runOptions{Truncate: true})
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
	out := openAIResponse{Object: "list", Model: p.name, Data: make([]openAIEmbedding, len(rs))}
	for i, r := range rs {
		vec := shapeVector(r.Vec, dims, p.normalize)
		var emb any = vec
		if req.EncodingFormat == "base64" {
			emb = float32Base64(vec)
		}
		out.Data[i] = openAIEmbedding{Object: "embedding", Index: i, Embedding: emb}
	}
	n := tokensOf(rs)
	out.Usage = openAIUsage{PromptTokens: n, TotalTokens: n}
	return c.JSON(out)
}

// openAIInputs decodes OpenAI's four input forms.
func openAIInputs(raw json.RawMessage) ([]input, error) {
	invalid := badRequest("invalid_input", "input must be a string, a list of strings, a list of token ids or a list of lists of token ids")
	switch firstByte(raw) {
	case 0:
		return nil, badRequest("missing_input", "input is required")
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, invalid
		}
		return []input{{Text: s}}, nil
	case '[':
	default:
		return nil, invalid
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil || containsNull(raw) {
		return nil, invalid
	}
	if len(items) == 0 {
		return nil, badRequest("empty_input", "input is an empty list")
	}
	switch firstByte(items[0]) {
	case '"':
		var ts []string
		if err := json.Unmarshal(raw, &ts); err != nil {
			return nil, invalid
		}
		return fromTexts(ts), nil
	case '[':
		var lists [][]int32
		if err := json.Unmarshal(raw, &lists); err != nil {
			return nil, invalid
		}
		ins := make([]input, len(lists))
		for i, ids := range lists {
			ins[i] = input{IDs: ids}
			if ids == nil {
				ins[i].IDs = []int32{}
			}
		}
		return ins, nil
	default:
		var ids []int32
		if err := json.Unmarshal(raw, &ids); err != nil {
			return nil, invalid
		}
		return []input{{IDs: ids}}, nil
	}
}

func float32Base64(v []float32) string {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return base64.StdEncoding.EncodeToString(b)
}
