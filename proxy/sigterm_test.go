package proxy_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildBinary compiles cmd/infergate into a temporary folder.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "infergate")
	cmd := exec.Command("go", "build", "-o", bin, "../cmd/infergate")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

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
	addr := freeAddr(t)
	cfgPath := filepath.Join(t.TempDir(), "infergate.yaml")
	yaml := fmt.Sprintf(`server: {http_addr: %q, grpc_addr: ""}
models:
  - name: langid
    tokenizer: %s
    labels: %s
    batching: {max_batch_size: 256, max_delay: 400ms}
    cache: {size: 0}
    backends:
      - {name: local, type: onnx, model_path: %s, threads: 1}
log: {level: warn}
`, addr, abs(filepath.Join(refDir, "vocab.txt")), abs(filepath.Join(refDir, "labels.txt")), abs(filepath.Join(refDir, "1", "model.onnx")))
	if err := os.WriteFile(cfgPath, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}

	bin := buildBinary(t)
	var logs bytes.Buffer
	cmd := exec.Command(bin, "serve", "--config", cfgPath)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	base := "http://" + addr
	waitReady(t, base+"/readyz", exited, &logs)

	// SIGHUP re-reads the file.
	if err := os.WriteFile(cfgPath, []byte(strings.Replace(yaml, "max_batch_size: 256", "max_batch_size: 200", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
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
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
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
	case err := <-exited:
		if err != nil {
			t.Errorf("exit: %v\n%s", err, logs.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("still running 20s after SIGTERM\n%s", logs.String())
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

func waitReady(t *testing.T, url string, exited <-chan error, logs *bytes.Buffer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for {
		select {
		case err := <-exited:
			t.Fatalf("the gateway exited before it was ready: %v\n%s", err, logs.String())
		case <-ctx.Done():
			t.Fatalf("not ready within a minute\n%s", logs.String())
		case <-time.After(100 * time.Millisecond):
		}
		if res, err := http.Get(url); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
	}
}
