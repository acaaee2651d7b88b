// Package ui is the gateway's dashboard: static HTML, CSS and JavaScript
// (ES modules, no framework, no build step) embedded in the binary so the
// dashboard works offline, with nothing fetched from a CDN.
package ui

import (
	"embed"
	"io/fs"
)

//go:embed static
var static embed.FS

// Files returns the dashboard's files with index.html at the root, ready for
// the gateway to serve at "/" (for example with fiber's filesystem middleware
// or http.FileServerFS).
func Files() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		// fs.Sub fails only for an invalid path; "static" is a constant that
		// the go:embed directive above guarantees to exist.
		panic("ui: embedded static folder missing: " + err.Error())
	}
	return sub
}
