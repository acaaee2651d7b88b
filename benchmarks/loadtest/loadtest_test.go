package loadtest

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"go.uber.org/goleak"
)

// fasthttp keeps a process-wide date updater and lets idle workers sleep
// out their cleanup interval after Shutdown; neither is ours.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*workerPool).Start.func2"),
	)
}

// fakeGateway serves a stand-in /v1/classify next to the load-test routes on
// a real listener, like the gateway mounts them.
type fakeGateway struct {
	url     string
	tester  *Tester
	hits    atomic.Int64
	lastKey atomic.Value
}

func newFakeGateway(t *testing.T) *fakeGateway {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &fakeGateway{url: "http://" + ln.Addr().String()}
	g.tester = New(Options{BaseURL: g.url, MaxConcurrency: 16})
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Post("/v1/classify", func(c *fiber.Ctx) error {
		g.hits.Add(1)
		g.lastKey.Store(strings.Clone(c.Get("Authorization")))
		time.Sleep(2 * time.Millisecond)
		return c.JSON(fiber.Map{"results": []any{}})
	})
	app.Post("/v1/loadtest", g.tester.Start)
	app.Get("/v1/loadtest", g.tester.Status)
	app.Delete("/v1/loadtest", g.tester.Stop)
	done := make(chan struct{})
	go func() { defer close(done); _ = app.Listener(ln) }()
	t.Cleanup(func() {
		g.tester.Close()
		_ = app.Shutdown()
		<-done
	})
	return g
}

