package ui_test

// Browser tests: real headless Chromium against real infergate processes
// serving the reference model. See harness_test.go for the set-up.

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// A French sentence comes back labelled "fr", with score bars, tokens, the
// latency split and the cache state; the same text again is a cache hit.
func TestPlaygroundClassifiesFrench(t *testing.T) {
	ctx := tab(t, 1280, 900, "")
	const french = "Impossible d'ouvrir le fichier de configuration : permission refusée."
	waitFor(t, ctx, "the model list", `document.querySelector("#model option[value=langid]") !== null`)
	must(t, chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("inputs"), french),
		chromedp.Click(chromedp.ID("classify-btn")),
	))
	waitFor(t, ctx, "a result", `document.querySelector("#results li.result") !== null`)

	if got := eval[string](t, ctx, `document.querySelector("#results li.result").dataset.label`); got != "fr" {
		t.Errorf("top label for %q = %q; want fr", french, got)
	}
	bars := eval[int](t, ctx, `document.querySelectorAll("#results li.result .bar").length`)
	if bars != 3 {
		t.Errorf("score bars = %d; want 3 (top-k 3)", bars)
	}
	toks := eval[[]string](t, ctx, `[...document.querySelectorAll("#results .tok")].map(e => e.firstChild.textContent)`)
	if len(toks) < 5 || toks[0] != "[CLS]" || toks[len(toks)-1] != "[SEP]" {
		t.Errorf("tokens = %q; want [CLS] ... [SEP] with the WordPieces between", toks)
	}
	if got := eval[string](t, ctx, `document.getElementById("cache-state").textContent`); got != "not cached" {
		t.Errorf("cache state of the first request = %q; want \"not cached\"", got)
	}
	if got := eval[string](t, ctx, `document.getElementById("timing-total").textContent`); !strings.HasSuffix(got, "ms") && !strings.HasSuffix(got, " s") {
		t.Errorf("total latency = %q; want a duration read from x-total-time", got)
	}

	// Ctrl+Enter submits again: now the gateway's cache answers.
	must(t, chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](`document.getElementById("cache-state").textContent = ""`),
		chromedp.Focus(chromedp.ID("inputs")),
		chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierCtrl)),
	))
	waitFor(t, ctx, "the cached answer", `document.getElementById("cache-state").textContent === "cached"`)
}

// An empty submit never reaches the gateway: the form says what is missing,
// marks the field invalid and keeps the focus there.
func TestPlaygroundEmptySubmitShowsValidationError(t *testing.T) {
	ctx := tab(t, 1280, 900, "")
	must(t, chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("inputs"), "  \n \n"),
		chromedp.Click(chromedp.ID("classify-btn")),
	))
	waitFor(t, ctx, "the validation error", `document.getElementById("inputs-error").textContent !== ""`)
	msg := eval[string](t, ctx, `document.getElementById("inputs-error").textContent`)
	if !strings.Contains(msg, "text") {
		t.Errorf("validation message = %q; want plain words asking for text", msg)
	}
	if got := eval[string](t, ctx, `document.getElementById("inputs").getAttribute("aria-invalid")`); got != "true" {
		t.Errorf("aria-invalid = %q; want true", got)
	}
	if got := eval[string](t, ctx, `document.activeElement.id`); got != "inputs" {
		t.Errorf("focus on %q; want the text field", got)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll("#results li").length`); n != 0 {
		t.Errorf("%d results shown for an empty submit; want none", n)
	}
}

// The live charts follow /v1/stats: after a burst of requests the seconds
// of the burst show requests/s and latencies, and the canvas is redrawn.
func TestLiveChartsMoveAfterBurst(t *testing.T) {
	ctx := tab(t, 1280, 900, "#live")
	waitFor(t, ctx, "the first stats sample", `document.getElementById("chart-rps").dataset.last !== undefined`)
	must(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#chart-rps summary")),
		chromedp.Click(chromedp.CSS("#chart-latency summary")),
	))
	before := eval[string](t, ctx, `document.querySelector("#chart-rps canvas").toDataURL()`)
	// Rows are whole seconds: the burst's first second may start before from.
	from := time.Now().Add(-time.Second).UnixMilli()

	burst(t, 200, 8)

	during := func(chart string) string {
		return fmt.Sprintf(`[...document.querySelectorAll("#%s tbody tr")].filter(r => Number(r.dataset.t) >= %d).map(r => r.children[1].dataset.v)`, chart, from)
	}
	waitFor(t, ctx, "requests/s of the burst in the chart", during("chart-rps")+`.some(v => Number(v) > 0)`)
	if p50s := eval[[]string](t, ctx, during("chart-latency")+`.filter(v => v !== "")`); len(p50s) == 0 {
		t.Error("the latency chart has no p50 for the seconds of the burst")
	}
	if after := eval[string](t, ctx, `document.querySelector("#chart-rps canvas").toDataURL()`); after == before {
		t.Error("the requests/s canvas was not redrawn after the burst")
	}
}

// burst sends n classify requests with distinct texts (no cache hits) from
// `workers` goroutines.
func burst(t *testing.T, n, workers int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				body := map[string]any{"model": "langid", "inputs": []string{fmt.Sprintf("burst %d: la requête numéro %d est arrivée", time.Now().UnixNano(), i)}}
				code, err := api(ctx, "POST", "/v1/classify", body, nil)
				if err == nil && code != 200 {
					err = fmt.Errorf("status %d", code)
				}
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("burst request failed: %v", err)
	}
}

// Without a key the page says so in plain words; entering the key refreshes
// what failed, without a reload. The key lives in sessionStorage only.
func TestAPIKeyUnlocksThePage(t *testing.T) {
	needGateway(t)
	ctx, cancel := chromedp.NewContext(shared.browser)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	defer cancelT()
	must(t, chromedp.Do(ctx, chromedp.Navigate(shared.a.URL()+"/")))
	status := `document.getElementById("classify-status").textContent`
	waitFor(t, ctx, "the missing-key message", status+`.includes("needs a valid API key")`)

	must(t, chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("apikey"), userKey+"\r"),
	))
	waitFor(t, ctx, "the model list after entering the key", `document.querySelector("#model option[value=langid]") !== null`)
	if got := eval[string](t, ctx, status); got != "" {
		t.Errorf("status after entering the key = %q; want the error gone", got)
	}
	stored := eval[bool](t, ctx, fmt.Sprintf(`sessionStorage.getItem("infergate.apiKey") === %q && localStorage.length === 0 && document.cookie === ""`, userKey))
	if !stored {
		t.Error("the API key is not in sessionStorage alone")
	}
}

// A text longer than the model's max_seq_len is truncated by the gateway;
// the playground says so next to the label.
func TestPlaygroundSaysWhenATextIsCut(t *testing.T) {
	ctx := tab(t, 1280, 900, "")
	waitFor(t, ctx, "the model list", `document.querySelector("#model option[value=langid]") !== null`)
	long := strings.Repeat("Le fichier de configuration est introuvable. ", 40)
	must(t, chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("inputs"), long+"\nLe fichier est introuvable."),
		chromedp.Click(chromedp.ID("classify-btn")),
	))
	waitFor(t, ctx, "two results", `document.querySelectorAll("#results li.result").length === 2`)
	cut := eval[[]string](t, ctx, `[...document.querySelectorAll("#results li.result")].map(li => li.querySelector(".badge.warn")?.textContent ?? "")`)
	if len(cut) != 2 || cut[0] != "cut to 128 tokens" || cut[1] != "" {
		t.Errorf("truncation notes = %q; want [\"cut to 128 tokens\" \"\"]", cut)
	}
}
