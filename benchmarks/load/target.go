package load

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Target turns a set of texts into one HTTP request. Any status outside 2xx
// counts as an error; the body is read in full (so connections are reused)
// but not parsed, like wrk and hey, to keep the load generator's own cost low.
type Target interface {
	NewRequest(ctx context.Context, texts []string) (*http.Request, error)
	// String names the target in reports.
	String() string
}

// HTTPTarget posts a JSON body built from the texts to a fixed URL.
type HTTPTarget struct {
	Name   string
	URL    string
	Method string // "" means POST
	Header http.Header
	// Body encodes texts as the request body.
	Body func(texts []string) ([]byte, error)
}

// NewRequest implements Target.
func (t *HTTPTarget) NewRequest(ctx context.Context, texts []string) (*http.Request, error) {
	body, err := t.Body(texts)
	if err != nil {
		return nil, fmt.Errorf("build body: %w", err)
	}
	method := t.Method
	if method == "" {
		method = http.MethodPost
	}
	req, err := http.NewRequestWithContext(ctx, method, t.URL, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	for k, v := range t.Header {
		req.Header[k] = v
	}
	if req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

func (t *HTTPTarget) String() string { return t.Name }

// joinURL appends path to base ("http://host:8080" + "/v1/classify").
func joinURL(base, path string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("parse url %q: %w", base, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("url %q: scheme must be http or https", base)
	}
	if u.Host == "" {
		return "", fmt.Errorf("url %q has no host", base)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	return u.String(), nil
}

// Infergate targets one of the gateway's own routes: /v1/classify,
// /v1/embed, /v1/tokenize or the OpenAI-compatible /v1/embeddings. model may be empty when the
// gateway serves one model.
func Infergate(base, route, model string) (*HTTPTarget, error) {
	u, err := joinURL(base, route)
	if err != nil {
		return nil, err
	}
	var body func([]string) ([]byte, error)
	switch route {
	case "/v1/classify", "/v1/embed", "/v1/tokenize":
		body = func(texts []string) ([]byte, error) {
			return json.Marshal(struct {
				Model  string   `json:"model,omitempty"`
				Inputs []string `json:"inputs"`
			}{model, texts})
		}
	case "/v1/embeddings":
		body = func(texts []string) ([]byte, error) {
			return json.Marshal(struct {
				Model string   `json:"model,omitempty"`
				Input []string `json:"input"`
			}{model, texts})
		}
	default:
		return nil, fmt.Errorf("infergate route %q: want /v1/classify, /v1/embed, /v1/tokenize or /v1/embeddings", route)
	}
	return &HTTPTarget{Name: "infergate " + route, URL: u, Body: body}, nil
}

// TEI targets a text-embeddings-inference style server: /predict (sequence
// classification) or /embed. One text is sent as a string; several as a
// batch. With truncate, texts past the model's limit are cut instead of
// answered with 413 (TEI's default).
func TEI(base, route string, truncate bool) (*HTTPTarget, error) {
	u, err := joinURL(base, route)
	if err != nil {
		return nil, err
	}
	type body struct {
		Inputs   any  `json:"inputs"`
		Truncate bool `json:"truncate,omitempty"`
	}
	var enc func([]string) ([]byte, error)
	switch route {
	case "/predict":
		enc = func(texts []string) ([]byte, error) {
			if len(texts) == 1 {
				return json.Marshal(body{texts[0], truncate})
			}
			// A flat list of two strings would be read as a text pair, so a
			// batch is a list of one-element lists.
			batch := make([][]string, len(texts))
			for i, t := range texts {
				batch[i] = []string{t}
			}
			return json.Marshal(body{batch, truncate})
		}
	case "/embed":
		enc = func(texts []string) ([]byte, error) {
			return json.Marshal(body{texts, truncate})
		}
	default:
		return nil, fmt.Errorf("tei route %q: want /predict or /embed", route)
	}
	return &HTTPTarget{Name: "tei " + route, URL: u, Body: enc}, nil
}

// Generic posts a body template to any URL. In the template, {{text}} is
// replaced by the first text as a JSON string (quotes included) and {{texts}}
// by all texts as a JSON array, e.g. {"inputs": {{texts}}}.
func Generic(rawURL, template string, header http.Header) (*HTTPTarget, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("generic target url %q: want http(s)://host[:port]/path", rawURL)
	}
	if !strings.Contains(template, "{{text}}") && !strings.Contains(template, "{{texts}}") {
		return nil, errors.New("generic body template must contain {{text}} or {{texts}}")
	}
	body := func(texts []string) ([]byte, error) {
		one, err := json.Marshal(texts[0])
		if err != nil {
			return nil, err
		}
		all, err := json.Marshal(texts)
		if err != nil {
			return nil, err
		}
		// One pass, so a text that itself contains "{{text}}" is left alone.
		r := strings.NewReplacer("{{texts}}", string(all), "{{text}}", string(one))
		return []byte(r.Replace(template)), nil
	}
	if sample, _ := body([]string{"a", "b"}); !json.Valid(sample) {
		return nil, fmt.Errorf("generic body template is not valid JSON once filled in: %s", sample)
	}
	return &HTTPTarget{Name: "generic " + u.Path, URL: rawURL, Header: header, Body: body}, nil
}
