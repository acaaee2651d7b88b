package triton

// End-to-end tests with real processes over loopback: gateway A serves the
// reference model on ONNX Runtime; gateway B serves the same model through a
// triton backend pointing at A's KServe v2 endpoint. Both are the real
// `infergate serve` binary, built once per test run.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
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
)

// Files the gateways load, besides modelPath.
const (
	vocabPath  = repoModelDir + "/vocab.txt"
	labelsPath = repoModelDir + "/labels.txt"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// infergateBinary builds cmd/infergate once for the whole test binary.
func infergateBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "infergate-e2e-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "infergate")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/infergate/infergate/cmd/infergate").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// freeAddr reserves a loopback port for a gateway to listen on.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// gateway is one `infergate serve` process.
type gateway struct {
	name      string
	httpAddr  string
	grpcAddr  string
	bin, conf string
	cmd       *exec.Cmd
	waited    chan struct{}
	log       *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// backendYAML is one backends entry.
type backendYAML struct{ name, typ, url string }

// gatewayConfig writes a config serving langid from the given backends, with
// the cache off (every request reaches a backend) and a breaker that opens
// after 3 failures and tries again after 1 s.
func gatewayConfig(t testing.TB, backends ...backendYAML) string {
	t.Helper()
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	var b strings.Builder
	fmt.Fprintf(&b, "models:\n  - name: langid\n    tokenizer: %s\n    labels: %s\n", abs(vocabPath), abs(labelsPath))
	b.WriteString("    cache: {size: 0}\n")
	b.WriteString("    breaker: {consecutive_failures: 3, open_timeout: 1s, probe_interval: 200ms}\n")
	b.WriteString("    backends:\n")
	for _, be := range backends {
		if be.typ == "onnx" {
			fmt.Fprintf(&b, "      - {name: %s, type: onnx, model_path: %s}\n", be.name, abs(modelPath))
		} else {
			fmt.Fprintf(&b, "      - {name: %s, type: triton, url: %q, model: langid, timeout: 5s}\n", be.name, be.url)
		}
	}
	b.WriteString("log: {level: warn}\n")
	path := filepath.Join(t.TempDir(), "infergate.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// startGateway runs `infergate serve` and waits until /readyz answers 200.
func startGateway(t testing.TB, name, conf string) *gateway {
	t.Helper()
	g := &gateway{name: name, httpAddr: freeAddr(t), grpcAddr: freeAddr(t), bin: infergateBinary(t), conf: conf}
	g.start(t)
	t.Cleanup(func() {
		g.kill()
		if t.Failed() {
			t.Logf("gateway %s log:\n%s", g.name, g.log.String())
		}
	})
	return g
}

func (g *gateway) start(t testing.TB) {
	t.Helper()
	g.log = &syncBuffer{}
	g.cmd = exec.Command(g.bin, "serve", "--config", g.conf, "--http-addr", g.httpAddr, "--grpc-addr", g.grpcAddr)
	g.cmd.Stdout, g.cmd.Stderr = g.log, g.log
	if err := g.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	g.waited = make(chan struct{})
	go func() { _ = g.cmd.Wait(); close(g.waited) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + g.httpAddr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-g.waited:
			t.Fatalf("gateway %s exited: %s", g.name, g.log.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("gateway %s not ready after 60s: %s", g.name, g.log.String())
		}
	}
}

// kill ends the process abruptly (SIGKILL), as a crash would.
func (g *gateway) kill() {
	if g.cmd == nil || g.cmd.Process == nil {
		return
	}
	select {
	case <-g.waited:
		return
	default:
	}
	_ = g.cmd.Process.Signal(syscall.SIGKILL)
	<-g.waited
}

func (g *gateway) url(path string) string { return "http://" + g.httpAddr + path }

type classifyResult struct {
	Label string  `json:"label"`
	Score float64 `json:"score"`
	Top   []struct {
		Label string  `json:"label"`
		Score float64 `json:"score"`
	} `json:"top"`
}

// classify posts texts to /v1/classify.
func classify(ctx context.Context, client *http.Client, g *gateway, texts []string) (int, http.Header, []classifyResult, error) {
	body, _ := json.Marshal(map[string]any{"model": "langid", "inputs": texts, "top_k": 5})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.url("/v1/classify"), bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, resp.Header, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, resp.Header, nil, fmt.Errorf("HTTP %d: %s", resp.StatusCode, data)
	}
	var r struct {
		Results []classifyResult `json:"results"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return resp.StatusCode, resp.Header, nil, err
	}
	return resp.StatusCode, resp.Header, r.Results, nil
}

var e2eTexts = []string{
	"The quick brown fox jumps over the lazy dog.",
	"Le renard brun rapide saute par-dessus le chien paresseux.",
	"Der schnelle braune Fuchs springt über den faulen Hund.",
	"El rápido zorro marrón salta sobre el perro perezoso.",
	"Il veloce volpe marrone salta sopra il cane pigro.",
	"Файл не найден",
	"ok",
}

// TestGatewayThroughTriton: B's answers through the triton backend equal
// A's own, over gRPC and over HTTP.
func TestGatewayThroughTriton(t *testing.T) {
	a := startGateway(t, "A", gatewayConfig(t, backendYAML{name: "local", typ: "onnx"}))
	ctx := context.Background()
	client := &http.Client{Timeout: 30 * time.Second}
	_, _, want, err := classify(ctx, client, a, e2eTexts)
	if err != nil {
		t.Fatalf("A: %v", err)
	}
	for i, r := range want {
		t.Logf("A: %q -> %s %.5f", e2eTexts[i], r.Label, r.Score)
	}
	for _, tt := range []struct{ name, url string }{
		{"grpc", "grpc://" + a.grpcAddr},
		{"http", "http://" + a.httpAddr},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := startGateway(t, "B-"+tt.name, gatewayConfig(t, backendYAML{name: "a", typ: "triton", url: tt.url}))
			_, _, got, err := classify(ctx, client, b, e2eTexts)
			if err != nil {
				t.Fatalf("B: %v", err)
			}
			if len(got) != len(want) {
				t.Fatalf("B answered %d results; want %d", len(got), len(want))
			}
			for i := range want {
				if got[i].Label != want[i].Label || math.Abs(got[i].Score-want[i].Score) > 1e-5 || len(got[i].Top) != len(want[i].Top) {
					t.Errorf("%q: B = %s %.7f, A = %s %.7f", e2eTexts[i], got[i].Label, got[i].Score, want[i].Label, want[i].Score)
					continue
				}
				for j := range want[i].Top {
					if got[i].Top[j].Label != want[i].Top[j].Label || math.Abs(got[i].Top[j].Score-want[i].Top[j].Score) > 1e-5 {
						t.Errorf("%q top[%d]: B = %v, A = %v", e2eTexts[i], j, got[i].Top[j], want[i].Top[j])
					}
				}
			}
		})
	}
}
