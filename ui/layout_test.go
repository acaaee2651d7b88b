package ui_test

import (
	"context"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// Every panel fits a 375 px phone without sideways scrolling, and every
// control has a label.
func TestPanelsFitPhoneAndAreLabelled(t *testing.T) {
	for _, fragment := range []string{"#playground", "#live", "#backends"} {
		t.Run(fragment, func(t *testing.T) {
			ctx := tab(t, 375, 800, fragment)
			waitFor(t, ctx, "the panel", `!document.getElementById(location.hash.slice(1)).hidden`)
			if w := eval[int](t, ctx, `document.documentElement.scrollWidth`); w > 375 {
				t.Errorf("page is %d px wide at a 375 px viewport; want no sideways scrolling", w)
			}
			unlabelled := eval[[]string](t, ctx, `[...document.querySelectorAll("input, select, textarea, button")]
				.filter(e => e.offsetParent !== null)
				.filter(e => !(e.labels && e.labels.length) && !e.getAttribute("aria-label") && !e.textContent.trim())
				.map(e => e.id || e.outerHTML.slice(0, 60))`)
			if len(unlabelled) > 0 {
				t.Errorf("controls without a label: %q", unlabelled)
			}
		})
	}
}

// The tabs follow the ARIA tabs pattern: arrow keys move between them and
// show the matching panel, and Home/End jump to the ends.
func TestTabsWorkFromTheKeyboard(t *testing.T) {
	ctx := tab(t, 1280, 900, "")
	tests := []struct {
		key       string
		wantTab   string
		wantPanel string
	}{
		{kb.ArrowRight, "tab-live", "live"},
		{kb.ArrowRight, "tab-backends", "backends"},
		{kb.ArrowRight, "tab-playground", "playground"},
		{kb.ArrowLeft, "tab-backends", "backends"},
		{kb.Home, "tab-playground", "playground"},
		{kb.End, "tab-backends", "backends"},
	}
	must(t, chromedp.Do(ctx, chromedp.Focus(chromedp.ID("tab-playground"))))
	for _, tt := range tests {
		must(t, chromedp.Do(ctx, chromedp.KeyEvent(tt.key)))
		if got := eval[string](t, ctx, `document.activeElement.id`); got != tt.wantTab {
			t.Fatalf("after key %q focus is on %q; want %q", tt.key, got, tt.wantTab)
		}
		visible := eval[[]string](t, ctx, `[...document.querySelectorAll('[role=tabpanel]')].filter(p => !p.hidden).map(p => p.id)`)
		if len(visible) != 1 || visible[0] != tt.wantPanel {
			t.Fatalf("after key %q visible panels = %q; want [%s]", tt.key, visible, tt.wantPanel)
		}
	}
}

// Light and dark follow the system setting.
func TestColourSchemeFollowsSystem(t *testing.T) {
	ctx := tab(t, 1280, 900, "")
	bg := func(scheme string) string {
		must(t, chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
			})
			return err
		})))
		return eval[string](t, ctx, `getComputedStyle(document.body).backgroundColor`)
	}
	light, dark := bg("light"), bg("dark")
	if light == dark {
		t.Errorf("background is %s in both light and dark; want it to follow prefers-color-scheme", light)
	}
}
