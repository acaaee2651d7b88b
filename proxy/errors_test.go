package proxy_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/infergate/infergate/proxy/config"
)

func TestErrorStatuses(t *testing.T) {
	fake := newFakeRuntime(4, 8)
	cfg := fakeConfig(t, 4, "a")
	cfg.Server.MaxBodyBytes = 4096
	cfg.Server.MaxInputs = 8
	cfg.Models[0].MaxSeqLen = 16
	cfg.Models[0].Batching.MaxBatchTokens = 64
	g := startGateway(t, cfg, fakeFactory(map[string]*fakeRuntime{"a": fake}))
	long := strings.Repeat("word ", 40)

	tests := []struct {
		name       string
		method     string
		path       string
		give       string
		wantStatus int
		wantCode   string
	}{
		{"bad json", "POST", "/v1/classify", `{"inputs": [`, 400, "invalid_json"},
		{"wrong type", "POST", "/v1/classify", `{"inputs": 7}`, 400, "invalid_field"},
		{"not an object", "POST", "/v1/embed", `["a"]`, 400, "invalid_json"},
		{"empty body", "POST", "/v1/classify", ``, 400, "empty_body"},
		{"no inputs", "POST", "/v1/classify", `{}`, 400, "empty_input"},
		{"empty string", "POST", "/v1/classify", `{"inputs": ""}`, 400, "empty_input"},
		{"bad top_k", "POST", "/v1/classify", `{"inputs": "a", "top_k": 0}`, 400, "invalid_top_k"},
		{"bad pooling", "POST", "/v1/embed", `{"inputs": "a", "pooling": "max"}`, 400, "invalid_pooling"},
		{"unknown model", "POST", "/v1/classify", `{"model": "nope", "inputs": "a"}`, 404, "model_not_found"},
		{"unknown route", "GET", "/v1/nothing", ``, 404, "route_not_found"},
		{"unknown post route", "POST", "/nothing", `{}`, 404, "route_not_found"},
		{"body too large", "POST", "/v1/classify", `{"inputs": "` + strings.Repeat("a", 5000) + `"}`, 413, "body_too_large"},
		{"too many inputs", "POST", "/v1/classify", `{"inputs": ["a","b","c","d","e","f","g","h","i"]}`, 413, "too_many_inputs"},
		{"too long without truncation", "POST", "/v1/classify", `{"inputs": "` + long + `", "truncate": false}`, 413, "input_too_long"},
		{"tei too long by default", "POST", "/predict", `{"inputs": "` + long + `"}`, 413, "input_too_long"},
		{"openai bad encoding", "POST", "/v1/embeddings", `{"input": "a", "encoding_format": "hex"}`, 400, "invalid_encoding_format"},
		{"openai no input", "POST", "/v1/embeddings", `{"model": "m"}`, 400, "missing_input"},
		{"openai bad input", "POST", "/v1/embeddings", `{"input": {"a": 1}}`, 400, "invalid_input"},
		{"openai token out of vocab", "POST", "/v1/embeddings", `{"input": [1, 2, 99999999]}`, 400, "invalid_token"},
		{"openai too many dims", "POST", "/v1/embeddings", `{"input": "a", "dimensions": 9}`, 400, "invalid_dimensions"},
		{"tei too many dims", "POST", "/embed", `{"inputs": "a", "dimensions": 9}`, 400, "invalid_dimensions"},
		{"tei bad pair", "POST", "/predict", `{"inputs": ["a", "b", "c"]}`, 400, "invalid_field"},
		{"raw byte not UTF-8", "POST", "/v1/classify", "{\"inputs\": \"ab\xffcd\"}", 400, "invalid_json"},
		{"lone high surrogate", "POST", "/v1/embed", `{"inputs": "ab\ud800cd"}`, 400, "invalid_json"},
		{"lone low surrogate", "POST", "/v1/embeddings", `{"input": ["\udc00"]}`, 400, "invalid_json"},
		{"high surrogate then not low", "POST", "/predict", `{"inputs": "\ud800\u0041"}`, 400, "invalid_json"},
		{"surrogate in a key", "POST", "/tokenize", `{"inputs": "a", "\udbff": 1}`, 400, "invalid_json"},
		{"null in a text list", "POST", "/v1/classify", `{"inputs": ["a", null]}`, 400, "invalid_field"},
		{"null text_pair entry", "POST", "/v1/tokenize", `{"inputs": ["a", "b"], "text_pair": ["x", null]}`, 400, "invalid_field"},
		{"tei null in a batch", "POST", "/predict", `{"inputs": [["a"], ["b", null]]}`, 400, "invalid_field"},
		{"tei embed null", "POST", "/embed", `{"inputs": [null]}`, 400, "invalid_field"},
		{"openai null token", "POST", "/v1/embeddings", `{"input": [null]}`, 400, "invalid_input"},
		{"openai null in token lists", "POST", "/v1/embeddings", `{"input": [[1, null]]}`, 400, "invalid_input"},
		{"openai null token list", "POST", "/v1/embeddings", `{"input": [[1], null]}`, 400, "invalid_input"},
		{"openai null text", "POST", "/v1/embeddings", `{"input": ["a", null]}`, 400, "invalid_input"},
		{"stats bad window", "GET", "/v1/stats?window=0", ``, 400, "invalid_query"},
		{"admin without keys file", "POST", "/admin/reload", ``, 403, "admin_disabled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, tt.method, g.URL+tt.path, tt.give)
			if r.Status != tt.wantStatus {
				t.Fatalf("%s %s = %d %s; want %d", tt.method, tt.path, r.Status, r.Body, tt.wantStatus)
			}
			var env errorEnvelope
			r.decode(t, &env)
			if env.Error.Code != tt.wantCode || env.Error.Message == "" || env.Error.Type == "" {
				t.Errorf("envelope = %+v; want code %q with a message and a type", env.Error, tt.wantCode)
			}
			if r.Header.Get("X-Request-Id") == "" {
				t.Error("no x-request-id on an error answer")
			}
		})
	}
}

