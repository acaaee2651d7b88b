package ui_test

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Takes the README's screenshots at 1280 px wide: into a temporary folder on
// every run (so the path stays tested), into ui/screenshots with
// -update-screenshots, after a minute of traffic and with a load test started
// from the page running, so the charts have a history to show.
func TestScreenshots(t *testing.T) {
	dir := t.TempDir()
	traffic := 3 * time.Second
	if *updateScreenshots {
		dir, traffic = "screenshots", 60*time.Second
	}

	ctx := tab(t, 1280, 900, "#live")
	waitFor(t, ctx, "the first stats sample", `document.getElementById("chart-rps").dataset.last !== undefined`)
	// The last minute: the gateway started moments ago, so older is empty.
	must(t, chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("window"), "60")))
	done := make(chan struct{})
	go func() { defer close(done); waves(t, traffic) }()
	if *updateScreenshots {
		time.Sleep(traffic - 30*time.Second)
		must(t, chromedp.Do(ctx,
			chromedp.SetValue(chromedp.ID("lt-duration"), "30"),
			chromedp.SetValue(chromedp.ID("lt-concurrency"), "4"),
			chromedp.SetValue(chromedp.ID("lt-distinct"), "70"),
			chromedp.Click(chromedp.ID("lt-start")),
		))
		time.Sleep(24 * time.Second) // shot while the run is going, with its progress
	} else {
		<-done
	}
	waitFor(t, ctx, "requests/s above zero", `parseFloat(document.getElementById("chart-rps").dataset.peak) > 0`)
	shoot(t, ctx, filepath.Join(dir, "live.png"))
	<-done

	ctx = tab(t, 1280, 900, "")
	waitFor(t, ctx, "the model list", `document.querySelector("#model option[value=langid]") !== null`)
	must(t, chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("inputs"), "Impossible d'ouvrir le fichier de configuration : permission refusée.\nDie Datei konnte nicht gespeichert werden.\nNie można otworzyć pliku, ponieważ nie istnieje."),
		chromedp.Click(chromedp.ID("classify-btn")),
	))
	waitFor(t, ctx, "three results", `document.querySelectorAll("#results li.result").length === 3`)
	must(t, chromedp.Do(ctx, chromedp.Click(chromedp.ID("sim-btn"))))
	waitFor(t, ctx, "the similarity", `document.getElementById("sim-value") !== null`)
	shoot(t, ctx, filepath.Join(dir, "playground.png"))
}

// waves sends classify traffic for d in rising and falling waves of
// concurrency, with distinct texts and some repeats (cache hits).
func waves(t *testing.T, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range 12 {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				// Worker w is active in the waves where the phase exceeds it.
				phase := int(time.Since(start)/(4*time.Second)) % 4
				if w >= 3*(phase+1) {
					time.Sleep(50 * time.Millisecond)
					continue
				}
				// Lengths vary so that batches carry some padding.
				text := fmt.Sprintf("Le fichier %d du travailleur %d est introuvable.", i, w) +
					strings.Repeat(" Vérifiez le chemin et réessayez.", i%5)
				if i%4 == 0 {
					text = "Le fichier est introuvable."
				}
				_, _ = api(ctx, "POST", "/v1/classify", map[string]any{"model": "langid", "inputs": []string{text}}, nil)
			}
		})
	}
	wg.Wait()
}

// shoot saves a screenshot of the whole page and checks it is a PNG 1280 px
// wide.
func shoot(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100: PNG
	must(t, err)
	img, err := png.Decode(bytes.NewReader(buf))
	if err != nil {
		t.Fatalf("screenshot %s is not a PNG: %v", path, err)
	}
	if w := img.Bounds().Dx(); w != 1280 {
		t.Errorf("screenshot %s is %d px wide; want 1280", path, w)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Fatal(err)
	}
}
