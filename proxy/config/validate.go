package config

import (
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
)

var modelName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// Validate reports every problem at once, each naming its YAML path.
func (c Config) Validate() error {
	var errs []error
	bad := func(path, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...)))
	}
	s := c.Server
	if _, _, err := net.SplitHostPort(s.HTTPAddr); err != nil {
		bad("server.http_addr", "%q is not host:port", s.HTTPAddr)
	}
	if s.GRPCAddr != "" {
		if _, _, err := net.SplitHostPort(s.GRPCAddr); err != nil {
			bad("server.grpc_addr", "%q is not host:port", s.GRPCAddr)
		}
	}
	if (s.TLS.CertFile == "") != (s.TLS.KeyFile == "") {
		bad("server.tls", "set both cert_file and key_file, or neither")
	}
	if s.APIKeysFile != "" {
		fileExists(bad, "server.api_keys_file", s.APIKeysFile)
	}
	if s.RateLimit.RPS < 0 || s.RateLimit.Burst < 0 {
		bad("server.rate_limit", "rps and burst must not be negative")
	}
	if s.MaxBodyBytes <= 0 {
		bad("server.max_body_bytes", "must be positive, got %d", s.MaxBodyBytes)
	}
	if s.MaxInputs <= 0 {
		bad("server.max_inputs", "must be positive, got %d", s.MaxInputs)
	}
	if s.RequestTimeout <= 0 {
		bad("server.request_timeout", "must be positive")
	}
	if s.ShutdownTimeout <= 0 {
		bad("server.shutdown_timeout", "must be positive")
	}
	if len(c.Models) == 0 {
		bad("models", "at least one model is needed")
	}
	names := map[string]bool{}
	for i, m := range c.Models {
		p := fmt.Sprintf("models[%d]", i)
		if !modelName.MatchString(m.Name) {
			bad(p+".name", "%q must be 1-128 letters, digits, '.', '_' or '-'", m.Name)
		} else if names[m.Name] {
			bad(p+".name", "%q is used twice", m.Name)
		}
		names[m.Name] = true
		errs = append(errs, m.validate(p))
	}
	if c.CacheL2.RedisAddr != "" {
		if _, _, err := net.SplitHostPort(c.CacheL2.RedisAddr); err != nil {
			bad("cache_l2.redis_addr", "%q is not host:port", c.CacheL2.RedisAddr)
		}
		if c.CacheL2.TTL <= 0 || c.CacheL2.Timeout <= 0 {
			bad("cache_l2", "ttl and timeout must be positive")
		}
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "%q is not debug, info, warn or error", c.Log.Level)
	}
	if c.Log.Format != "json" && c.Log.Format != "console" {
		bad("log.format", "%q is not json or console", c.Log.Format)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("invalid config:\n%w", err)
	}
	return nil
}

func (m Model) validate(p string) error {
	var errs []error
	bad := func(path, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...)))
	}
	if m.Tokenizer == "" {
		bad(p+".tokenizer", "a vocab.txt or tokenizer.json is needed")
	} else {
		fileExists(bad, p+".tokenizer", m.Tokenizer)
	}
	if m.Labels != "" {
		fileExists(bad, p+".labels", m.Labels)
	}
	if m.MaxSeqLen < 3 || m.MaxSeqLen > 1<<16 {
		bad(p+".max_seq_len", "%d is outside 3..65536", m.MaxSeqLen)
	}
	if m.Pooling != "cls" && m.Pooling != "mean" {
		bad(p+".pooling", "%q is not cls or mean", m.Pooling)
	}
	b := m.Batching
	if b.MaxBatchSize < 1 {
		bad(p+".batching.max_batch_size", "must be at least 1")
	}
	if b.MaxBatchTokens < m.MaxSeqLen {
		bad(p+".batching.max_batch_tokens", "%d is below max_seq_len %d: a long text would never fit", b.MaxBatchTokens, m.MaxSeqLen)
	}
	if b.MaxDelay < 0 {
		bad(p+".batching.max_delay", "must not be negative")
	}
	if b.MaxQueue < 1 {
		bad(p+".batching.max_queue", "must be at least 1")
	}
	if b.Timeout <= 0 {
		bad(p+".batching.timeout", "must be positive")
	}
	if m.Cache.Size < 0 || (m.Cache.Size > 0 && m.Cache.TTL <= 0) {
		bad(p+".cache", "size must not be negative and ttl must be positive")
	}
	if m.Breaker.ConsecutiveFailures < 1 || m.Breaker.OpenTimeout <= 0 || m.Breaker.ProbeInterval <= 0 {
		bad(p+".breaker", "consecutive_failures, open_timeout and probe_interval must be positive")
	}
	if len(m.Backends) == 0 {
		bad(p+".backends", "at least one backend is needed")
	}
	seen := map[string]bool{}
	for j, be := range m.Backends {
		bp := fmt.Sprintf("%s.backends[%d]", p, j)
		if be.Name == "" {
			bad(bp+".name", "is empty")
		} else if seen[be.Name] {
			bad(bp+".name", "%q is used twice", be.Name)
		}
		seen[be.Name] = true
		switch be.Type {
		case "onnx":
			if be.ModelPath == "" {
				bad(bp+".model_path", "an onnx backend needs its .onnx file")
			} else {
				fileExists(bad, bp+".model_path", be.ModelPath)
			}
			switch be.GraphOptimization {
			case "", "disable", "basic", "extended", "all":
			default:
				bad(bp+".graph_optimization", "%q is not disable, basic, extended or all", be.GraphOptimization)
			}
			if be.Threads < 0 {
				bad(bp+".threads", "must not be negative")
			}
		case "triton":
			if be.URL == "" || be.Model == "" {
				bad(bp, "a triton backend needs url and model")
			}
		case "":
			bad(bp+".type", "is empty (onnx or triton)")
		}
		if be.Timeout <= 0 {
			bad(bp+".timeout", "must be positive")
		}
	}
	return errors.Join(errs...)
}

func fileExists(bad func(string, string, ...any), path, file string) {
	if st, err := os.Stat(file); err != nil {
		bad(path, "%v", err)
	} else if st.IsDir() {
		bad(path, "%s is a folder, not a file", file)
	}
}
