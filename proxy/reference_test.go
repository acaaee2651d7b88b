package proxy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/infergate/infergate/adapters"
	"github.com/infergate/infergate/adapters/onnx"
	"github.com/infergate/infergate/proxy"
	"github.com/infergate/infergate/proxy/config"
)

// onnxFactory opens the real ONNX Runtime adapter, as cmd wires it.
var onnxFactory = map[string]proxy.RuntimeFactory{
	"onnx": func(ctx context.Context, b config.Backend) (adapters.Runtime, error) {
		return onnx.New(ctx, onnx.Options{ModelPath: b.ModelPath, LibraryPath: b.LibraryPath, IntraOpThreads: b.Threads})
	},
}

// referenceConfig serves the reference model (deploy/model_repository/langid)
// on ONNX Runtime, without a cache so every request runs the model.
func referenceConfig(t *testing.T) config.Config {
	t.Helper()
	model := filepath.Join(refDir, "1", "model.onnx")
	if _, err := os.Stat(model); err != nil {
		t.Fatalf("the reference model is missing (%v); it is committed under %s", err, config.ReferenceDir)
	}
	cfg := config.Default()
	cfg.Server.HTTPAddr = "127.0.0.1:0"
	cfg.Server.GRPCAddr = ""
	m := &cfg.Models[0]
	m.Tokenizer = filepath.Join(refDir, "vocab.txt")
	m.Labels = filepath.Join(refDir, "labels.txt")
	m.Backends[0].ModelPath = model
	m.Backends[0].Threads = 1
	m.Cache.Size = 0
	return cfg
}

// consistencyTexts mix lengths from one token to past max_seq_len.
var consistencyTexts = []string{
	"Hello",
	"Bonjour tout le monde, comment allez-vous aujourd'hui ?",
	"Der schnelle braune Fuchs springt über den faulen Hund.",
	"¿Dónde está la biblioteca?",
	"The file could not be opened because it does not exist or you do not have permission to read it.",
	"Impossibile aprire il file",
	strings.Repeat("Dette er en lang tekst på norsk som gjentas mange ganger. ", 30),
	"ok",
	"Não foi possível conectar ao servidor.",
	"Nie można otworzyć pliku: brak uprawnień",
	"De bestand kon niet worden gevonden in de opgegeven map.",
	"x",
}

type scores map[string]float64

func classifyAll(t *testing.T, g *gateway, texts []string) []scores {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"inputs": texts, "top_k": 1000})
	r := do(t, "POST", g.URL+"/v1/classify", body)
	if r.Status != 200 {
		t.Fatalf("classify: %d %s", r.Status, r.Body)
	}
	var got struct {
		Results []struct {
			Label string `json:"label"`
			Top   []struct {
				Label string  `json:"label"`
				Score float64 `json:"score"`
			} `json:"top"`
		} `json:"results"`
	}
	r.decode(t, &got)
	out := make([]scores, len(got.Results))
	for i, res := range got.Results {
		out[i] = scores{"label:" + res.Label: 1}
		for _, ls := range res.Top {
			out[i][ls.Label] = ls.Score
		}
	}
	return out
}

func sameScores(t *testing.T, what string, got, want scores) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d labels; want %d", what, len(got), len(want))
	}
	for l, w := range want {
		if g, ok := got[l]; !ok || math.Abs(g-w) > 1e-5 {
			t.Fatalf("%s: %s = %v; want %v (within 1e-5)", what, l, g, w)
		}
	}
}

