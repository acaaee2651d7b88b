package proxy_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/infergate/infergate/proxy"
)

// BenchmarkCacheHit measures the gateway's cache-hit path over loopback
// HTTP (client included), with the access log on.
func BenchmarkCacheHit(b *testing.B) {
	fake := newFakeRuntime(20, 8)
	accessLog := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(io.Discard), zap.InfoLevel))
	g := startGateway(b, fakeConfig(b, 20, "a"), fakeFactory(map[string]*fakeRuntime{"a": fake}),
		func(o *proxy.Options) { o.Logger = accessLog })
	const body = `{"inputs": "hello world"}`
	if r := do(b, "POST", g.URL+"/v1/classify", body); r.Status != 200 {
		b.Fatalf("%d %s", r.Status, r.Body)
	}
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, err := c.Post(g.URL+"/v1/classify", "application/json", strings.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
	})
}
