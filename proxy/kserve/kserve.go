// Package kserve is the gateway's KServe v2 (Open Inference Protocol)
// frontend, the protocol Triton speaks: HTTP/REST with JSON and binary
// tensors, and the inference.GRPCInferenceService gRPC service. Clients that
// tokenized their text themselves send input_ids, attention_mask and
// token_type_ids and get logits and last_hidden_state back, so any Triton
// client can use the gateway (and its replica pool) as if it were Triton.
package kserve

import (
	"context"
	"runtime/debug"

	"github.com/infergate/infergate/adapters"
)

// Model is what the frontend needs of a served model; the gateway backs it
// with its replica pool (breakers, balancing, retries).
type Model interface {
	Infer(ctx context.Context, b adapters.Batch) (adapters.Outputs, error)
	Metadata(ctx context.Context) (adapters.Metadata, error)
	Ready() bool
}

// Models looks served models up by name.
type Models interface {
	Model(name string) (Model, bool)
	Names() []string
}

// serverName and extensions are what /v2 and ServerMetadata report.
const serverName = "infergate"

func extensions() []string { return []string{"binary_tensor_data", "model_configuration"} }

// defaultVersion names the only version of a model whose runtime reports none.
const defaultVersion = "1"

func versionOf(md adapters.Metadata) string {
	if md.Version != "" {
		return md.Version
	}
	return defaultVersion
}

// serverVersion is the gateway's module version when the binary carries one.
func serverVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// allReady reports whether every model can serve (and there is one).
func allReady(models Models) bool {
	names := models.Names()
	for _, n := range names {
		m, ok := models.Model(n)
		if !ok || !m.Ready() {
			return false
		}
	}
	return len(names) > 0
}