func TestScoresDoNotDependOnBatching(t *testing.T) {
	cfg := referenceConfig(t)
	cfg.Models[0].Batching.MaxDelay = config.Duration(5 * time.Millisecond)
	cfg.Models[0].Batching.HoldWhenIdle = true // texts must share batches
	g := startGateway(t, cfg, onnxFactory)

	alone := make([]scores, len(consistencyTexts))
	for i, text := range consistencyTexts {
		alone[i] = classifyAll(t, g, []string{text})[0]
	}
	mixed := classifyAll(t, g, consistencyTexts)
	for i := range consistencyTexts {
		sameScores(t, fmt.Sprintf("text %d in a mixed-length request", i), mixed[i], alone[i])
	}

	const n = 300
	picks := make([]int, n)
	for i := range picks {
		picks[i] = rand.IntN(len(consistencyTexts))
	}
	got := make([]scores, n)
	parallel(n, func(i int) {
		r := classifyAllNoFatal(t, g, consistencyTexts[picks[i]])
		got[i] = r
	})
	for i := range got {
		if got[i] != nil {
			sameScores(t, fmt.Sprintf("text %d among %d concurrent requests", picks[i], n), got[i], alone[picks[i]])
		}
	}
	var batches struct {
		BatchRows *float64 `json:"batch_rows"`
	}
	time.Sleep(1100 * time.Millisecond)
	do(t, "GET", g.URL+"/v1/stats?recent=60", nil).decode(t, &batches)
	if batches.BatchRows == nil || *batches.BatchRows < 2 {
		t.Errorf("mean batch rows %v; the concurrent requests should have shared batches", batches.BatchRows)
	}
}

// classifyAllNoFatal is classifyAll for goroutines other than the test's.
func classifyAllNoFatal(t *testing.T, g *gateway, text string) scores {
	body, _ := json.Marshal(map[string]any{"inputs": text, "top_k": 1000})
	r := do(t, "POST", g.URL+"/v1/classify", body)
	if r.Status != 200 {
		t.Errorf("classify: %d %s", r.Status, r.Body)
		return nil
	}
	var got struct {
		Results []struct {
			Label string `json:"label"`
			Top   []struct {
				Label string  `json:"label"`
				Score float64 `json:"score"`
			} `json:"top"`
		} `json:"results"`
	}
	if err := json.Unmarshal(r.Body, &got); err != nil || len(got.Results) != 1 {
		t.Errorf("classify body %s: %v", r.Body, err)
		return nil
	}
	s := scores{"label:" + got.Results[0].Label: 1}
	for _, ls := range got.Results[0].Top {
		s[ls.Label] = ls.Score
	}
	return s
}

func TestOfficialOpenAIClientGetsTheEmbedVectors(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is needed for the OpenAI client test (scripts/install-deps.sh installs it): %v", err)
	}
	if _, err := os.Stat("testdata/openai/node_modules/openai"); err != nil {
		t.Fatalf("the openai npm package is missing (scripts/install-deps.sh runs npm ci in proxy/testdata/openai): %v", err)
	}
	g := startGateway(t, referenceConfig(t), onnxFactory)
	texts := []string{"Hello world", "Bonjour le monde, ceci est un texte un peu plus long.", "¡Hola!"}

	var want struct {
		Embeddings [][]float64 `json:"embeddings"`
	}
	body, _ := json.Marshal(map[string]any{"inputs": texts})
	do(t, "POST", g.URL+"/v1/embed", body).decode(t, &want)

	textsJSON, _ := json.Marshal(texts)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "testdata/openai/embeddings.mjs", g.URL+"/v1", "langid", string(textsJSON))
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("node client: %v\n%s", err, stderr)
	}
	var got map[string]json.RawMessage
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("node output %s: %v", out, err)
	}
	for _, format := range []string{"float", "base64", "default", "single"} {
		var vecs [][]float64
		if err := json.Unmarshal(got[format], &vecs); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		wantN := len(texts)
		if format == "single" {
			wantN = 1
		}
		if len(vecs) != wantN {
			t.Fatalf("%s: %d vectors; want %d", format, len(vecs), wantN)
		}
		for i, v := range vecs {
			if len(v) != len(want.Embeddings[i]) {
				t.Fatalf("%s[%d]: %d values; want %d", format, i, len(v), len(want.Embeddings[i]))
			}
			for j := range v {
				if float32(v[j]) != float32(want.Embeddings[i][j]) {
					t.Fatalf("%s[%d][%d] = %v; /v1/embed says %v", format, i, j, v[j], want.Embeddings[i][j])
				}
			}
		}
	}
	var usage struct {
		PromptTokens int `json:"prompt_tokens"`
	}
	if err := json.Unmarshal(got["usage"], &usage); err != nil || usage.PromptTokens == 0 {
		t.Errorf("usage = %s; want prompt tokens", got["usage"])
	}
}
