// Package deploy_test checks the deploy files against the code they deploy:
// every YAML and JSON file parses, the Grafana dashboard and the alert rules
// query only metrics and labels the gateway registers (read from proxy/'s
// source, so renaming a metric fails here), and the Dockerfile, compose file
// and Kubernetes manifests agree with the gateway's config, ports, probes
// and shutdown.
package deploy_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// repoRoot is the repository root, relative to this package's directory.
const repoRoot = ".."

// deployFiles are the YAML and JSON files this package owns, relative to deploy/.
func deployFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (path == "training" || path == "model_repository") {
			return filepath.SkipDir // the model's own files, not deploy configuration
		}
		switch filepath.Ext(path) {
		case ".yaml", ".yml", ".json":
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestDeployFilesParse(t *testing.T) {
	files := deployFiles(t)
	for _, want := range []string{
		"compose.yaml", "infergate-triton.yaml", "kubernetes/deployment.yaml",
		"prometheus/prometheus.yml", "prometheus/alerts.yml", "grafana/dashboards/infergate.json",
	} {
		if !slices.Contains(files, want) {
			t.Errorf("deploy/%s is missing", want)
		}
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if filepath.Ext(f) == ".json" {
				var v any
				if err := json.Unmarshal(data, &v); err != nil {
					t.Fatalf("not JSON: %v", err)
				}
				return
			}
			dec := yaml.NewDecoder(bytes.NewReader(data))
			for n := 0; ; n++ {
				var v any
				err := dec.Decode(&v)
				if errors.Is(err, io.EOF) {
					if n == 0 {
						t.Fatal("empty")
					}
					return
				}
				if err != nil {
					t.Fatalf("document %d: %v", n, err)
				}
			}
		})
	}
}

// readYAML decodes one deploy file into v, failing the test on error.
func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

type dashboard struct {
	Panels []struct {
		Title   string `json:"title"`
		Targets []struct {
			Expr   string `json:"expr"`
			Legend string `json:"legendFormat"`
		} `json:"targets"`
	} `json:"panels"`
	Templating struct {
		List []struct {
			Name       string `json:"name"`
			Definition string `json:"definition"`
		} `json:"list"`
	} `json:"templating"`
}

