package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBenchTarget(t *testing.T) {
	tests := []struct {
		name    string
		give    benchFlags
		wantURL string
		wantErr string
	}{
		{"route", benchFlags{url: "http://h:1", target: "/v1/embed"}, "http://h:1/v1/embed", ""},
		{"tei", benchFlags{url: "http://h:1", target: "tei-predict"}, "http://h:1/predict", ""},
		{"kserve", benchFlags{url: "http://h:1", target: "kserve", model: "m"}, "http://h:1/v2/models/m/infer", ""},
		{"generic", benchFlags{url: "http://h:1/x", target: "generic", body: `{"t": {{text}}}`, headers: []string{"Authorization: Bearer k"}}, "http://h:1/x", ""},
		{"unknown route", benchFlags{url: "http://h:1", target: "/v1/nope"}, "", "route"},
		{"generic without body", benchFlags{url: "http://h:1/x", target: "generic"}, "", "template"},
		{"bad header", benchFlags{url: "http://h:1", target: "/v1/classify", headers: []string{"novalue"}}, "", "header"},
		{"kserve without model", benchFlags{url: "http://h:1", target: "kserve"}, "", "model"},
		{"missing tokenizer", benchFlags{url: "http://h:1", target: "kserve", model: "m", tokenizer: "/nonexistent/vocab.txt"}, "", "nonexistent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := benchTarget(tt.give)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("benchTarget() error = %v; want one about %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got.URL != tt.wantURL {
				t.Fatalf("benchTarget() = %v, %v; want URL %s", got, err, tt.wantURL)
			}
			if len(tt.give.headers) > 0 && got.Header.Get("Authorization") != "Bearer k" {
				t.Errorf("header %v; want Authorization", got.Header)
			}
		})
	}
}

func TestBenchCommandWritesReports(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/classify" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(`{"results":[]}`))
	}))
	defer srv.Close()
	dir := t.TempDir()
	var out bytes.Buffer
	root := newRootCmd()
	root.SetOut(&out)
	root.SetArgs([]string{"bench", "--url", srv.URL, "-c", "1,2", "-d", "300ms", "--warmup", "0s", "--runs", "2",
		"--json", filepath.Join(dir, "r.json"), "--markdown", filepath.Join(dir, "r.md"), "--svg-dir", dir, "--name", "t"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "| t c=2 | 2 |") {
		t.Errorf("stdout lacks the table row of c=2 over 2 runs:\n%s", out.String())
	}
	raw, err := os.ReadFile(filepath.Join(dir, "r.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Cases []struct {
			Runs []struct {
				OK int64 `json:"ok"`
			} `json:"runs"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(raw, &rep); err != nil || len(rep.Cases) != 2 || len(rep.Cases[0].Runs) != 2 || rep.Cases[0].Runs[0].OK == 0 {
		t.Errorf("r.json = %.300s (%v); want 2 cases of 2 runs with answers", raw, err)
	}
	for _, f := range []string{"r.md", "t-throughput.svg", "t-cdf.svg"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}

	root = newRootCmd()
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs([]string{"bench", "--url", srv.URL, "--mode", "sideways"})
	if err := root.Execute(); err == nil || !strings.Contains(err.Error(), "mode") {
		t.Errorf("bench --mode sideways: %v; want an error about the mode", err)
	}
}
