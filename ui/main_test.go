package ui_test

// The life cycle of the shared test fixtures: the browser and the gateways
// start on first use and stop when every test has run.

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/infergate/infergate/internal/gatewaytest"
)

var updateScreenshots = flag.Bool("update-screenshots", false, "write ui/screenshots/*.png from the screenshot test")

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	tearDown()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

var (
	browserOnce, gatewayOnce sync.Once
	browserErr, gatewayErr   error
	cleanups                 []func() // run in reverse by TestMain
)

// needBrowser starts, on first use, the headless Chromium the tests share.
func needBrowser(t *testing.T) {
	t.Helper()
	browserOnce.Do(func() {
		dir, err := os.MkdirTemp("", "infergate-ui-browser-")
		if err != nil {
			browserErr = err
			return
		}
		cleanups = append(cleanups, func() { os.RemoveAll(dir) })
		ctx, cancel, err := newBrowser(dir)
		if err != nil {
			browserErr = err
			return
		}
		cleanups = append(cleanups, cancel)
		shared.browser = ctx
	})
	if browserErr != nil {
		t.Fatalf("browser test set-up: %v", browserErr)
	}
}

// needGateway starts, on first use, the browser and the two gateways; tests
// that need neither (the static checks) run without them.
func needGateway(t *testing.T) {
	t.Helper()
	needBrowser(t)
	gatewayOnce.Do(func() {
		dir, err := os.MkdirTemp("", "infergate-ui-gateway-")
		if err != nil {
			gatewayErr = err
			return
		}
		cleanups = append(cleanups, func() { os.RemoveAll(dir) })
		gatewayErr = setUp(dir)
	})
	if gatewayErr != nil {
		t.Fatalf("gateway set-up: %v", gatewayErr)
	}
}

func tearDown() {
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
}

// setUp starts gateways B and A from the repository root (so the
// project-local ONNX Runtime library is found).
func setUp(dir string) error {
	root, err := filepath.Abs("..")
	if err != nil {
		return err
	}
	cleanups = append(cleanups, func() { _ = shared.bin.Remove() })
	addrA, err := gatewaytest.FreeAddr()
	if err != nil {
		return err
	}
	addrB, err := gatewaytest.FreeAddr()
	if err != nil {
		return err
	}
	cfgA, cfgB, err := configs(root, dir, addrA, addrB)
	if err != nil {
		return err
	}
	start := func(name, cfg, addr string) (*gatewaytest.Gateway, error) {
		return shared.bin.Start(context.Background(), gatewaytest.Options{
			Name: name, Config: cfg, HTTPAddr: addr, Dir: root, ReadyTimeout: 90 * time.Second,
		})
	}
	// B first: A's "remote" replica must find it ready at start-up.
	if shared.b, err = start("B", cfgB, addrB); err != nil {
		return err
	}
	cleanups = append(cleanups, func() { _ = shared.b.Stop(15 * time.Second) })
	if shared.a, err = start("A", cfgA, addrA); err != nil {
		return err
	}
	cleanups = append(cleanups, func() { _ = shared.a.Stop(15 * time.Second) })
	return nil
}
