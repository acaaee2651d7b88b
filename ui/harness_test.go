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
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/infergate/infergate/internal/gatewaytest"
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
	bin     gatewaytest.Binary
	a, b    *gatewaytest.Gateway
	browser context.Context // chromedp allocator+browser; tests open tabs in it
}

var shared env // set once by needGateway, read-only afterwards

// configs writes the key file and the two gateway configs. Gateway A serves
// "langid" on ONNX Runtime in-process and "remote", whose only replica is
// gateway B reached over the KServe v2 protocol (type triton). Gateway B
// serves langid on ONNX Runtime. Killing B makes A's "remote" replica fail.
func configs(root, dir, addrA, addrB string) (cfgA, cfgB string, err error) {
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
  http_addr: %s
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
      - {name: %s, type: triton, url: "http://%s", model: langid, timeout: 2s}
log: {level: warn}
`, addrA, keys, model, onnx, model, backupName, addrB)
	b := fmt.Sprintf(`server:
  http_addr: %s
  grpc_addr: ""
models:
  - name: langid%s
    backends:
      - %s
log: {level: warn}
`, addrB, model, onnx)
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
		chromedp.Navigate(shared.a.URL()+"/"+fragment),
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
	s := shared.a.Logs()
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
	req, err := http.NewRequestWithContext(ctx, method, shared.a.URL()+path, rd)
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
