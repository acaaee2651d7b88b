package triton

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain removes the gateway binary the end-to-end tests built and fails
// the package if a test left a goroutine behind. fasthttp's process-wide
// date ticker (started by the in-process frontend) stays by design.
func TestMain(m *testing.M) {
	code := m.Run()
	_ = bin.Remove()
	if code == 0 {
		if err := goleak.Find(goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1")); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}