func TestQueueFullIs429AndDeadlineIs504(t *testing.T) {
	fake := newFakeRuntime(4, 8)
	fake.delay.Store(int64(300 * time.Millisecond))
	cfg := fakeConfig(t, 4, "a")
	cfg.Models[0].Cache.Size = 0
	cfg.Models[0].Batching.MaxBatchSize = 1
	cfg.Models[0].Batching.MaxQueue = 2
	cfg.Server.RequestTimeout = config.Duration(100 * time.Millisecond)
	g := startGateway(t, cfg, fakeFactory(map[string]*fakeRuntime{"a": fake}))

	var n429, n504, other atomic.Int64
	parallel(20, func(i int) {
		r := do(t, "POST", g.URL+"/v1/classify", map[string]any{"inputs": strings.Repeat("x", i+1)})
		switch r.Status {
		case http.StatusTooManyRequests:
			n429.Add(1)
			if r.Header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
			var env errorEnvelope
			r.decode(t, &env)
			if env.Error.Code != "queue_full" {
				t.Errorf("429 code = %q; want queue_full", env.Error.Code)
			}
		case http.StatusGatewayTimeout:
			n504.Add(1)
		default:
			other.Add(1)
			t.Errorf("status %d %s; want 429 or 504", r.Status, r.Body)
		}
	})
	if n429.Load() == 0 || n504.Load() == 0 {
		t.Errorf("got %d x 429 and %d x 504; want both", n429.Load(), n504.Load())
	}
}

func TestAuthAndRateLimit(t *testing.T) {
	fake := newFakeRuntime(4, 8)
	keys := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(keys, []byte("# keys\nuser-key\nroot-key admin\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := fakeConfig(t, 4, "a")
	cfg.Server.APIKeysFile = keys
	cfg.Server.RateLimit = config.RateLimit{RPS: 0.01, Burst: 2}
	g := startGateway(t, cfg, fakeFactory(map[string]*fakeRuntime{"a": fake}))

	tests := []struct {
		name       string
		method     string
		path       string
		header     []string
		wantStatus int
	}{
		{"no key", "POST", "/v1/classify", nil, 401},
		{"wrong key", "POST", "/v1/classify", []string{"Authorization", "Bearer nope"}, 401},
		{"bearer key", "POST", "/v1/classify", []string{"Authorization", "Bearer user-key"}, 200},
		{"x-api-key", "POST", "/v1/classify", []string{"X-API-Key", "user-key"}, 200},
		{"health needs none", "GET", "/healthz", nil, 200},
		{"metrics needs none", "GET", "/metrics", nil, 200},
		{"dashboard needs none", "GET", "/", nil, 200},
		{"admin with user key", "POST", "/admin/reload", []string{"Authorization", "Bearer user-key"}, 403},
		{"admin with admin key", "POST", "/admin/reload", []string{"Authorization", "Bearer root-key"}, 200},
		// The router ignores case and trailing slashes; so must the auth.
		{"admin upper case", "POST", "/ADMIN/reload", nil, 401},
		{"admin trailing slash", "POST", "/admin/reload/", []string{"Authorization", "Bearer user-key"}, 403},
		{"api upper case", "POST", "/V1/Classify", nil, 401},
		{"tei trailing slash", "POST", "/predict/", nil, 401},
		{"tei upper case", "POST", "/EMBED", nil, 401},
		{"tei info", "GET", "/Info/", nil, 401},
		{"kserve upper case", "POST", "/V2/models/m/infer", nil, 401},
		{"kserve health stays public", "GET", "/v2/health/live/", nil, 200},
	}
	for _, tt := range tests {
		r := do(t, tt.method, g.URL+tt.path, `{"inputs": "hello"}`, tt.header...)
		if r.Status != tt.wantStatus {
			t.Errorf("%s: %s %s = %d %s; want %d", tt.name, tt.method, tt.path, r.Status, r.Body, tt.wantStatus)
		}
		if got := r.Header.Get("WWW-Authenticate"); (r.Status == http.StatusUnauthorized) != strings.HasPrefix(got, "Bearer") {
			t.Errorf("%s: %d with WWW-Authenticate %q; a 401, and only a 401, names the Bearer scheme", tt.name, r.Status, got)
		}
	}

	// The user key has spent its burst of 2 above; the next is refused.
	r := do(t, "POST", g.URL+"/v1/classify", `{"inputs": "hello"}`, "Authorization", "Bearer user-key")
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Errorf("over the rate limit: %d, Retry-After %q; want 429 with Retry-After", r.Status, r.Header.Get("Retry-After"))
	}
	// Another client has its own bucket.
	if r := do(t, "POST", g.URL+"/v1/classify", `{"inputs": "hello"}`, "Authorization", "Bearer root-key"); r.Status != 200 {
		t.Errorf("another key = %d; want 200", r.Status)
	}
}
