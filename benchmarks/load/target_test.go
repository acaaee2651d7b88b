package load

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// fakeEncoder is a test double for a tokenizer: one id per word plus
// [CLS] (101) and [SEP] (102).
type fakeEncoder struct{}

func (fakeEncoder) Encode(text string) ([]int32, []int32, error) {
	if text == "" {
		return nil, nil, errors.New("empty text")
	}
	ids := []int32{101}
	for range strings.Fields(text) {
		ids = append(ids, 1000)
	}
	ids = append(ids, 102)
	return ids, make([]int32, len(ids)), nil
}

// mustTarget panics on a construction error; the test tables use it.
func mustTarget(tg *HTTPTarget, err error) *HTTPTarget {
	if err != nil {
		panic(err)
	}
	return tg
}

func TestTargetBodies(t *testing.T) {
	base := "http://127.0.0.1:8080/"
	tests := []struct {
		name    string
		target  *HTTPTarget
		texts   []string
		wantURL string
		want    string
	}{
		{"classify", mustTarget(Infergate(base, "/v1/classify", "langid")), []string{"a b"},
			"http://127.0.0.1:8080/v1/classify", `{"model":"langid","inputs":["a b"]}`},
		{"embed no model", mustTarget(Infergate(base, "/v1/embed", "")), []string{"x", "y"},
			"http://127.0.0.1:8080/v1/embed", `{"inputs":["x","y"]}`},
		{"openai", mustTarget(Infergate(base, "/v1/embeddings", "m")), []string{"x"},
			"http://127.0.0.1:8080/v1/embeddings", `{"model":"m","input":["x"]}`},
		{"tei predict one", mustTarget(TEI(base, "/predict", false)), []string{"x"},
			"http://127.0.0.1:8080/predict", `{"inputs":"x"}`},
		{"tei predict batch", mustTarget(TEI(base, "/predict", true)), []string{"x", "y"},
			"http://127.0.0.1:8080/predict", `{"inputs":[["x"],["y"]],"truncate":true}`},
		{"tei embed", mustTarget(TEI(base, "/embed", true)), []string{"x"},
			"http://127.0.0.1:8080/embed", `{"inputs":["x"],"truncate":true}`},
		{"generic escapes", mustTarget(Generic("http://h:1/p", `{"q": {{text}}, "all": {{texts}}}`, nil)), []string{`say "{{text}}"`, "b"},
			"http://h:1/p", `{"q": "say \"{{text}}\"", "all": ["say \"{{text}}\"","b"]}`},
		{"kserve bytes", mustTarget(KServe(base, KServeOptions{Model: "m", Version: "2", Outputs: []string{"logits"}})), []string{"x", "y"},
			"http://127.0.0.1:8080/v2/models/m/versions/2/infer",
			`{"inputs":[{"name":"TEXT","shape":[2],"datatype":"BYTES","data":["x","y"]}],"outputs":[{"name":"logits"}]}`},
		{"kserve tokens padded", mustTarget(KServe(base, KServeOptions{Model: "langid", Encoder: fakeEncoder{}})), []string{"a", "b c"},
			"http://127.0.0.1:8080/v2/models/langid/infer",
			`{"inputs":[{"name":"input_ids","shape":[2,4],"datatype":"INT64","data":[101,1000,102,0,101,1000,1000,102]},` +
				`{"name":"attention_mask","shape":[2,4],"datatype":"INT64","data":[1,1,1,0,1,1,1,1]},` +
				`{"name":"token_type_ids","shape":[2,4],"datatype":"INT64","data":[0,0,0,0,0,0,0,0]}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := tt.target.NewRequest(context.Background(), tt.texts)
			if err != nil {
				t.Fatal(err)
			}
			if req.URL.String() != tt.wantURL || req.Method != http.MethodPost {
				t.Errorf("request %s %s; want POST %s", req.Method, req.URL, tt.wantURL)
			}
			if ct := req.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q; want application/json", ct)
			}
			body, _ := io.ReadAll(req.Body)
			var got, want any
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("body %s is not JSON: %v", body, err)
			}
			if err := json.Unmarshal([]byte(tt.want), &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("body = %s; want %s", body, tt.want)
			}
		})
	}
}

func TestTargetErrors(t *testing.T) {
	tests := []struct {
		name string
		make func() error
	}{
		{"unknown route", func() error { _, err := Infergate("http://h:1", "/v1/nope", ""); return err }},
		{"bad scheme", func() error { _, err := Infergate("ftp://h", "/v1/classify", ""); return err }},
		{"no host", func() error { _, err := TEI("http://", "/embed", true); return err }},
		{"tei route", func() error { _, err := TEI("http://h:1", "/rerank", true); return err }},
		{"template without text", func() error { _, err := Generic("http://h:1/x", `{"a":1}`, nil); return err }},
		{"template not JSON", func() error { _, err := Generic("http://h:1/x", `{"a": {{text}}`, nil); return err }},
		{"kserve no model", func() error { _, err := KServe("http://h:1", KServeOptions{}); return err }},
	}
	for _, tt := range tests {
		if err := tt.make(); err == nil {
			t.Errorf("%s: want an error", tt.name)
		}
	}
	tg := mustTarget(KServe("http://h:1", KServeOptions{Model: "m", Encoder: fakeEncoder{}}))
	if _, err := tg.NewRequest(context.Background(), []string{""}); err == nil {
		t.Error("NewRequest with a text the encoder rejects: want an error")
	}
}