func (g *fakeGateway) call(t *testing.T, method, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, g.url+"/v1/loadtest", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer k1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s /v1/loadtest answered %d %q: not JSON", method, resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

func TestStartValidation(t *testing.T) {
	g := newFakeGateway(t)
	defer http.DefaultClient.CloseIdleConnections()
	tests := []struct {
		name, body string
	}{
		{"not JSON", `{`},
		{"unknown field", `{"target":"/v1/classify","mode":"closed","concurrency":1,"duration_s":1,"workload":"short","speed":9}`},
		{"too long", `{"target":"/v1/classify","mode":"closed","concurrency":1,"duration_s":61,"workload":"short"}`},
		{"no duration", `{"target":"/v1/classify","mode":"closed","concurrency":1,"workload":"short"}`},
		{"too many clients", `{"target":"/v1/classify","mode":"closed","concurrency":17,"duration_s":1,"workload":"short"}`},
		{"zero clients", `{"target":"/v1/classify","mode":"closed","duration_s":1,"workload":"short"}`},
		{"rate on closed", `{"target":"/v1/classify","mode":"closed","concurrency":1,"rate":5,"duration_s":1,"workload":"short"}`},
		{"rate too high", `{"target":"/v1/classify","mode":"open","rate":1e9,"duration_s":1,"workload":"short"}`},
		{"negative rate", `{"target":"/v1/classify","mode":"open","rate":-1,"duration_s":1,"workload":"short"}`},
		{"bad arrival", `{"target":"/v1/classify","mode":"open","rate":5,"arrival":"burst","duration_s":1,"workload":"short"}`},
		{"bad mode", `{"target":"/v1/classify","mode":"half","concurrency":1,"duration_s":1,"workload":"short"}`},
		{"bad workload", `{"target":"/v1/classify","mode":"closed","concurrency":1,"duration_s":1,"workload":"huge"}`},
		{"bad target", `{"target":"/admin/reload","mode":"closed","concurrency":1,"duration_s":1,"workload":"short"}`},
		{"bad distinct", `{"target":"/v1/classify","mode":"closed","concurrency":1,"duration_s":1,"workload":"short","distinct":2}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := g.call(t, http.MethodPost, tt.body)
			env, _ := body["error"].(map[string]any)
			if code != http.StatusBadRequest || env["message"] == "" || env["type"] != "invalid_request_error" || env["code"] == nil {
				t.Errorf("POST %s = %d %v; want 400 with an error envelope", tt.body, code, body)
			}
		})
	}
	if g.hits.Load() != 0 {
		t.Errorf("rejected requests still sent %d requests", g.hits.Load())
	}
}

func TestRunLifecycle(t *testing.T) {
	g := newFakeGateway(t)
	defer http.DefaultClient.CloseIdleConnections()

	if code, _ := g.call(t, http.MethodGet, ""); code != http.StatusNotFound {
		t.Errorf("GET before any run = %d; want 404", code)
	}
	if code, _ := g.call(t, http.MethodDelete, ""); code != http.StatusNotFound {
		t.Errorf("DELETE before any run = %d; want 404", code)
	}
	code, body := g.call(t, http.MethodPost, `{"target":"/v1/classify","mode":"closed","concurrency":4,"duration_s":30,"workload":"mixed"}`)
	id, _ := body["id"].(string)
	if code != http.StatusAccepted || id == "" {
		t.Fatalf("POST = %d %v; want 202 with an id", code, body)
	}
	if code, _ := g.call(t, http.MethodPost, `{"target":"/v1/classify","mode":"open","rate":10,"duration_s":1,"workload":"short"}`); code != http.StatusConflict {
		t.Errorf("second POST while running = %d; want 409", code)
	}
	time.Sleep(400 * time.Millisecond)
	code, st := g.call(t, http.MethodGet, "")
	if code != http.StatusOK || st["id"] != id || st["running"] != true || st["ok"].(float64) == 0 || st["p50_ms"].(float64) <= 0 {
		t.Errorf("GET while running = %d %v; want running with answers and percentiles", code, st)
	}
	if k, _ := g.lastKey.Load().(string); k != "Bearer k1" {
		t.Errorf("load requests carried Authorization %q; want the starter's key", k)
	}
	began := time.Now()
	code, st = g.call(t, http.MethodDelete, "")
	if code != http.StatusOK || st["running"] != false || st["errors"].(float64) != 0 {
		t.Errorf("DELETE = %d %v; want the stopped run without errors", code, st)
	}
	if d := time.Since(began); d > 2*time.Second {
		t.Errorf("DELETE took %v", d)
	}
	hits := g.hits.Load()
	time.Sleep(100 * time.Millisecond)
	if g.hits.Load() != hits {
		t.Error("requests still sent after DELETE")
	}
	// A finished run frees the slot and stays readable.
	code, body = g.call(t, http.MethodPost, `{"target":"/v1/classify","mode":"open","rate":50,"duration_s":1,"workload":"short"}`)
	if code != http.StatusAccepted || body["id"] == id {
		t.Fatalf("POST after stop = %d %v; want 202 with a new id", code, body)
	}
	time.Sleep(1300 * time.Millisecond)
	code, st = g.call(t, http.MethodGet, "")
	if code != http.StatusOK || st["running"] != false || st["sent"].(float64) < 45 || st["sent"].(float64) > 55 {
		t.Errorf("GET after a 1s run at 50/s = %d %v; want finished with about 50 sent", code, st)
	}
}

func TestSelfURL(t *testing.T) {
	tests := []struct {
		give string
		tls  bool
		want string
	}{
		{":8080", false, "http://127.0.0.1:8080"},
		{"0.0.0.0:80", false, "http://127.0.0.1:80"},
		{"[::]:8080", true, "https://127.0.0.1:8080"},
		{"10.0.0.5:9000", false, "http://10.0.0.5:9000"},
		{"localhost:1", false, "http://localhost:1"},
	}
	for _, tt := range tests {
		if got, err := SelfURL(tt.give, tt.tls); err != nil || got != tt.want {
			t.Errorf("SelfURL(%q) = %q, %v; want %q", tt.give, got, err, tt.want)
		}
	}
	if _, err := SelfURL("8080", false); err == nil {
		t.Error("SelfURL(8080): want an error")
	}
}
