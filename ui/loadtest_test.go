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

	must(t, chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("lt-duration"), "4"),
		chromedp.SetValue(chromedp.ID("lt-concurrency"), "4"),
		chromedp.Click(chromedp.ID("lt-start")),
	))
	waitFor(t, ctx, "the run to start", `!document.getElementById("lt-stop").disabled`)
	waitFor(t, ctx, "the run to finish", `document.getElementById("lt-stop").disabled && document.querySelector("#lt-stats [data-k=state]")?.textContent === "finished"`)
	if msg := eval[string](t, ctx, `document.getElementById("lt-error").textContent`); msg != "" {
		t.Errorf("load test error shown: %q", msg)
	}
	sent := eval[float64](t, ctx, `Number(document.querySelector("#lt-stats [data-k=ok]").textContent.replace(/,/g, ""))`)
	if sent < 1 {
		t.Errorf("load test reports %v successful requests; want some", sent)
	}
	waitFor(t, ctx, "requests/s above zero", `parseFloat(document.getElementById("chart-rps").dataset.peak) > 0`)
}
