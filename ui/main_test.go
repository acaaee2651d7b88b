package ui_test

// The life cycle of the shared test fixtures: the browser and the gateways
// start on first use and stop when every test has run.

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	"go.uber.org/goleak"
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

func setUp(dir string) error {
	root, err := filepath.Abs("..")
	if err != nil {
		return err
	}
	shared.root = root
	if shared.bin, err = buildBinary(root, dir); err != nil {
		return err
	}
	portA, err := freePort()
	if err != nil {
		return err
	}
	portB, err := freePort()
	if err != nil {
		return err
	}
	cfgA, cfgB, err := configs(root, dir, portA, portB)
	if err != nil {
		return err
	}
	// B first: A's "remote" replica must find it ready at start-up.
	if shared.b, err = startGateway(root, shared.bin, cfgB, fmt.Sprintf("http://127.0.0.1:%d", portB)); err != nil {
		return fmt.Errorf("gateway B: %w", err)
	}
	cleanups = append(cleanups, func() { shared.b.stop(syscall.SIGTERM) })
	if shared.a, err = startGateway(root, shared.bin, cfgA, fmt.Sprintf("http://127.0.0.1:%d", portA)); err != nil {
		return fmt.Errorf("gateway A: %w", err)
	}
	cleanups = append(cleanups, func() { shared.a.stop(syscall.SIGTERM) })
	return nil
}
