package proxy

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
)

// input is one thing to run the model on: a text, a text pair, or (OpenAI's
// token inputs) ids the client tokenized itself.
type input struct {
	Text    string
	Pair    string
	HasPair bool
	IDs     []int32 // set for token inputs; Text is then empty
}

// texts accepts a string or a list of strings, the "inputs" of the native
// and TEI routes.
type texts []string

func (t *texts) UnmarshalJSON(b []byte) error {
	invalid := shapeError("a string or a list of strings", b)
	switch firstByte(b) {
	case '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = texts{s}
		return nil
	case '[':
		var list []string
		if err := json.Unmarshal(b, &list); err != nil || containsNull(b) {
			return invalid
		}
		*t = list
		return nil
	default:
		return invalid
	}
}

// shapeError reports a JSON value of the wrong shape. It is a
// *json.UnmarshalTypeError, so that the decoder adds the field's name, with
// the shapeMarker type, so that badJSON words it for people.
func shapeError(want string, got []byte) error {
	return &json.UnmarshalTypeError{Value: jsonKind(got) + "; expected " + want, Type: shapeMarkerType}
}

type shapeMarker struct{}

var shapeMarkerType = reflect.TypeOf(shapeMarker{})

func jsonKind(b []byte) string {
	switch firstByte(b) {
	case '"':
		return "string"
	case '[':
		return "array"
	case '{':
		return "object"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	default:
		return "number"
	}
}

// containsNull says whether a JSON value holds a null anywhere. Decoding a
// list into Go slices turns a null element into "" or 0, so list inputs
// check for it rather than run the model on text or ids nobody sent.
func containsNull(b []byte) bool {
	inString := false
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '"':
			inString = !inString
		case '\\':
			if inString {
				i++
			}
		case 'n': // outside a string, only the literal null starts with n
			if !inString {
				return true
			}
		}
	}
	return false
}

func firstByte(b []byte) byte {
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 {
		return 0
	}
	return b[0]
}

// decodeBody parses a JSON body strictly into v: unknown fields are kept
// (clients send extra fields, as OpenAI's do), but malformed JSON, wrong
// types and trailing data are 400s with the offending field named.
func decodeBody(c *fiber.Ctx, v any) error {
	body := c.Body()
	if len(bytes.TrimSpace(body)) == 0 {
		return badRequest("empty_body", "the request body is empty; send a JSON object")
	}
	if err := checkUnicode(body); err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return badJSON(err) // trailing data is a syntax error too
	}
	return nil
}

// checkUnicode rejects what encoding/json would silently turn into U+FFFD:
// bytes that are not UTF-8 and \u escapes of unpaired UTF-16 surrogates.
// JSON text must be UTF-8 (RFC 8259), and a model fed replacement
// characters answers for a text the client never sent.
func checkUnicode(body []byte) error {
	if !utf8.Valid(body) {
		i := 0
		for i < len(body) {
			r, n := utf8.DecodeRune(body[i:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			i += n
		}
		return badRequest("invalid_json", "the body is not valid UTF-8 (byte %d); JSON must be UTF-8", i)
	}
	inString := false
	for i := 0; i < len(body); i++ {
		switch c := body[i]; {
		case c == '"':
			inString = !inString
		case c == '\\' && inString && i+1 < len(body):
			i++ // the escaped byte: a quote or backslash here ends nothing
			if body[i] != 'u' {
				continue
			}
			r, ok := hex4(body[i+1:])
			if !ok || !utf16.IsSurrogate(r) {
				continue // a malformed escape is json.Unmarshal's to report
			}
			low, ok := rune(0), false
			if r < 0xdc00 && i+6 < len(body) && body[i+5] == '\\' && body[i+6] == 'u' {
				low, ok = hex4(body[i+7:])
			}
			if !ok || low < 0xdc00 || low > 0xdfff {
				return badRequest("invalid_json", "unpaired UTF-16 surrogate \\u%04x at byte %d; JSON strings must be valid Unicode", r, i-1)
			}
			i += 10 // both escapes
		}
	}
	return nil
}

// hex4 reads the 4 hex digits of a \u escape.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			r = r<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

func badJSON(err error) *apiError {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te) && te.Field != "":
		if te.Type == shapeMarkerType {
			return badRequest("invalid_field", "field %q: got JSON %s", te.Field, te.Value)
		}
		return badRequest("invalid_field", "field %q: expected %s, got JSON %s", te.Field, te.Type, te.Value)
	case errors.As(err, &te):
		return badRequest("invalid_json", "the body must be a JSON object, not %s", te.Value)
	case errors.As(err, &se):
		return badRequest("invalid_json", "malformed JSON at byte %d: %v", se.Offset, err)
	default:
		return badRequest("invalid_json", "malformed JSON: %v", err)
	}
}

// checkInputs bounds the number of inputs and rejects empty or invalid texts
// before they cost anything.
func checkInputs(ins []input, maxInputs int) error {
	if len(ins) == 0 {
		return badRequest("empty_input", "inputs is empty; send a string or a non-empty list of strings")
	}
	if len(ins) > maxInputs {
		return tooLarge("too_many_inputs", "%d inputs in one request; the limit is %d", len(ins), maxInputs)
	}
	for i, in := range ins {
		if in.IDs != nil {
			if len(in.IDs) == 0 {
				return badRequest("empty_input", "input %d is an empty token list", i)
			}
			continue
		}
		if in.Text == "" && !in.HasPair {
			return badRequest("empty_input", "input %d is an empty string", i)
		}
	}
	return nil
}

func fromTexts(ts []string) []input {
	ins := make([]input, len(ts))
	for i, t := range ts {
		ins[i] = input{Text: t}
	}
	return ins
}
