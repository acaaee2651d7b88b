package triton

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"google.golang.org/grpc"

	"github.com/infergate/infergate/adapters"
	"github.com/infergate/infergate/proxy/kserve"
)

// runtimeModel serves an adapters.Runtime as a kserve.Model.
type runtimeModel struct{ adapters.Runtime }

func (m runtimeModel) Ready() bool { return m.Runtime.Ready(context.Background()) == nil }

// oneModel serves a single model by name.
type oneModel struct {
	name  string
	model kserve.Model
}

func (o oneModel) Model(name string) (kserve.Model, bool) { return o.model, name == o.name }
func (o oneModel) Names() []string                        { return []string{o.name} }

// frontend is the gateway's KServe v2 frontend on real loopback listeners:
// a fiber app and a grpc.Server, as `infergate serve` runs them.
type frontend struct {
	httpURL, grpcURL string
}

func startFrontend(t *testing.T, name string, m kserve.Model) frontend {
	t.Helper()
	models := oneModel{name: name, model: m}

	app := fiber.New(fiber.Config{DisableStartupMessage: true, BodyLimit: 64 << 20})
	kserve.Mount(app, models)
	// fasthttp keeps idle per-connection workers for 10 s by default; the
	// suite's goroutine check after Close must see only the client's.
	app.Server().MaxIdleWorkerDuration = 10 * time.Millisecond
	hl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	httpDone := make(chan struct{})
	go func() { defer close(httpDone); _ = app.Listener(hl) }()

	gs := grpc.NewServer(grpc.MaxRecvMsgSize(64<<20), grpc.MaxSendMsgSize(256<<20))
	kserve.RegisterGRPC(gs, models)
	gl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	grpcDone := make(chan struct{})
	go func() { defer close(grpcDone); _ = gs.Serve(gl) }()

	t.Cleanup(func() {
		gs.Stop()
		<-grpcDone
		_ = app.Shutdown()
		<-httpDone
	})
	return frontend{httpURL: "http://" + hl.Addr().String(), grpcURL: "grpc://" + gl.Addr().String()}
}
