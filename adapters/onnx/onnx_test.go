package onnx

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/infergate/infergate/adapters"
	"github.com/infergate/infergate/adapters/adapterstest"
)

// The reference model and its golden fixture, computed by torch.
var (
	modelPath  = filepath.Join("..", "..", "deploy", "model_repository", "langid", "1", "model.onnx")
	goldenPath = filepath.Join("..", "..", "deploy", "model_repository", "langid", "golden.json")
)

// newTestRuntime opens the reference model, failing (not skipping) with the
// fix-it message when the library is missing.
func newTestRuntime(t testing.TB, opts Options) *Runtime {
	t.Helper()
	if opts.ModelPath == "" {
		opts.ModelPath = modelPath
	}
	r, err := New(context.Background(), opts)
	if err != nil {
		t.Fatalf("New(%+v) = %v", opts, err)
	}
	return r
}

func TestConformance(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, tt := range []struct {
		name string
		give Options
	}{
		{"defaults", Options{}},
		{"one thread, basic optimisation", Options{IntraOpThreads: 1, GraphOptimization: "basic"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			adapterstest.Run(t, func(t *testing.T) adapters.Runtime { return newTestRuntime(t, tt.give) }, goldenPath)
		})
	}
}

func TestNewErrors(t *testing.T) {
	defer goleak.VerifyNone(t)
	notModel := filepath.Join(t.TempDir(), "model.onnx")
	if err := os.WriteFile(notModel, []byte("not a model"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		give     Options
		wantKind adapters.Kind
		wantMsg  string
	}{
		{"no model", Options{}, adapters.KindBadInput, "model_path is empty"},
		{"missing model", Options{ModelPath: "no/such/model.onnx"}, adapters.KindBadInput, "no such file"},
		{"not a model", Options{ModelPath: notModel}, adapters.KindBadInput, "load"},
		{"bad optimisation", Options{ModelPath: modelPath, GraphOptimization: "max"}, adapters.KindBadInput, "graph_optimization"},
		{"negative threads", Options{ModelPath: modelPath, IntraOpThreads: -1}, adapters.KindBadInput, "threads"},
		{"missing library", Options{ModelPath: modelPath, LibraryPath: "/no/such/libonnxruntime.so.1"}, adapters.KindUnavailable, "scripts/fetch-ort.sh"},
		{"unusable library", Options{ModelPath: modelPath, LibraryPath: notModel}, adapters.KindUnavailable, "scripts/fetch-ort.sh"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := New(context.Background(), tt.give)
			if err == nil {
				r.Close()
				t.Fatalf("New(%+v) = nil error; want %v", tt.give, tt.wantKind)
			}
			if adapters.KindOf(err) != tt.wantKind || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("New(%+v) = %v (kind %v); want kind %v mentioning %q", tt.give, err, adapters.KindOf(err), tt.wantKind, tt.wantMsg)
			}
		})
	}
}

func TestNewCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := New(ctx, Options{ModelPath: modelPath})
	if adapters.KindOf(err) != adapters.KindTimeout || !errors.Is(err, context.Canceled) {
		t.Errorf("New(cancelled) = %v; want KindTimeout wrapping context.Canceled", err)
	}
}

// TestLibraryFromEnvironment checks $INFERGATE_ORT_LIB is honoured, and that
// a wrong one is an error rather than a silent fallback.
func TestLibraryFromEnvironment(t *testing.T) {
	lib, ok := findLocal()
	if !ok {
		t.Fatalf("no %s above the working directory; %s", localLibrary, fixIt)
	}
	t.Setenv(EnvLibrary, lib)
	r := newTestRuntime(t, Options{})
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvLibrary, "/no/such/lib.so")
	if r, err := New(context.Background(), Options{ModelPath: modelPath}); err == nil {
		r.Close()
		t.Fatalf("New with %s=/no/such/lib.so succeeded; want an error", EnvLibrary)
	} else if !strings.Contains(err.Error(), EnvLibrary) || !strings.Contains(err.Error(), "fetch-ort.sh") {
		t.Errorf("New with a missing %s = %v; want an error naming it and the fix", EnvLibrary, err)
	}
}

// TestSharedEnvironment checks runtimes share the process's one library:
// closing one leaves the others working, a conflicting explicit library is
// refused while one is loaded, and the library loads again after the last
// Close.
func TestSharedEnvironment(t *testing.T) {
	defer goleak.VerifyNone(t)
	ctx := context.Background()
	a := newTestRuntime(t, Options{})
	b := newTestRuntime(t, Options{IntraOpThreads: 1})
	other := filepath.Join(t.TempDir(), "libonnxruntime.so.1")
	if err := os.WriteFile(other, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r, err := New(ctx, Options{ModelPath: modelPath, LibraryPath: other}); err == nil {
		r.Close()
		t.Error("New with a second, different library succeeded; want an error")
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	g, err := adapterstest.LoadGolden(goldenPath)
	if err != nil {
		t.Fatal(err)
	}
	c := g.Cases[0]
	batch := adapters.Batch{Rows: 1, Len: len(c.InputIDs), InputIDs: c.InputIDs, AttentionMask: c.AttentionMask, TokenTypeIDs: c.TokenTypeIDs}
	if _, err := b.Infer(ctx, batch); err != nil {
		t.Fatalf("Infer on b after closing a = %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	c2 := newTestRuntime(t, Options{})
	if _, err := c2.Infer(ctx, batch); err != nil {
		t.Fatalf("Infer after reloading the library = %v", err)
	}
	if err := c2.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestNameVersion(t *testing.T) {
	tests := []struct {
		give, wantName, wantVersion string
	}{
		{"deploy/model_repository/langid/1/model.onnx", "langid", "1"},
		{"/models/bert/12/model.onnx", "bert", "12"},
		{"/models/minilm.onnx", "minilm", "1"},
		{"/models/v1/model.onnx", "model", "1"},
		{"/tmp/TestX/001/tiny.onnx", "tiny", "1"},
	}
	for _, tt := range tests {
		name, version := nameVersion(tt.give)
		if name != tt.wantName || version != tt.wantVersion {
			t.Errorf("nameVersion(%q) = %q, %q; want %q, %q", tt.give, name, version, tt.wantName, tt.wantVersion)
		}
	}
}
