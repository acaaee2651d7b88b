package ui_test

// The harness for the browser tests: the real infergate binary, built once
// and run as two gateway processes, and one headless Chromium whose tabs the
// tests drive. Everything is black box: the tests see only HTTP, the page
// and the config file, so they survive changes inside the gateway.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const (
	// userKey may call the API; adminKey may also reload the config.
	userKey  = "ui-test-user-key"
	adminKey = "ui-test-admin-key"
	// backupName is gateway A's replica of the "remote" model: gateway B.
	backupName = "gateway-b"
)

// env is what needGateway sets up for the browser tests.
type env struct {
	root    string // repository root
	bin     string // the built infergate binary
	a, b    *gateway
	browser context.Context // chromedp allocator+browser; tests open tabs in it
}

var shared env // set once by needGateway, read-only afterwards

// gateway is one running `infergate serve`.
type gateway struct {
	url  string
	cmd  *exec.Cmd
	logs *logBuffer
	done chan struct{}
}

// logBuffer collects a gateway's output; tests read it while it grows.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// buildBinary builds cmd/infergate into dir.
func buildBinary(root, dir string) (string, error) {
	bin := filepath.Join(dir, "infergate")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/infergate")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/infergate: %w\n%s", err, out)
	}
	return bin, nil
}

// startGateway runs `infergate serve --config cfg` from the repository root
// (so the project-local ONNX Runtime library is found) and waits until
// /readyz answers 200.
func startGateway(root, bin, cfg, url string) (*gateway, error) {
	g := &gateway{url: url, logs: &logBuffer{}, done: make(chan struct{})}
	g.cmd = exec.Command(bin, "serve", "--config", cfg)
	g.cmd.Dir = root
	g.cmd.Stdout = g.logs
	g.cmd.Stderr = g.logs
	if err := g.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start gateway: %w", err)
	}
	go func() { _ = g.cmd.Wait(); close(g.done) }()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-g.done:
			return nil, fmt.Errorf("gateway exited during start-up: %s\n%s", g.cmd.ProcessState, g.logs)
		case <-time.After(200 * time.Millisecond):
		}
		res, err := http.Get(url + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return g, nil
			}
		}
	}
	g.stop(syscall.SIGKILL)
	return nil, fmt.Errorf("gateway at %s not ready after 90s:\n%s", url, g.logs)
}

// stop signals the gateway and waits for it to exit (SIGKILL after 15s).
func (g *gateway) stop(sig syscall.Signal) {
	if g == nil {
		return
	}
	_ = g.cmd.Process.Signal(sig)
	select {
	case <-g.done:
	case <-time.After(15 * time.Second):
		_ = g.cmd.Process.Kill()
		<-g.done
	}
}

// configs writes the key file and the two gateway configs. Gateway A serves
// "langid" on ONNX Runtime in-process and "remote", whose only replica is
// gateway B reached over the KServe v2 protocol (type triton). Gateway B
// serves langid on ONNX Runtime. Killing B makes A's "remote" replica fail.
func configs(root, dir string, portA, portB int) (cfgA, cfgB string, err error) {
	keys := filepath.Join(dir, "keys.txt")
	if err := os.WriteFile(keys, []byte(userKey+"\n"+adminKey+" admin\n"), 0o600); err != nil {
		return "", "", err
	}
	ref := filepath.Join(root, "deploy", "model_repository", "langid")
	model := fmt.Sprintf(`
    tokenizer: %s
    labels: %s
    max_seq_len: 128`, filepath.Join(ref, "vocab.txt"), filepath.Join(ref, "labels.txt"))
	onnx := fmt.Sprintf(`{name: local, type: onnx, model_path: %s, threads: 1}`, filepath.Join(ref, "1", "model.onnx"))
	a := fmt.Sprintf(`server:
  http_addr: 127.0.0.1:%d
  grpc_addr: ""
  api_keys_file: %s
models:
  - name: langid%s
    backends:
      - %s
  - name: remote%s
    cache: {size: 0}
    # Probes are rare here so that the breaker, not a probe, is what
    # notices gateway B going away.
    breaker: {consecutive_failures: 3, open_timeout: 1h, probe_interval: 1h}
    backends:
      - {name: %s, type: triton, url: "http://127.0.0.1:%d", model: langid, timeout: 2s}
log: {level: warn}
`, portA, keys, model, onnx, model, backupName, portB)
	b := fmt.Sprintf(`server:
  http_addr: 127.0.0.1:%d
  grpc_addr: ""
models:
  - name: langid%s
    backends:
      - %s
log: {level: warn}
`, portB, model, onnx)
	cfgA, cfgB = filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yaml")
	if err := os.WriteFile(cfgA, []byte(a), 0o600); err != nil {
		return "", "", err
	}
	return cfgA, cfgB, os.WriteFile(cfgB, []byte(b), 0o600)
}

// newBrowser starts headless Chromium with a fresh profile.
func newBrowser(profile string) (context.Context, context.CancelFunc, error) {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath()),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(profile),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	// The first Run starts the browser; it lives as long as bctx.
	if err := chromedp.Do(bctx); err != nil {
		cancelBrowser()
		cancelAlloc()
		return nil, nil, fmt.Errorf("start chromium: %w", err)
	}
	return bctx, func() { cancelBrowser(); cancelAlloc() }, nil
}

func chromiumPath() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return "chromium"
}

// tab opens a new tab at width x height on gateway A's dashboard (fragment
// is "#live", "#backends" or ""), enters the API key the way a user would and
// reloads, so the key also has to survive in sessionStorage.
func tab(t *testing.T, width, height int64, fragment string) context.Context {
	t.Helper()
	needGateway(t)
	ctx, cancel := chromedp.NewContext(shared.browser)
	t.Cleanup(cancel)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancelT)
	must(t, chromedp.Do(ctx,
		chromedp.EmulateViewport(width, height),
		chromedp.Navigate(shared.a.url+"/"+fragment),
		chromedp.WaitVisible(chromedp.ID("apikey")),
		chromedp.SendKeys(chromedp.ID("apikey"), userKey),
		chromedp.Reload(),
		chromedp.WaitReady(chromedp.ID("main")),
	))
	if v := eval[string](t, ctx, `document.getElementById("apikey").value`); v != userKey {
		t.Fatalf("after a reload the API key field holds %q; want the key kept in sessionStorage", v)
	}
	return ctx
}

// must fails the test on a chromedp error, with the gateway logs.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%v%s", err, gatewayLog())
	}
}

// gatewayLog is the end of gateway A's log, to explain a failure.
func gatewayLog() string {
	if shared.a == nil {
		return ""
	}
	s := shared.a.logs.String()
	if len(s) > 2000 {
		s = "…" + s[len(s)-2000:]
	}
	return "\ngateway A log tail:\n" + s
}

// api calls gateway A with the user key and decodes the JSON answer into out.
func api(ctx context.Context, method, path string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, shared.a.url+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+userKey)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return res.StatusCode, err
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return res.StatusCode, fmt.Errorf("%s %s: %w: %s", method, path, err, strings.TrimSpace(string(b)))
		}
	}
	return res.StatusCode, nil
}

// eval evaluates a JavaScript expression in the tab (awaiting promises).
func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	must(t, err)
	return v
}

// waitFor polls a JavaScript predicate until it is truthy or the tab's
// deadline passes, then fails the test with what.
func waitFor(t *testing.T, ctx context.Context, what, js string) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(60*time.Second)))
	if err != nil {
		t.Fatalf("waiting for %s: %v%s", what, err, gatewayLog())
	}
}
