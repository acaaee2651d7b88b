package config

import (
	"time"

	"gopkg.in/yaml.v3"
)

// ReferenceDir is the reference model's Triton-layout folder, relative to the
// repository root (the working directory of `make run`).
const ReferenceDir = "deploy/model_repository/langid"

// Default is the embedded default: the langid reference model on ONNX
// Runtime, served at :8080 (HTTP) and :8081 (gRPC).
func Default() Config {
	m := DefaultModel()
	m.Name = "langid"
	m.Tokenizer = ReferenceDir + "/vocab.txt"
	m.Labels = ReferenceDir + "/labels.txt"
	m.Backends = []Backend{{Name: "local", Type: "onnx", ModelPath: ReferenceDir + "/1/model.onnx", Timeout: Duration(5 * time.Second)}}
	return Config{
		Server: Server{
			HTTPAddr:        ":8080",
			GRPCAddr:        ":8081",
			MaxBodyBytes:    1 << 20,
			MaxInputs:       256,
			RequestTimeout:  Duration(10 * time.Second),
			ShutdownTimeout: Duration(30 * time.Second),
		},
		Models:  []Model{m},
		CacheL2: CacheL2{TTL: Duration(10 * time.Minute), Timeout: Duration(200 * time.Millisecond)},
		Log:     Log{Level: "info", Format: "json"},
	}
}

// DefaultModel holds the per-model defaults that a model entry in a file
// starts from; the file only states what differs.
func DefaultModel() Model {
	return Model{
		MaxSeqLen: 128,
		Pooling:   "mean",
		Normalize: true,
		Batching: Batching{
			MaxBatchSize:   32,
			MaxBatchTokens: 8192,
			MaxDelay:       Duration(2 * time.Millisecond),
			MaxQueue:       2048,
			Timeout:        Duration(5 * time.Second),
		},
		Cache: Cache{Size: 100000, TTL: Duration(10 * time.Minute)},
		Breaker: Breaker{
			ConsecutiveFailures: 5,
			OpenTimeout:         Duration(10 * time.Second),
			ProbeInterval:       Duration(2 * time.Second),
		},
	}
}

// UnmarshalYAML starts a model entry from DefaultModel, so a file only
// states what differs.
func (m *Model) UnmarshalYAML(n *yaml.Node) error {
	*m = DefaultModel()
	type plain Model
	return n.Decode((*plain)(m))
}

// UnmarshalYAML starts a backend entry with a 5s call timeout.
func (b *Backend) UnmarshalYAML(n *yaml.Node) error {
	*b = Backend{Timeout: Duration(5 * time.Second)}
	type plain Backend
	return n.Decode((*plain)(b))
}
