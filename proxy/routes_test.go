package proxy_test

import (
	"encoding/base64"
	"encoding/binary"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestNativeRoutes(t *testing.T) {
	fake := newFakeRuntime(6, 8)
	g := startGateway(t, fakeConfig(t, 6, "a"), fakeFactory(map[string]*fakeRuntime{"a": fake}))

	t.Run("classify", func(t *testing.T) {
		r := do(t, "POST", g.URL+"/v1/classify", `{"inputs": ["one", "two words"], "top_k": 2}`)
		var got struct {
			Model   string `json:"model"`
			Results []struct {
				Label string  `json:"label"`
				Score float64 `json:"score"`
				Top   []struct {
					Label string  `json:"label"`
					Score float64 `json:"score"`
				} `json:"top"`
			} `json:"results"`
			Usage struct{ Tokens int } `json:"usage"`
		}
		r.decode(t, &got)
		if r.Status != 200 || got.Model != "m" || len(got.Results) != 2 || got.Usage.Tokens != 3+4 {
			t.Fatalf("classify = %d %s", r.Status, r.Body)
		}
		for _, res := range got.Results {
			if len(res.Top) != 2 || res.Top[0].Label != res.Label || res.Top[0].Score < res.Top[1].Score || !strings.HasPrefix(res.Label, "l") {
				t.Errorf("result %+v: want top 2 best first, the label among l0..l5", res)
			}
		}
		for _, h := range []string{"X-Request-Id", "X-Tokenization-Time", "X-Queue-Time", "X-Inference-Time", "X-Total-Time", "X-Batch-Size", "X-Cache"} {
			if r.Header.Get(h) == "" {
				t.Errorf("no %s header", h)
			}
		}
	})

	t.Run("request id is kept", func(t *testing.T) {
		r := do(t, "POST", g.URL+"/v1/classify", `{"inputs": "x"}`, "X-Request-Id", "my-id-42")
		if got := r.Header.Get("X-Request-Id"); got != "my-id-42" {
			t.Errorf("x-request-id = %q; want the client's my-id-42", got)
		}
	})

	t.Run("embed normalised and not", func(t *testing.T) {
		var on, off struct {
			Embeddings [][]float64 `json:"embeddings"`
		}
		do(t, "POST", g.URL+"/v1/embed", `{"inputs": "vector please"}`).decode(t, &on)
		do(t, "POST", g.URL+"/v1/embed", `{"inputs": "vector please", "normalize": false, "pooling": "cls"}`).decode(t, &off)
		if len(on.Embeddings) != 1 || len(on.Embeddings[0]) != 8 {
			t.Fatalf("embeddings shape %v; want 1 x 8", on.Embeddings)
		}
		if n := norm(on.Embeddings[0]); math.Abs(n-1) > 1e-5 {
			t.Errorf("normalised embedding has norm %v", n)
		}
		if n := norm(off.Embeddings[0]); math.Abs(n-1) < 1e-3 {
			t.Errorf("unnormalised cls embedding has norm %v; suspiciously 1", n)
		}
	})

	t.Run("tokenize", func(t *testing.T) {
		r := do(t, "POST", g.URL+"/v1/tokenize", `{"inputs": ["Hello there"], "text_pair": "General"}`)
		var got []struct {
			IDs     []int32  `json:"ids"`
			TypeIDs []int32  `json:"type_ids"`
			Tokens  []string `json:"tokens"`
			Offsets [][2]int `json:"offsets"`
		}
		r.decode(t, &got)
		want := []string{"[CLS]", "hello", "there", "[SEP]", "general", "[SEP]"}
		if len(got) != 1 || strings.Join(got[0].Tokens, " ") != strings.Join(want, " ") {
			t.Fatalf("tokens = %s; want %v", r.Body, want)
		}
		if got[0].TypeIDs[4] != 1 || got[0].Offsets[1] != [2]int{0, 5} {
			t.Errorf("type ids %v offsets %v; want the pair typed 1, hello at [0,5]", got[0].TypeIDs, got[0].Offsets)
		}
	})
}

func norm(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x * x
	}
	return math.Sqrt(s)
}

