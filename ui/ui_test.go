package ui_test

import (
	"io/fs"
	"path"
	"regexp"
	"strings"
	"testing"

	"github.com/infergate/infergate/ui"
)

// The dashboard must work offline and without a build step: every file that
// a page or module refers to is embedded, and nothing points off the host.
func TestFilesAreSelfContained(t *testing.T) {
	files := ui.Files()
	if _, err := fs.Stat(files, "index.html"); err != nil {
		t.Fatalf("index.html is not at the root: %v", err)
	}
	refs := map[string]*regexp.Regexp{
		".html": regexp.MustCompile(`(?:src|href)="([^"#:]+)"`),
		".js":   regexp.MustCompile(`(?m)^\s*import\s+[^"']*["']([^"']+)["']`),
		".css":  regexp.MustCompile(`url\(["']?([^"')]+)["']?\)`),
	}
	remote := regexp.MustCompile(`(?i)(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}/`)
	var checked int
	err := fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(files, name)
		if err != nil {
			return err
		}
		src := string(b)
		if m := remote.FindString(src); m != "" {
			t.Errorf("%s refers to a remote location %q; the dashboard must work offline", name, m)
		}
		re := refs[path.Ext(name)]
		if re == nil {
			return nil
		}
		for _, m := range re.FindAllStringSubmatch(src, -1) {
			ref := m[1]
			if strings.HasPrefix(ref, "data:") {
				continue
			}
			target := path.Clean(path.Join(path.Dir(name), ref))
			if _, err := fs.Stat(files, target); err != nil {
				t.Errorf("%s refers to %q, which is not embedded (%v)", name, ref, err)
			}
			checked++
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk: %v", err)
	}
	if checked < 10 {
		t.Errorf("checked only %d references; the patterns no longer match the sources", checked)
	}
}
