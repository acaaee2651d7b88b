package proxy

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/infergate/infergate/adapters"
	"github.com/infergate/infergate/proxy/config"
)

// constRuntime is a benchmark stand-in that answers zeros.
type constRuntime struct{ classes int }

func (r constRuntime) Infer(_ context.Context, b adapters.Batch) (adapters.Outputs, error) {
	return adapters.Outputs{adapters.Logits: {Shape: []int64{int64(b.Rows), int64(r.classes)}, Data: make([]float32, b.Rows*r.classes)}}, nil
}
func (constRuntime) Ready(context.Context) error { return nil }
func (constRuntime) Metadata(context.Context) (adapters.Metadata, error) {
	return adapters.Metadata{}, nil
}
func (constRuntime) Close() error { return nil }

// BenchmarkHandlerCacheHit is the CPU cost of the cache-hit path inside
// the server (middleware, access log, metrics), without network I/O; it
// runs beside BenchmarkHandlerFixedBody, a handler that only sends a body
// of the same size, so the two compare directly.
func BenchmarkHandlerCacheHit(b *testing.B) {
	cfg := config.Default()
	m := &cfg.Models[0]
	ref := filepath.Join("..", config.ReferenceDir)
	m.Tokenizer, m.Labels = filepath.Join(ref, "vocab.txt"), filepath.Join(ref, "labels.txt")
	m.Backends = []config.Backend{{Name: "c", Type: "const", Timeout: config.Duration(1e9)}}
	log := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(discard{}), zap.InfoLevel))
	s, err := New(context.Background(), cfg, Options{Logger: log, Runtimes: map[string]RuntimeFactory{
		"const": func(context.Context, config.Backend) (adapters.Runtime, error) { return constRuntime{classes: 23}, nil },
	}})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close(context.Background())
	s.staticOnce.Do(s.mountStatic)
	body := benchServe(b, s.app.Handler(), nil)
	b.ReportMetric(float64(len(body)), "body_bytes")
}

func BenchmarkHandlerFixedBody(b *testing.B) {
	body := make([]byte, 260)
	app := fiber.New()
	app.Post("/v1/classify", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(body)
	})
	benchServe(b, app.Handler(), body)
}

func benchServe(b *testing.B, h fasthttp.RequestHandler, _ []byte) []byte {
	var ctx fasthttp.RequestCtx
	req := []byte(`{"inputs": "hello world"}`)
	run := func() {
		ctx.Request.Reset()
		ctx.Response.Reset()
		ctx.ResetUserValues() // as fasthttp does between requests
		ctx.Request.Header.SetMethod("POST")
		ctx.Request.SetRequestURI("/v1/classify")
		ctx.Request.Header.SetContentType("application/json")
		ctx.Request.SetBody(req)
		h(&ctx)
	}
	run()
	if ctx.Response.StatusCode() != 200 {
		b.Fatalf("status %d %s", ctx.Response.StatusCode(), ctx.Response.Body())
	}
	out := append([]byte(nil), ctx.Response.Body()...)

	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		run()
	}
	return out
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
