// Package config is the gateway's configuration: one YAML file, every field
// overridable by an INFERGATE_* environment variable, the common ones by
// flags. With no file at all it describes the embedded default: the langid
// reference model on ONNX Runtime at :8080. The doc comments on the fields
// are the user documentation of the YAML keys.
package config

import (
	"fmt"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is the whole gateway configuration.
type Config struct {
	Server Server `yaml:"server"`
	// Models are the models the gateway serves; the first one answers
	// requests that name no model.
	Models  []Model `yaml:"models"`
	CacheL2 CacheL2 `yaml:"cache_l2"`
	Log     Log     `yaml:"log"`
}

// Server holds the listener and request-wide settings.
type Server struct {
	// HTTPAddr is the REST, OpenAI, TEI, KServe v2 HTTP and dashboard listener.
	HTTPAddr string `yaml:"http_addr"`
	// GRPCAddr is the KServe v2 gRPC listener; empty disables it.
	GRPCAddr string `yaml:"grpc_addr"`
	TLS      TLS    `yaml:"tls"`
	// APIKeysFile holds one key per line ("KEY" or "KEY admin"; # comments).
	// Empty: the API is open and the admin routes are closed.
	APIKeysFile string    `yaml:"api_keys_file"`
	RateLimit   RateLimit `yaml:"rate_limit"`
	// MaxBodyBytes is the largest request body; larger ones get 413.
	MaxBodyBytes int `yaml:"max_body_bytes"`
	// MaxInputs is the most texts one request may carry; more get 413.
	MaxInputs int `yaml:"max_inputs"`
	// RequestTimeout bounds each request end to end; past it the answer is 504.
	RequestTimeout Duration `yaml:"request_timeout"`
	// ShutdownTimeout bounds the drain on SIGTERM and of old pipelines on reload.
	ShutdownTimeout Duration `yaml:"shutdown_timeout"`
}

// TLS turns on HTTPS when both files are set.
type TLS struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// RateLimit is a token bucket per client (API key, else remote address).
type RateLimit struct {
	// RPS is the sustained requests per second per client; 0 disables.
	RPS float64 `yaml:"rps"`
	// Burst is the bucket size; 0 means max(1, rps).
	Burst int `yaml:"burst"`
}

// Model is one served model: its tokenizer, post-processing, batching,
// cache, breaker and the replicas (backends) that run it.
type Model struct {
	// Name is the model's name in requests and metrics.
	Name string `yaml:"name"`
	// Tokenizer is a BERT vocab.txt or a HF tokenizer.json.
	Tokenizer string `yaml:"tokenizer"`
	// MaxSeqLen is the most tokens (specials included) one text may have;
	// longer texts are truncated unless the request says truncate: false.
	MaxSeqLen int `yaml:"max_seq_len"`
	// Labels is a file with one class label per line, in logits order;
	// empty names classes LABEL_0, LABEL_1, ...
	Labels string `yaml:"labels"`
	// Pooling turns last_hidden_state into one vector: cls or mean.
	Pooling string `yaml:"pooling"`
	// Normalize L2-normalises embeddings unless a request says otherwise.
	Normalize bool      `yaml:"normalize"`
	Batching  Batching  `yaml:"batching"`
	Cache     Cache     `yaml:"cache"`
	Breaker   Breaker   `yaml:"breaker"`
	Backends  []Backend `yaml:"backends"`
}

// Batching shapes the batches the model's batcher forms.
type Batching struct {
	// MaxBatchSize is the most rows in one batch; 1 turns batching off.
	MaxBatchSize int `yaml:"max_batch_size" json:"max_batch_size"`
	// MaxBatchTokens bounds the padded cost of a batch (rows x longest row).
	MaxBatchTokens int `yaml:"max_batch_tokens" json:"max_batch_tokens"`
	// MaxDelay is how long a partial batch may wait for company while another
	// batch is running. An idle runtime takes queued requests at once
	// (continuous batching): batches grow from requests that arrive while
	// every slot is busy. Raise it only for runtimes that get clearly cheaper
	// per row in bigger batches (a GPU).
	MaxDelay Duration `yaml:"max_delay" json:"max_delay"`
	// HoldWhenIdle makes MaxDelay hold requests on an idle runtime too:
	// fuller batches at low load for up to MaxDelay more latency.
	HoldWhenIdle bool `yaml:"hold_when_idle" json:"hold_when_idle"`
	// MaxQueue is the most queued texts; beyond it requests get 429.
	MaxQueue int `yaml:"max_queue" json:"max_queue"`
	// Timeout bounds one backend call for a batch.
	Timeout Duration `yaml:"timeout" json:"timeout"`
}

// Cache is the in-process L1 result cache of a model.
type Cache struct {
	// Size is the most cached results; 0 disables the cache (L1 and L2).
	Size int `yaml:"size"`
	// TTL is how long a result stays.
	TTL Duration `yaml:"ttl"`
}

// Breaker configures each replica's circuit breaker and readiness probe.
type Breaker struct {
	// ConsecutiveFailures of retryable kinds open the breaker.
	ConsecutiveFailures uint32 `yaml:"consecutive_failures"`
	// OpenTimeout is how long an open breaker waits before a trial call.
	OpenTimeout Duration `yaml:"open_timeout"`
	// ProbeInterval is how often each replica's readiness is checked.
	ProbeInterval Duration `yaml:"probe_interval"`
}

// Backend is one replica of a model in a runtime.
type Backend struct {
	// Name identifies the replica in metrics and /v1/models.
	Name string `yaml:"name"`
	// Type picks the runtime: onnx or triton.
	Type string `yaml:"type"`
	// ModelPath is the .onnx file (onnx).
	ModelPath string `yaml:"model_path"`
	// LibraryPath is the ONNX Runtime shared library (onnx); empty searches.
	LibraryPath string `yaml:"library_path"`
	// Threads is ONNX Runtime's intra-op threads (onnx); 0 is its default.
	Threads int `yaml:"threads"`
	// GraphOptimization is disable, basic, extended or all (onnx).
	GraphOptimization string `yaml:"graph_optimization"`
	// URL is grpc://host:port or http(s)://host:port (triton).
	URL string `yaml:"url"`
	// Model is the model's name on the Triton server (triton).
	Model string `yaml:"model"`
	// Version is the model version on the server; empty is the server's choice.
	Version string `yaml:"version"`
	// Timeout bounds one call to the backend (triton).
	Timeout Duration `yaml:"timeout"`
}

// CacheL2 is the optional Redis cache shared by gateway replicas.
type CacheL2 struct {
	// RedisAddr is host:port; empty disables L2.
	RedisAddr     string `yaml:"redis_addr"`
	RedisPassword string `yaml:"redis_password"`
	RedisDB       int    `yaml:"redis_db"`
	// TTL is how long a result stays in Redis.
	TTL Duration `yaml:"ttl"`
	// Timeout bounds each Redis call; a slow Redis must not slow requests.
	// The default is 200ms: the earlier 50ms made many L2 calls fail under
	// modest load on a busy 2-core host, turning would-be hits into errors;
	// past 200ms a lookup costs more than the inference it would save.
	Timeout Duration `yaml:"timeout"`
}

// Log configures the zap logger.
type Log struct {
	// Level is debug, info, warn or error.
	Level string `yaml:"level"`
	// Format is json or console.
	Format string `yaml:"format"`
}

// Duration is a time.Duration written as "2ms", "10s", "5m" in YAML and env.
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// UnmarshalYAML accepts Go duration strings.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration like 2ms or 10s", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as a string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// String formats like time.Duration.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalJSON writes the duration as a string, for /v1/models and logs.
func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Duration(d).String() + `"`), nil
}

// UnmarshalJSON reads what MarshalJSON writes.
func (d *Duration) UnmarshalJSON(b []byte) error {
	s, err := strconv.Unquote(string(b))
	if err != nil {
		return fmt.Errorf("duration %s is not a string like \"2ms\"", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration like 2ms or 10s", s)
	}
	*d = Duration(v)
	return nil
}
