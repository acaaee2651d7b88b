package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// fixture writes the files a valid config points at and returns their folder.
func fixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"vocab.txt", "labels.txt", "model.onnx", "keys"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func writeYAML(t *testing.T, dir, body string) string {
	t.Helper()
	p := filepath.Join(dir, "infergate.yaml")
	body = strings.ReplaceAll(body, "DIR", dir)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const minimal = `
models:
  - name: m
    tokenizer: DIR/vocab.txt
    labels: DIR/labels.txt
    backends:
      - {name: a, type: onnx, model_path: DIR/model.onnx}
`

func TestLoadFileStartsFromDefaults(t *testing.T) {
	dir := fixture(t)
	cfg, err := Load(Source{Path: writeYAML(t, dir, minimal+"server: {http_addr: \":9999\"}\n")})
	if err != nil {
		t.Fatal(err)
	}
	m := cfg.Models[0]
	checks := []struct {
		name      string
		got, want any
	}{
		{"http_addr", cfg.Server.HTTPAddr, ":9999"},
		{"grpc_addr kept", cfg.Server.GRPCAddr, ":8081"},
		{"request_timeout kept", cfg.Server.RequestTimeout.D(), 10 * time.Second},
		{"max_seq_len default", m.MaxSeqLen, 128},
		{"max_delay default", m.Batching.MaxDelay.D(), 2 * time.Millisecond},
		{"cache size default", m.Cache.Size, 100000},
		{"normalize default", m.Normalize, true},
		{"backend timeout default", m.Backends[0].Timeout.D(), 5 * time.Second},
		{"cache_l2 timeout default", cfg.CacheL2.Timeout.D(), 200 * time.Millisecond},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v; want %v", c.name, c.got, c.want)
		}
	}
}

func TestPrecedenceFlagsOverEnvOverFile(t *testing.T) {
	dir := fixture(t)
	path := writeYAML(t, dir, minimal+`server: {http_addr: ":1111", grpc_addr: ":1112"}
log: {level: warn}
`)
	cfg, err := Load(Source{
		Path: path,
		Environ: []string{
			"INFERGATE_HTTP_ADDR=:2222",
			"INFERGATE_SERVER_GRPC_ADDR=:2223",
			"INFERGATE_MODELS_0_BATCHING_MAX_DELAY=7ms",
			"INFERGATE_MODELS_0_BREAKER_CONSECUTIVE_FAILURES=9",
			"INFERGATE_SERVER_RATE_LIMIT_RPS=2.5",
			"INFERGATE_ORT_LIB=/somewhere/else.so", // another reader's variable
			"PATH=/bin",
		},
		Set: map[string]string{"server.http_addr": ":3333"},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"flag beats env and file", cfg.Server.HTTPAddr, ":3333"},
		{"env beats file", cfg.Server.GRPCAddr, ":2223"},
		{"file beats default", cfg.Log.Level, "warn"},
		{"nested duration from env", cfg.Models[0].Batching.MaxDelay.D(), 7 * time.Millisecond},
		{"uint from env", cfg.Models[0].Breaker.ConsecutiveFailures, uint32(9)},
		{"float from env", cfg.Server.RateLimit.RPS, 2.5},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %v; want %v", tt.name, tt.got, tt.want)
		}
	}
}

