package ui_test

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// A bounded load test started from the Live panel runs on the gateway's
// bench engine, reports its numbers and moves the requests/s chart.
func TestLoadTestFromTheBrowser(t *testing.T) {
	ctx := tab(t, 1280, 900, "#live")
	waitFor(t, ctx, "the first stats sample", `document.getElementById("chart-rps").dataset.last !== undefined`)

	// Out of bounds first: the form refuses more than 60 s.
	must(t, chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("lt-duration"), "61"),
		chromedp.Click(chromedp.ID("lt-start")),
	))
	waitFor(t, ctx, "the bound message", `document.getElementById("lt-error").textContent.includes("60")`)

	stat := func(k string) float64 {
		return eval[float64](t, ctx, `Number(document.querySelector("#lt-stats [data-k=`+k+`]").textContent.replace(/[^0-9.]/g, ""))`)
	}
	run := func(what string) {
		t.Helper()
		must(t, chromedp.Do(ctx, chromedp.Click(chromedp.ID("lt-start"))))
		waitFor(t, ctx, what+" to start", `!document.getElementById("lt-stop").disabled`)
		waitFor(t, ctx, what+" to finish", `document.getElementById("lt-stop").disabled && document.querySelector("#lt-stats [data-k=state]")?.textContent === "finished"`)
		if msg := eval[string](t, ctx, `document.getElementById("lt-error").textContent`); msg != "" {
			t.Errorf("%s: error shown: %q", what, msg)
		}
	}

	// A fixed rate: 40 requests/s for 3 s is about 120 requests.
	must(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`input[name="lt-mode"][value="open"]`)),
		chromedp.SetValue(chromedp.ID("lt-rate"), "40"),
		chromedp.SetValue(chromedp.ID("lt-duration"), "3"),
	))
	run("the fixed-rate run")
	if sent := stat("sent"); sent < 90 || sent > 150 {
		t.Errorf("fixed-rate run sent %v requests; want about 120 (40/s for 3 s)", sent)
	}

	// A fixed concurrency.
	must(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`input[name="lt-mode"][value="closed"]`)),
		chromedp.SetValue(chromedp.ID("lt-concurrency"), "4"),
		chromedp.SetValue(chromedp.ID("lt-duration"), "3"),
	))
	run("the fixed-concurrency run")
	if ok := stat("ok"); ok < 1 {
		t.Errorf("fixed-concurrency run reports %v successful requests; want some", ok)
	}
	waitFor(t, ctx, "requests/s above zero", `parseFloat(document.getElementById("chart-rps").dataset.peak) > 0`)
}
