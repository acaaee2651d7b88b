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
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/infergate/infergate/internal/gatewaytest"
)

// Files the gateways load, besides modelPath.
const (
	vocabPath  = repoModelDir + "/vocab.txt"
	labelsPath = repoModelDir + "/labels.txt"
)

// bin is the gateway binary every test here runs; TestMain removes it.
var bin gatewaytest.Binary

// gateway is one `infergate serve` process on fixed addresses, so that a
// test can kill it and start it again where its clients expect it.
type gateway struct {
	name     string
	httpAddr string
	grpcAddr string
	conf     string
	proc     *gatewaytest.Gateway
}

// backendYAML is one backends entry.
type backendYAML struct{ name, typ, url string }

// gatewayConfig writes a config serving langid from the given backends, with
// the cache off (every request reaches a backend) and a breaker that opens
// after 3 failures and tries again after 1 s. Probes are slower than the
// load's failures, so that the fault tests see the breaker, not a probe,
// take a dead upstream out.
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
	b.WriteString("    breaker: {consecutive_failures: 3, open_timeout: 1s, probe_interval: 5s}\n")
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
	g := &gateway{name: name, httpAddr: freeAddr(t), grpcAddr: freeAddr(t), conf: conf}
	g.start(t)
	return g
}

func (g *gateway) start(t testing.TB) {
	t.Helper()
	g.proc = bin.StartTest(t, gatewaytest.Options{
		Name:     g.name,
		Config:   g.conf,
		HTTPAddr: g.httpAddr,
		Args:     []string{"--http-addr", g.httpAddr, "--grpc-addr", g.grpcAddr},
	})
}

func freeAddr(t testing.TB) string {
	t.Helper()
	addr, err := gatewaytest.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

// kill ends the process abruptly (SIGKILL), as a crash would.
func (g *gateway) kill() { g.proc.Kill() }

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
