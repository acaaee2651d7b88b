package ui_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/infergate/infergate/ui"
)

// The pure parts of the modules (units, maths, reading the gateway's JSON,
// error wording), run in the browser that runs them for users. The embedded
// files are served as the gateway serves them, next to an empty page and a
// route answering in the gateway's error envelope.
func TestModules(t *testing.T) {
	needBrowser(t)
	mux := http.NewServeMux()
	mux.Handle("/", http.FileServerFS(ui.Files()))
	mux.HandleFunc("/blank", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<!doctype html><title>blank</title>"))
	})
	mux.HandleFunc("/busy", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "2")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"error":{"message":"no replica of langid is ready","type":"unavailable","code":"no_replica"}}`))
	})
	mux.HandleFunc("/forbidden", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`{"error":{"message":"this API key may not call admin routes","type":"permission","code":"not_admin"}}`))
	})
	mux.HandleFunc("/html500", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte("<html>bad gateway</html>"))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	ctx, cancel := chromedp.NewContext(shared.browser)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	defer cancelT()
	must(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/blank")))

	tests := []struct {
		name string
		give string // an expression over the imported modules api, fmt, chart, models, stats, tokens
		want string // JSON
	}{
		{"bare header is ms", `api.durationMs("1.250")`, `1.25`},
		{"microseconds", `api.durationMs("350µs")`, `0.35`},
		{"seconds", `api.durationMs("0.002s")`, `2`},
		{"nanoseconds", `api.durationMs("1500000ns")`, `1.5`},
		{"unreadable header", `api.durationMs("soon")`, `null`},
		{"missing header", `api.durationMs(null)`, `null`},
		{"orthogonal", `fmt.cosine([1, 0], [0, 1])`, `0`},
		{"parallel", `Math.round(fmt.cosine([1, 2], [2, 4]) * 1e6) / 1e6`, `1`},
		{"opposite", `fmt.cosine([1, 1], [-1, -1])`, `-1`},
		{"zero vector", `fmt.cosine([0, 0], [1, 1])`, `null`},
		{"length mismatch", `fmt.cosine([1], [1, 2])`, `null`},
		{"ms small", `fmt.ms(0.4213)`, `"0.42 ms"`},
		{"ms large", `fmt.ms(1250)`, `"1.25 s"`},
		{"ms missing", `fmt.ms(null)`, `"–"`},
		{"pct", `fmt.pct(0.9312)`, `"93.1 %"`},
		{"same id same hue", `fmt.hue(2110) === fmt.hue(2110) && fmt.hue(2110) !== fmt.hue(2111)`, `true`},
		{"axis top 0", `chart.niceCeil(0)`, `1`},
		{"axis top 3", `chart.niceCeil(3)`, `3`},
		{"axis top 12", `chart.niceCeil(12)`, `15`},
		{"axis top 0.031", `chart.niceCeil(0.031)`, `0.04`},
		{"axis top 0.3", `chart.niceCeil(0.3)`, `0.3`},
		{"axis top 100", `chart.niceCeil(100)`, `100`},
		{"axis top 2001", `chart.niceCeil(2001)`, `2500`},
		{"axis top 9000", `chart.niceCeil(9000)`, `10000`},
		{"round axis steps", `[1, 1.5, 25, 300, 0.6, 8000].map(t => chart.divisions(t))`, `[5, 3, 5, 3, 3, 4]`},
		{
			"models as the gateway lists them",
			`models.readModels({object: "list", data: [{id: "langid", name: "langid", ready: true, labels: ["en", "fr"], version: "1", max_seq_len: 128, queue_depth: 4,
				replicas: [{name: "local", type: "onnx", ready: true, breaker: "half-open", in_flight: 2, latency_ms: 3.5, requests: 7, failures: 1}]}]})`,
			`[{"name":"langid","ready":true,"labels":["en","fr"],"version":"1","maxSeqLen":128,"queueDepth":4,
				"replicas":[{"name":"local","type":"onnx","ready":true,"breaker":"half-open","inFlight":2,"latencyMs":3.5,"requests":7,"failures":1}]}]`,
		},
		{
			"stats series merged, nulls kept as gaps",
			`stats.merge(new Map([[1000, {t: 1000, rps: 9}]]), {series: [
				{t: 1, rps: 2, p50_ms: null, p95_ms: 4, p99_ms: 5, batch_rows: 1.5, padding_ratio: 0.25, cache_hit_ratio: null, queue_depth: 3},
				{t: 2, rps: 0}]}, 60000).map(p => [p.t, p.rps, p.p50, p.p95, p.batchRows, p.padding, p.cacheHit, p.queue])`,
			`[[1000,2,null,4,1.5,0.25,null,3],[2000,0,null,null,null,null,null,null]]`,
		},
		{
			"stats older than the window dropped",
			`stats.merge(new Map(), {series: [{t: 1, rps: 1}, {t: 100, rps: 1}]}, 10000).map(p => p.t)`,
			`[100000]`,
		},
		{
			"tokens: specials grey, [UNK] marked, pieces linked to their text",
			`[...tokens.tokenView({ids: [101, 100, 2000, 102], tokens: ["[CLS]", "[UNK]", "##l", "[SEP]"],
				offsets: [[0, 0], [0, 2], [2, 3], [0, 0]]}, "héllo", true).querySelectorAll(".tok")].map(e => e.className + "|" + e.title)`,
			`["tok special|id 101", "tok unk|id 100 from \"hé\": not in the vocabulary", "tok cont|id 2000 from \"l\"", "tok special|id 102"]`,
		},
		{
			"error envelope in plain words",
			`api.call("/busy").then(() => "no error", e => [e.message, e.status, e.type])`,
			`["No model replica can answer right now; try again in 2 s: no replica of langid is ready.",503,"unavailable"]`,
		},
		{
			"admin refusal names the admin key",
			`api.call("/forbidden", {method: "POST", admin: true}).then(() => "no error", e => e.message)`,
			`"The admin key was not accepted: this API key may not call admin routes."`,
		},
		{
			"an HTML error page is not shown raw",
			`api.call("/html500").then(() => "no error", e => e.message)`,
			`"The gateway failed."`,
		},
	}
	const imports = `Promise.all(["api", "format", "chart", "models", "stats", "tokens"].map(m => import("/js/" + m + ".js")))`
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			js := imports + `.then(([api, fmt, chart, models, stats, tokens]) => (` + tt.give + `)).then(v => JSON.stringify(v))`
			got := eval[string](t, ctx, js)
			var g, w any
			if err := json.Unmarshal([]byte(got), &g); err != nil {
				t.Fatalf("%s returned %q: %v", tt.give, got, err)
			}
			if err := json.Unmarshal([]byte(tt.want), &w); err != nil {
				t.Fatalf("bad want %q: %v", tt.want, err)
			}
			gj, _ := json.Marshal(g)
			wj, _ := json.Marshal(w)
			if string(gj) != string(wj) {
				t.Errorf("%s\n = %s\nwant %s", tt.give, gj, wj)
			}
		})
	}
}
