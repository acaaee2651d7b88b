package proxy_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/infergate/infergate/internal/gatewaytest"
)

// TestSIGTERMAnswersEveryRequestInFlight runs the real binary on the
// reference model, reloads it with SIGHUP, queues requests behind a long max_delay, sends SIGTERM
// while they wait, and checks that every one is answered and the process
// exits cleanly.
func TestSIGTERMAnswersEveryRequestInFlight(t *testing.T) {
	referenceConfig(t) // fails early when the model is missing
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	addr, err := gatewaytest.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(t.TempDir(), "infergate.yaml")
	yaml := fmt.Sprintf(`server: {http_addr: %q, grpc_addr: ""}
models:
  - name: langid
    tokenizer: %s
    labels: %s
    batching: {max_batch_size: 256, max_delay: 400ms, hold_when_idle: true}
    cache: {size: 0}
    backends:
      - {name: local, type: onnx, model_path: %s, threads: 1}
log: {level: warn}
`, addr, abs(filepath.Join(refDir, "vocab.txt")), abs(filepath.Join(refDir, "labels.txt")), abs(filepath.Join(refDir, "1", "model.onnx")))
	if err := os.WriteFile(cfgPath, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}

	var bin gatewaytest.Binary
	t.Cleanup(func() { _ = bin.Remove() })
	g := bin.StartTest(t, gatewaytest.Options{Config: cfgPath, HTTPAddr: addr})
	base := g.URL()

	// SIGHUP re-reads the file.
	if err := os.WriteFile(cfgPath, []byte(strings.Replace(yaml, "max_batch_size: 256", "max_batch_size: 200", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := g.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "max_batch_size 200 after SIGHUP", func() bool {
		res, err := http.Get(base + "/v1/models")
		if err != nil {
			return false
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return strings.Contains(string(b), `"max_batch_size":200`)
	})

	// One connection per request, so that a refused connection and a
	// dropped request cannot be confused with a stale keep-alive.
	fresh := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	const n = 48
	type outcome struct {
		status int
		err    error
		at     time.Time
	}
	results := make(chan outcome, n)
	for i := 0; i < n; i++ {
		go func() {
			body := fmt.Sprintf(`{"inputs": "request number %d is waiting for its batch"}`, i)
			res, err := fresh.Post(base+"/v1/classify", "application/json", strings.NewReader(body))
			if err != nil {
				results <- outcome{err: err, at: time.Now()}
				return
			}
			_, err = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			results <- outcome{status: res.StatusCode, err: err, at: time.Now()}
		}()
	}
	time.Sleep(150 * time.Millisecond) // all sent, all waiting out max_delay
	signalled := time.Now()
	if err := g.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		o := <-results
		switch {
		case o.err != nil:
			t.Errorf("a request in flight at SIGTERM failed: %v", o.err)
		case o.status != http.StatusOK:
			t.Errorf("a request in flight at SIGTERM got %d", o.status)
		case o.at.Before(signalled):
			t.Errorf("a request finished before SIGTERM; max_delay should have held it")
		}
	}
	select {
	case <-g.Done():
		if err := g.Err(); err != nil {
			t.Errorf("exit: %v\n%s", err, g.Logs())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("still running 20s after SIGTERM\n%s", g.Logs())
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Error("the port still accepts connections after exit")
	}
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %v", what, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
