package ui_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// When gateway B, the only replica of A's "remote" model, dies, A's breaker
// for it opens and the backends panel shows it; the playground explains the
// failure in plain words; the reload button needs the admin key.
func TestBackendsShowOpenBreakerAfterReplicaFails(t *testing.T) {
	ctx := tab(t, 1280, 900, "#backends")
	row := fmt.Sprintf(`document.querySelector('tr[data-replica=%q]')`, backupName)
	waitFor(t, ctx, "gateway B's row", row+` !== null`)
	if got := eval[string](t, ctx, row+`.dataset.breaker`); got != "closed" {
		t.Fatalf("breaker of %s before the failure = %q; want closed", backupName, got)
	}

	shared.b.Kill()
	for i := range 6 {
		body := map[string]any{"model": "remote", "inputs": []string{fmt.Sprintf("after the crash, request %d", i)}}
		code, err := api(t.Context(), "POST", "/v1/classify", body, nil)
		if err != nil {
			t.Fatalf("classify on the failed replica: %v", err)
		}
		if code < 500 {
			t.Fatalf("classify on the failed replica answered %d; want a 5xx", code)
		}
	}
	waitFor(t, ctx, "the open breaker in the backends panel", row+`?.dataset.breaker === "open"`)
	if got := eval[string](t, ctx, row+`.querySelector(".breaker").textContent`); got != "open" {
		t.Errorf("breaker badge = %q; want open", got)
	}

	// The playground says why the model cannot answer.
	must(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("tab-playground")),
		chromedp.SetValue(chromedp.ID("model"), "remote"),
		chromedp.SendKeys(chromedp.ID("inputs"), "Bonjour tout le monde"),
		chromedp.Click(chromedp.ID("classify-btn")),
	))
	waitFor(t, ctx, "the error box", `!document.getElementById("classify-error").hidden`)
	if msg := eval[string](t, ctx, `document.getElementById("classify-error").textContent`); !strings.HasPrefix(msg, "No model replica can answer right now") {
		t.Errorf("error shown = %q; want it to start with the plain-words 503 explanation", msg)
	}

	// Reload: refused without a key and with a user key, done with the admin key.
	must(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("tab-backends")),
		chromedp.Click(chromedp.ID("reload-btn")),
	))
	result := `document.getElementById("reload-result").textContent`
	waitFor(t, ctx, "the missing-key message", result+`.startsWith("Enter the admin key")`)
	must(t, chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("adminkey"), userKey),
		chromedp.Click(chromedp.ID("reload-btn")),
	))
	waitFor(t, ctx, "the refusal", result+`.startsWith("Reload failed")`)
	must(t, chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](`document.getElementById("adminkey").value = ""`),
		chromedp.SendKeys(chromedp.ID("adminkey"), adminKey),
		chromedp.Click(chromedp.ID("reload-btn")),
	))
	waitFor(t, ctx, "the reload", result+`.startsWith("Configuration reloaded")`)
	stored := eval[bool](t, ctx, fmt.Sprintf(`sessionStorage.getItem("infergate.adminKey") === %q && localStorage.length === 0 && document.cookie === ""`, adminKey))
	if !stored {
		t.Error("the admin key is not in sessionStorage alone")
	}
}
