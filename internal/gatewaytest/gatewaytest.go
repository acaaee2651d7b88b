// Package gatewaytest runs the real `infergate serve` binary for black-box
// tests over loopback: it builds cmd/infergate once per test binary, starts
// gateways, waits until they are ready and stops them. Tests in several
// packages share it so that they start and stop gateways the same way.
package gatewaytest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// mainPackage is built by Binary; an import path, so the build works from
// any package directory in the module.
const mainPackage = "github.com/infergate/infergate/cmd/infergate"

// Binary is cmd/infergate, built on first use. A test package declares one
// (usually a package-level var, removed in TestMain) so that every gateway
// it starts shares a single build. The zero value is ready to use.
type Binary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// Path builds the binary on the first call and returns its path.
func (b *Binary) Path() (string, error) {
	b.once.Do(func() {
		b.dir, b.err = os.MkdirTemp("", "infergate-bin-")
		if b.err != nil {
			return
		}
		b.path = filepath.Join(b.dir, "infergate")
		if out, err := exec.Command("go", "build", "-o", b.path, mainPackage).CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build %s: %w\n%s", mainPackage, err, out)
		}
	})
	return b.path, b.err
}

// Remove deletes the built binary; call it once no gateway runs any more.
func (b *Binary) Remove() error {
	if b.dir == "" {
		return nil
	}
	return os.RemoveAll(b.dir)
}

// FreeAddr returns a loopback host:port that was free just now.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// Options say how to run one gateway.
type Options struct {
	// Name labels the gateway in errors and logs ("A", "backup").
	Name string
	// Config is the path of the YAML config, passed as --config.
	Config string
	// HTTPAddr is the host:port the gateway serves HTTP on, from Config or
	// from Args; Start polls its /readyz.
	HTTPAddr string
	// Args are further `serve` flags, e.g. --http-addr and --grpc-addr.
	Args []string
	// Dir is the working directory; empty means the test's own.
	Dir string
	// ReadyTimeout bounds the wait for /readyz; zero means one minute.
	ReadyTimeout time.Duration
}

// Gateway is one running `infergate serve` process.
type Gateway struct {
	name string
	url  string
	cmd  *exec.Cmd
	logs *logBuffer
	done chan struct{}
	err  error // cmd.Wait's result, set before done closes
}

// Start runs the gateway and returns once GET /readyz answers 200. If the
// gateway exits first, ctx ends or the wait times out, the process is
// killed and the error carries its log.
func (b *Binary) Start(ctx context.Context, o Options) (*Gateway, error) {
	bin, err := b.Path()
	if err != nil {
		return nil, err
	}
	g := &Gateway{name: o.Name, url: "http://" + o.HTTPAddr, logs: &logBuffer{}, done: make(chan struct{})}
	g.cmd = exec.Command(bin, append([]string{"serve", "--config", o.Config}, o.Args...)...)
	g.cmd.Dir = o.Dir
	g.cmd.Stdout, g.cmd.Stderr = g.logs, g.logs
	if err := g.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start gateway %s: %w", g.name, err)
	}
	go func() { g.err = g.cmd.Wait(); close(g.done) }()
	if err := g.waitReady(ctx, o.ReadyTimeout); err != nil {
		g.Kill()
		return nil, err
	}
	return g, nil
}

// StartTest is Start for one test: it fails t on error, kills the gateway
// when t ends and logs the gateway's output if t failed.
func (b *Binary) StartTest(t testing.TB, o Options) *Gateway {
	t.Helper()
	g, err := b.Start(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		g.Kill()
		if t.Failed() {
			t.Logf("gateway %s log:\n%s", g.name, g.Logs())
		}
	})
	return g
}

func (g *Gateway) waitReady(ctx context.Context, timeout time.Duration) error {
	if timeout == 0 {
		timeout = time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	defer client.CloseIdleConnections()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.url+"/readyz", nil)
		if err != nil {
			return fmt.Errorf("gateway %s: %w", g.name, err)
		}
		if res, err := client.Do(req); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-g.done:
			return fmt.Errorf("gateway %s exited before it was ready (%v):\n%s", g.name, g.err, g.Logs())
		case <-ctx.Done():
			return fmt.Errorf("gateway %s not ready at %s within %v: %w\n%s", g.name, g.url, timeout, ctx.Err(), g.Logs())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// URL is the gateway's HTTP base URL, "http://host:port".
func (g *Gateway) URL() string { return g.url }

// Logs is the gateway's output so far (stdout and stderr).
func (g *Gateway) Logs() string { return g.logs.String() }

// Signal sends sig to the process, e.g. SIGHUP to reload its config.
func (g *Gateway) Signal(sig os.Signal) error { return g.cmd.Process.Signal(sig) }

// Done is closed when the process has exited.
func (g *Gateway) Done() <-chan struct{} { return g.done }

// Err is the process's exit error (nil for a clean exit); valid once Done
// is closed.
func (g *Gateway) Err() error { return g.err }

// Kill ends the process abruptly (SIGKILL), as a crash would, and waits for
// it. It does nothing if the process has already exited.
func (g *Gateway) Kill() {
	select {
	case <-g.done:
		return
	default:
	}
	_ = g.cmd.Process.Signal(syscall.SIGKILL)
	<-g.done
}

// Stop sends SIGTERM and waits up to grace for the process to exit, then
// kills it. It returns an error if the gateway had to be killed or exited
// with a failure; stopping a gateway that has already exited is no error.
func (g *Gateway) Stop(grace time.Duration) error {
	select {
	case <-g.done:
		return nil
	default:
	}
	_ = g.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-g.done:
		if g.err != nil {
			return fmt.Errorf("gateway %s: %w", g.name, g.err)
		}
		return nil
	case <-time.After(grace):
		g.Kill()
		return errors.New("gateway " + g.name + " did not stop within " + grace.String() + " of SIGTERM; killed")
	}
}

// logBuffer collects a gateway's output; tests read it while it grows.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