func TestOpenAIShapes(t *testing.T) {
	fake := newFakeRuntime(3, 8)
	g := startGateway(t, fakeConfig(t, 3, "a"), fakeFactory(map[string]*fakeRuntime{"a": fake}))
	type resp struct {
		Object string `json:"object"`
		Model  string `json:"model"`
		Data   []struct {
			Object    string `json:"object"`
			Index     int    `json:"index"`
			Embedding any    `json:"embedding"`
		} `json:"data"`
		Usage struct {
			PromptTokens int `json:"prompt_tokens"`
			TotalTokens  int `json:"total_tokens"`
		} `json:"usage"`
	}
	tests := []struct {
		name     string
		give     string
		wantN    int
		wantDims int
	}{
		{"string", `{"input": "hello", "model": "m"}`, 1, 8},
		{"strings", `{"input": ["hello", "world"], "model": "m"}`, 2, 8},
		{"tokens", `{"input": [101, 7592, 102]}`, 1, 8},
		{"token lists", `{"input": [[101, 7592, 102], [101, 102]]}`, 2, 8},
		{"dimensions", `{"input": "hello", "dimensions": 4}`, 1, 4},
		{"base64", `{"input": ["hello"], "encoding_format": "base64", "dimensions": 5}`, 1, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, "POST", g.URL+"/v1/embeddings", tt.give)
			var got resp
			r.decode(t, &got)
			if r.Status != 200 || got.Object != "list" || got.Model != "m" || len(got.Data) != tt.wantN || got.Usage.TotalTokens == 0 {
				t.Fatalf("= %d %s", r.Status, r.Body)
			}
			for i, d := range got.Data {
				if d.Object != "embedding" || d.Index != i {
					t.Errorf("data[%d] = %+v", i, d)
				}
				var vec []float64
				switch e := d.Embedding.(type) {
				case string:
					raw, err := base64.StdEncoding.DecodeString(e)
					if err != nil {
						t.Fatal(err)
					}
					for j := 0; j+4 <= len(raw); j += 4 {
						vec = append(vec, float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[j:]))))
					}
				case []any:
					for _, x := range e {
						vec = append(vec, x.(float64))
					}
				}
				if len(vec) != tt.wantDims || math.Abs(norm(vec)-1) > 1e-5 {
					t.Errorf("data[%d] has %d values of norm %v; want %d normalised", i, len(vec), norm(vec), tt.wantDims)
				}
			}
		})
	}
}

func TestTEIShapes(t *testing.T) {
	fake := newFakeRuntime(3, 8)
	g := startGateway(t, fakeConfig(t, 3, "a"), fakeFactory(map[string]*fakeRuntime{"a": fake}))

	t.Run("predict single, pair and batch", func(t *testing.T) {
		var single []struct {
			Score float64 `json:"score"`
			Label string  `json:"label"`
		}
		do(t, "POST", g.URL+"/predict", `{"inputs": "hello"}`).decode(t, &single)
		if len(single) != 3 || single[0].Score < single[1].Score {
			t.Errorf("single = %+v; want all 3 classes best first", single)
		}
		var pair []map[string]any
		do(t, "POST", g.URL+"/predict", `{"inputs": ["a question", "an answer"]}`).decode(t, &pair)
		if len(pair) != 3 {
			t.Errorf("pair = %v; want one prediction list", pair)
		}
		var batch [][]map[string]any
		do(t, "POST", g.URL+"/predict", `{"inputs": [["one"], ["two", "pair"], ["three"]], "raw_scores": true}`).decode(t, &batch)
		if len(batch) != 3 || len(batch[1]) != 3 {
			t.Errorf("batch = %v; want 3 lists of 3", batch)
		}
	})

	t.Run("embed", func(t *testing.T) {
		var got [][]float64
		do(t, "POST", g.URL+"/embed", `{"inputs": ["a", "b"], "truncate": true}`).decode(t, &got)
		if len(got) != 2 || len(got[0]) != 8 || math.Abs(norm(got[0])-1) > 1e-5 {
			t.Errorf("embed = %v; want 2 normalised vectors of 8", got)
		}
	})

	t.Run("tokenize byte offsets", func(t *testing.T) {
		text := "héllo wörld"
		var got [][]struct {
			ID      int    `json:"id"`
			Text    string `json:"text"`
			Special bool   `json:"special"`
			Start   *int   `json:"start"`
			Stop    *int   `json:"stop"`
		}
		do(t, "POST", g.URL+"/tokenize", `{"inputs": "`+text+`"}`).decode(t, &got)
		if len(got) != 1 || len(got[0]) < 4 || !got[0][0].Special || got[0][0].Start != nil {
			t.Fatalf("tokenize = %+v; want [CLS] special first", got)
		}
		for _, tok := range got[0] {
			if tok.Special {
				continue
			}
			if tok.Start == nil || text[*tok.Start:*tok.Stop] != tok.Text || !utf8.ValidString(tok.Text) {
				t.Errorf("token %+v: text is not the byte span of the input", tok)
			}
		}
		var plain [][]map[string]any
		do(t, "POST", g.URL+"/tokenize", `{"inputs": "`+text+`", "add_special_tokens": false}`).decode(t, &plain)
		if len(plain[0]) != len(got[0])-2 {
			t.Errorf("add_special_tokens false kept %d of %d tokens; want 2 fewer", len(plain[0]), len(got[0]))
		}
	})

	t.Run("info", func(t *testing.T) {
		var info struct {
			ModelID   string `json:"model_id"`
			ModelType struct {
				Classifier struct {
					ID2Label map[string]string `json:"id2label"`
				} `json:"classifier"`
			} `json:"model_type"`
			MaxInputLength int `json:"max_input_length"`
		}
		do(t, "GET", g.URL+"/info", nil).decode(t, &info)
		if info.ModelID != "m" || info.ModelType.Classifier.ID2Label["2"] != "l2" || info.MaxInputLength != 128 {
			t.Errorf("info = %+v", info)
		}
	})
}

