package gatewaytest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

var bin Binary

func TestMain(m *testing.M) {
	code := m.Run()
	_ = bin.Remove()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

const refDir = "../../deploy/model_repository/langid"

// writeConfig writes a config serving the reference model on addr.
func writeConfig(t *testing.T, addr string) string {
	t.Helper()
	ref, err := filepath.Abs(refDir)
	if err != nil {
		t.Fatal(err)
	}
	yaml := fmt.Sprintf(`server: {http_addr: %q, grpc_addr: ""}
models:
  - name: langid
    tokenizer: %s
    labels: %s
    backends:
      - {name: local, type: onnx, model_path: %s, threads: 1}
log: {level: info}
`, addr, filepath.Join(ref, "vocab.txt"), filepath.Join(ref, "labels.txt"), filepath.Join(ref, "1", "model.onnx"))
	path := filepath.Join(t.TempDir(), "infergate.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func freeAddr(t *testing.T) string {
	t.Helper()
	addr, err := FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

func TestFreeAddrIsListenable(t *testing.T) {
	addr := freeAddr(t)
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("Listen(%s) = %v; want the free address usable", addr, err)
	}
	l.Close()
}

// TestStartStop: a started gateway is ready, takes signals, logs, and exits
// cleanly on Stop; Stop and Kill after the exit do nothing.
func TestStartStop(t *testing.T) {
	addr := freeAddr(t)
	g := bin.StartTest(t, Options{Name: "ok", Config: writeConfig(t, addr), HTTPAddr: addr})
	if got, want := g.URL(), "http://"+addr; got != want {
		t.Errorf("URL() = %q; want %q", got, want)
	}
	res, err := http.Get(g.URL() + "/readyz")
	if err != nil {
		t.Fatalf("GET /readyz after Start: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /readyz after Start = %d; want 200", res.StatusCode)
	}
	http.DefaultClient.CloseIdleConnections()
	if err := g.Signal(syscall.Signal(0)); err != nil {
		t.Errorf("Signal(0) to a running gateway = %v; want nil", err)
	}
	if err := g.Stop(30 * time.Second); err != nil {
		t.Errorf("Stop = %v; want a clean exit", err)
	}
	select {
	case <-g.Done():
	default:
		t.Fatal("Done() not closed after Stop")
	}
	if err := g.Err(); err != nil {
		t.Errorf("Err() = %v; want nil after a clean exit", err)
	}
	if logs := g.Logs(); !strings.Contains(logs, `"shut down"`) {
		t.Errorf("Logs() after exit = %q; want the gateway's info-level lines up to shut down", logs)
	}
	g.Kill()
	if err := g.Stop(time.Second); err != nil {
		t.Errorf("Stop after exit = %v; want nil", err)
	}
}

// TestStartFails: every way a start can fail returns an error that says
// why, and leaves no process behind (goleak in TestMain sees the waiter).
func TestStartFails(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tt := range []struct {
		name    string
		ctx     context.Context
		config  func(t *testing.T, addr string) string
		timeout time.Duration
		want    string
		wantErr error
	}{
		{
			name:   "missing config",
			ctx:    context.Background(),
			config: func(t *testing.T, _ string) string { return filepath.Join(t.TempDir(), "none.yaml") },
			want:   "exited before it was ready",
		},
		{
			name:    "cancelled",
			ctx:     cancelled,
			config:  writeConfig,
			want:    "not ready",
			wantErr: context.Canceled,
		},
		{
			name:    "timeout",
			ctx:     context.Background(),
			config:  writeConfig,
			timeout: time.Nanosecond,
			want:    "not ready",
			wantErr: context.DeadlineExceeded,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			addr := freeAddr(t)
			g, err := bin.Start(tt.ctx, Options{Name: tt.name, Config: tt.config(t, addr), HTTPAddr: addr, ReadyTimeout: tt.timeout})
			if err == nil {
				g.Kill()
				t.Fatal("Start succeeded; want an error")
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.name) {
				t.Errorf("Start error = %v; want it to name the gateway and say %q", err, tt.want)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Start error = %v; want errors.Is %v", err, tt.wantErr)
			}
		})
	}
}
