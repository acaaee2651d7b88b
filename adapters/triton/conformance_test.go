package triton

import (
	"context"
	"testing"
	"time"

	"github.com/infergate/infergate/adapters"
	"github.com/infergate/infergate/adapters/adapterstest"
	"github.com/infergate/infergate/adapters/onnx"
)

// The reference model and its golden fixture, computed by torch.
const (
	modelPath  = repoModelDir + "/1/model.onnx"
	goldenPath = repoModelDir + "/golden.json"
)

// startReference serves the reference model on ONNX Runtime behind the
// gateway's KServe v2 frontend, over loopback.
func startReference(t *testing.T) frontend {
	t.Helper()
	rt, err := onnx.New(context.Background(), onnx.Options{ModelPath: modelPath})
	if err != nil {
		t.Fatalf("onnx.New: %v", err)
	}
	t.Cleanup(func() { _ = rt.Close() })
	return startFrontend(t, "langid", runtimeModel{rt})
}

// TestConformance runs the adapter conformance suite over both transports
// against a real KServe v2 server: the gateway's own frontend, serving the
// reference model on ONNX Runtime, so the outputs must match torch's golden
// ones after crossing the wire twice.
func TestConformance(t *testing.T) {
	srv := startReference(t)
	for _, tt := range []struct{ name, url string }{
		{"grpc", srv.grpcURL},
		{"http", srv.httpURL},
	} {
		t.Run(tt.name, func(t *testing.T) {
			adapterstest.Run(t, func(t *testing.T) adapters.Runtime {
				c, err := New(context.Background(), Options{URL: tt.url, Model: "langid", Timeout: 30 * time.Second})
				if err != nil {
					t.Fatalf("New(%s) = %v", tt.url, err)
				}
				return c
			}, goldenPath)
		})
	}
}