func TestLoadRejects(t *testing.T) {
	dir := fixture(t)
	tests := []struct {
		name    string
		give    string
		env     []string
		wantErr string
	}{
		{"unknown top-level field", minimal + "serverr: {}\n", nil, `line 8: unknown field "serverr" in the top level`},
		{"unknown nested field", strings.Replace(minimal, "labels:", "batching: {max_dealy: 2ms}\n    labels:", 1), nil, `unknown field "max_dealy" in models[0].batching`},
		{"unknown backend field", strings.Replace(minimal, "model_path:", "modle_path: x, model_path:", 1), nil, `unknown field "modle_path" in models[0].backends[0]`},
		{"bad duration", minimal + "server: {request_timeout: soon}\n", nil, `"soon" is not a duration`},
		{"bad env duration", minimal, []string{"INFERGATE_SERVER_REQUEST_TIMEOUT=later"}, "INFERGATE_SERVER_REQUEST_TIMEOUT"},
		{"bad env int", minimal, []string{"INFERGATE_MODELS_0_MAX_SEQ_LEN=many"}, `"many" is not an integer`},
		{"missing tokenizer file", strings.Replace(minimal, "DIR/vocab.txt", "DIR/nope.txt", 1), nil, "models[0].tokenizer"},
		{"bad pooling", strings.Replace(minimal, "labels:", "pooling: max\n    labels:", 1), nil, `"max" is not cls or mean`},
		{"budget below max_seq_len", strings.Replace(minimal, "labels:", "batching: {max_batch_tokens: 64}\n    labels:", 1), nil, "below max_seq_len"},
		{"no backends", "models: [{name: m, tokenizer: DIR/vocab.txt, backends: []}]\n", nil, "at least one backend"},
		{"duplicate model", "models: [{name: m, tokenizer: DIR/vocab.txt, backends: [{name: a, type: triton, url: 'grpc://x:1', model: m}]}, {name: m, tokenizer: DIR/vocab.txt, backends: [{name: a, type: triton, url: 'grpc://x:1', model: m}]}]\n", nil, `"m" is used twice`},
		{"triton without url", strings.Replace(minimal, "type: onnx, model_path: DIR/model.onnx", "type: triton", 1), nil, "needs url and model"},
		{"bad addr", minimal + "server: {http_addr: nowhere}\n", nil, `"nowhere" is not host:port`},
		{"bad log level", minimal + "log: {level: loud}\n", nil, `"loud" is not debug`},
		{"half tls", minimal + "server: {tls: {cert_file: DIR/keys}}\n", nil, "set both"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(Source{Path: writeYAML(t, dir, tt.give), Environ: tt.env})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Load() error = %v; want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestDefaultNeedsNoFile(t *testing.T) {
	cfg := Default()
	if len(cfg.Models) != 1 || cfg.Models[0].Name != "langid" || cfg.Models[0].Backends[0].Type != "onnx" {
		t.Fatalf("Default() models = %+v; want the langid reference model on onnx", cfg.Models)
	}
	if cfg.Server.HTTPAddr != ":8080" {
		t.Errorf("Default() http_addr = %q; want :8080", cfg.Server.HTTPAddr)
	}
}

func TestDefaultIsValidWithTheReferenceFiles(t *testing.T) {
	dir := fixture(t)
	cfg := Default()
	cfg.Models[0].Tokenizer = filepath.Join(dir, "vocab.txt")
	cfg.Models[0].Labels = filepath.Join(dir, "labels.txt")
	cfg.Models[0].Backends[0].ModelPath = filepath.Join(dir, "model.onnx")
	if err := cfg.Validate(); err != nil {
		t.Fatalf("Default() with its files present: %v", err)
	}
}

func TestSetUnknownKey(t *testing.T) {
	_, err := Load(Source{Set: map[string]string{"server.nope": "1"}})
	if err == nil || !strings.Contains(err.Error(), `no setting "server.nope"`) {
		t.Fatalf("Load() error = %v; want no setting", err)
	}
}

// TestExampleIsTheDefault loads the documented example (README.md shows the
// same file) from the repository root, where its relative paths point, and
// checks that it spells out exactly the defaults.
func TestExampleIsTheDefault(t *testing.T) {
	example, err := filepath.Abs("testdata/infergate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir("../..")
	got, err := Load(Source{Path: example})
	if err != nil {
		t.Fatalf("Load(example): %v", err)
	}
	want := Default()
	want.Models[0].Backends[0].GraphOptimization = "all" // the example names ONNX Runtime's default
	gy, _ := yaml.Marshal(got)
	wy, _ := yaml.Marshal(want)
	if string(gy) != string(wy) {
		t.Errorf("the example differs from Default():\n%s\nwant\n%s", gy, wy)
	}
}