type ruleFile struct {
	Groups []struct {
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Expr        string            `yaml:"expr"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// namedQuery is one query of a deploy file with where it comes from.
type namedQuery struct {
	where, expr, legend string
}

func dashboardQueries(t *testing.T) []namedQuery {
	t.Helper()
	data, err := os.ReadFile("grafana/dashboards/infergate.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatal(err)
	}
	var qs []namedQuery
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			qs = append(qs, namedQuery{where: "panel " + p.Title, expr: tg.Expr, legend: tg.Legend})
		}
	}
	for _, v := range d.Templating.List {
		// label_values(metric, label): the metric must carry the label.
		if inner, ok := strings.CutPrefix(v.Definition, "label_values("); ok {
			metric, label, _ := strings.Cut(strings.TrimSuffix(inner, ")"), ",")
			qs = append(qs, namedQuery{where: "variable " + v.Name,
				expr: "sum by (" + strings.TrimSpace(label) + ") (" + strings.TrimSpace(metric) + ")"})
		}
	}
	return qs
}

func alertQueries(t *testing.T) []namedQuery {
	t.Helper()
	var rf ruleFile
	readYAML(t, "prometheus/alerts.yml", &rf)
	var qs []namedQuery
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			// Annotations name labels the way legends do: {{ $labels.x }}.
			var legend strings.Builder
			for _, a := range r.Annotations {
				for _, l := range legendLabels(a) {
					if name, ok := strings.CutPrefix(l, "$labels."); ok {
						legend.WriteString("{{" + name + "}}")
					}
				}
			}
			qs = append(qs, namedQuery{where: "alert " + r.Alert, expr: r.Expr, legend: legend.String()})
		}
	}
	return qs
}

func TestQueriesUseGatewayMetrics(t *testing.T) {
	gm := readGatewayMetrics(t, filepath.Join(repoRoot, "proxy"))
	literals := goStringLiterals(t, filepath.Join(repoRoot, "proxy"), filepath.Join(repoRoot, "cache"))
	qs := append(dashboardQueries(t), alertQueries(t)...)
	if len(qs) < 10 {
		t.Fatalf("only %d queries found in the dashboard and alerts", len(qs))
	}
	for _, q := range qs {
		if err := gm.checkExpr(q.expr, q.legend, literals); err != nil {
			t.Errorf("%s: %v\n  query: %s", q.where, err, q.expr)
		}
	}
}

// TestDashboardShowsEveryMetric fails when the gateway gains a metric that
// no dashboard panel shows.
func TestDashboardShowsEveryMetric(t *testing.T) {
	gm := readGatewayMetrics(t, filepath.Join(repoRoot, "proxy"))
	used := map[string]bool{}
	for _, q := range dashboardQueries(t) {
		parsed, err := parseQuery(q.expr)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range parsed.selectors {
			name := s.metric
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				if base, ok := strings.CutSuffix(name, suffix); ok && gm.defs[base].histogram {
					name = base
				}
			}
			used[name] = true
		}
	}
	for name := range gm.defs {
		if !used[name] {
			t.Errorf("metric %s has no panel in grafana/dashboards/infergate.json", name)
		}
	}
}

// TestQueryChecker shows that the checker catches what it is for.
func TestQueryChecker(t *testing.T) {
	gm := gatewayMetrics{
		defs: map[string]metricDef{
			"infergate_requests_total":           {labels: []string{"route", "model", "code"}},
			"infergate_request_duration_seconds": {labels: []string{"route", "model", "stage"}, histogram: true},
		},
		collectors: map[string]bool{"go": true},
	}
	literals := map[string]bool{"total": true, "tokenize": true, "/healthz": true}
	tests := []struct {
		name, expr, legend, wantErr string
	}{
		{"counter by labels", `sum by (route, code) (rate(infergate_requests_total{instance=~"$instance"}[$__rate_interval]))`, "{{route}} {{code}}", ""},
		{"histogram quantile", `histogram_quantile(0.99, sum by (le, stage) (rate(infergate_request_duration_seconds_bucket{stage=~"tokenize|total"}[5m])))`, "{{stage}}", ""},
		{"histogram mean", `rate(infergate_request_duration_seconds_sum[5m]) / rate(infergate_request_duration_seconds_count[5m]) > 0.5`, "", ""},
		{"collector", `go_goroutines{job="infergate"}`, "{{instance}}", ""},
		{"renamed metric", `rate(infergate_request_total[5m])`, "", "no such metric"},
		{"bucket of a counter", `infergate_requests_total_bucket`, "", "no such metric"},
		{"unknown matcher label", `infergate_requests_total{replica="a"}`, "", `no label "replica"`},
		{"unknown grouping label", `sum by (tier) (infergate_requests_total)`, "", `label "tier" is on no series`},
		{"legend label aggregated away", `sum by (route) (infergate_requests_total)`, "{{code}}", "aggregated away"},
		{"value the code never emits", `infergate_request_duration_seconds_count{stage="tokenise"}`, "", `never emits the value "tokenise"`},
		{"regexp values", `infergate_requests_total{route!~"/healthz|/nope"}`, "", `never emits the value "/nope"`},
		{"regexp syntax not checked", `infergate_requests_total{route!~"/admin/.*", code=~"5.."}`, "", ""},
		{"no metric", `vector(1)`, "", "no metric"},
		{"collector not registered", `process_resident_memory_bytes`, "", "no process collector"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := gm.checkExpr(tt.expr, tt.legend, literals)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("no error, want one containing %q", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("error %q, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