func TestOpsRoutes(t *testing.T) {
	fake := newFakeRuntime(3, 8)
	g := startGateway(t, fakeConfig(t, 3, "a"), fakeFactory(map[string]*fakeRuntime{"a": fake}))
	for i := 0; i < 20; i++ {
		do(t, "POST", g.URL+"/v1/classify", `{"inputs": ["stats `+strings.Repeat("x", i)+`", "again"]}`)
	}
	if r := do(t, "GET", g.URL+"/healthz", nil); r.Status != 200 {
		t.Errorf("healthz = %d", r.Status)
	}
	if r := do(t, "GET", g.URL+"/readyz", nil); r.Status != 200 {
		t.Errorf("readyz = %d %s", r.Status, r.Body)
	}
	if r := do(t, "GET", g.URL+"/", nil); r.Status != 200 || !strings.Contains(r.Header.Get("Content-Type"), "text/html") {
		t.Errorf("dashboard = %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	if r := do(t, "GET", g.URL+"/v2/health/ready", nil); r.Status != 200 {
		t.Errorf("kserve ready = %d", r.Status)
	}

	time.Sleep(1100 * time.Millisecond) // stats report complete seconds
	var st struct {
		RPS           float64  `json:"rps"`
		Requests      int      `json:"requests"`
		P50           *float64 `json:"p50_ms"`
		P99           *float64 `json:"p99_ms"`
		BatchRows     *float64 `json:"batch_rows"`
		PaddingRatio  *float64 `json:"padding_ratio"`
		CacheHitRatio *float64 `json:"cache_hit_ratio"`
		QueueDepth    *float64 `json:"queue_depth"`
		Series        []struct {
			T        int64 `json:"t"`
			Requests int   `json:"requests"`
		} `json:"series"`
	}
	do(t, "GET", g.URL+"/v1/stats?window=60&step=1", nil).decode(t, &st)
	if st.Requests != 20 || st.P50 == nil || *st.P99 < *st.P50 || st.BatchRows == nil || st.PaddingRatio == nil || st.CacheHitRatio == nil || st.QueueDepth == nil {
		t.Errorf("stats = %+v; want 20 requests with latency, batch, padding, cache and queue numbers", st)
	}
	if len(st.Series) != 60 {
		t.Errorf("series has %d points; want 60", len(st.Series))
	}

	m := string(do(t, "GET", g.URL+"/metrics", nil).Body)
	for _, name := range []string{
		"infergate_requests_total", "infergate_request_duration_seconds", "infergate_queue_depth", "infergate_queue_capacity",
		"infergate_batch_rows", "infergate_batch_tokens", "infergate_padding_ratio",
		"infergate_cache_hits_total", "infergate_cache_misses_total", "infergate_backend_requests_total",
		"infergate_backend_duration_seconds", "infergate_breaker_state", "infergate_backend_in_flight",
	} {
		if !strings.Contains(m, "\n"+name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	for _, stage := range []string{"tokenize", "queue", "inference", "total"} {
		if !strings.Contains(m, `stage="`+stage+`"`) {
			t.Errorf("/metrics lacks the %s stage", stage)
		}
	}
	if !strings.Contains(m, `infergate_requests_total{code="200",model="m",route="/v1/classify"} 20`) {
		t.Error("/metrics does not count 20 classify requests by route, model and code")
	}
}

func TestAnEmbeddingModelRefusesToClassify(t *testing.T) {
	fake := newFakeRuntime(3, 8)
	fake.embedOnly = true
	cfg := fakeConfig(t, 3, "a")
	cfg.Models[0].Labels = ""
	g := startGateway(t, cfg, fakeFactory(map[string]*fakeRuntime{"a": fake}))
	for _, path := range []string{"/v1/classify", "/predict"} {
		r := do(t, "POST", g.URL+path, `{"inputs": "hello"}`)
		var env errorEnvelope
		r.decode(t, &env)
		if r.Status != 400 || env.Error.Code != "unsupported_task" {
			t.Errorf("%s on an embedding model = %d %s; want 400 unsupported_task", path, r.Status, r.Body)
		}
	}
	if r := do(t, "POST", g.URL+"/v1/embed", `{"inputs": "hello"}`); r.Status != 200 {
		t.Errorf("embed = %d %s", r.Status, r.Body)
	}
	var info struct {
		ModelType map[string]any `json:"model_type"`
	}
	do(t, "GET", g.URL+"/info", nil).decode(t, &info)
	if _, ok := info.ModelType["embedding"]; !ok {
		t.Errorf("/info model_type = %v; want embedding", info.ModelType)
	}
}
