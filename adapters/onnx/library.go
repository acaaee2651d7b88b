package onnx

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/infergate/infergate/adapters"
)

// EnvLibrary names the environment variable that points at the ONNX Runtime
// shared library when Options.LibraryPath is empty.
const EnvLibrary = "INFERGATE_ORT_LIB"

// localLibrary is where scripts/fetch-ort.sh puts the library, relative to the
// project root.
var localLibrary = filepath.Join("third_party", "onnxruntime", "libonnxruntime.so.1")

// systemLibraries are the names handed to the dynamic loader as a last resort,
// so that its usual search (ld.so.cache, LD_LIBRARY_PATH) applies.
var systemLibraries = []string{"libonnxruntime.so.1", "libonnxruntime.so"}

const fixIt = "run scripts/fetch-ort.sh or set " + EnvLibrary + " to a libonnxruntime.so of ONNX Runtime 1.24 or later"

// environment tracks the ONNX Runtime environment, which onnxruntime_go keeps
// in process-global state: one library, loaded once, shared by every Runtime.
// It is reference counted so that the last Close unloads the library and the
// first New after that loads it again; it holds no configuration of its own.
type environment struct {
	mu   sync.Mutex
	refs int
	lib  string // the library loaded, as handed to the loader
	// external is set when something outside this package initialised the
	// environment; then it is used but never torn down.
	external bool
}

// ortEnv is the one environment of the process, mirroring onnxruntime_go's
// own global; see environment.
var ortEnv environment

// acquire loads the library on first use and takes a reference. explicit is
// Options.LibraryPath: when the library is already loaded from elsewhere, an
// explicit different path is an error (a process holds one ONNX Runtime),
// while an empty one shares what is loaded.
func (e *environment) acquire(explicit string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.refs > 0 {
		if explicit != "" && !e.external && !samePath(explicit, e.lib) {
			return adapters.Errorf(adapters.KindBadInput,
				"onnx: ONNX Runtime is already loaded from %s; one process holds one library, so library_path %s cannot be used as well", e.lib, explicit)
		}
		e.refs++
		return nil
	}
	if ort.IsInitialized() {
		e.refs, e.external, e.lib = 1, true, "(initialised outside infergate)"
		return nil
	}
	candidates, system, err := libraryCandidates(explicit)
	if err != nil {
		return err
	}
	var failures []string
	for _, lib := range candidates {
		ort.SetSharedLibraryPath(lib)
		err := ort.InitializeEnvironment(ort.WithLogLevelFatal())
		if err == nil {
			e.refs, e.external, e.lib = 1, false, lib
			return nil
		}
		failures = append(failures, err.Error())
	}
	if !system {
		return adapters.Errorf(adapters.KindUnavailable,
			"onnx: ONNX Runtime library %s is unusable (%s); %s", candidates[0], strings.Join(failures, "; "), fixIt)
	}
	return adapters.Errorf(adapters.KindUnavailable,
		"onnx: no ONNX Runtime library found (no %s, no %s in the working directory or its parents, none on the system: %s); %s",
		EnvLibrary, localLibrary, strings.Join(failures, "; "), fixIt)
}

// release drops a reference; the last one unloads the library.
func (e *environment) release() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.refs == 0 {
		return nil
	}
	e.refs--
	if e.refs > 0 || e.external {
		if e.refs == 0 {
			e.external = false
		}
		return nil
	}
	e.lib = ""
	if err := ort.DestroyEnvironment(); err != nil {
		return fmt.Errorf("onnx: unload ONNX Runtime: %w", err)
	}
	return nil
}

// libraryCandidates lists the libraries to try, in order: the explicit path,
// $INFERGATE_ORT_LIB, the project-local copy, then the system's. A path given
// explicitly (option or environment) must exist: a typo there is an error, not
// a reason to silently load something else. system reports that only the
// system's libraries are left to try.
func libraryCandidates(explicit string) (libs []string, system bool, err error) {
	for _, p := range []struct{ from, path string }{
		{"library_path", explicit},
		{EnvLibrary, os.Getenv(EnvLibrary)},
	} {
		if p.path == "" {
			continue
		}
		if _, err := os.Stat(p.path); err != nil {
			return nil, false, adapters.Errorf(adapters.KindUnavailable,
				"onnx: ONNX Runtime library from %s: %w; %s", p.from, err, fixIt)
		}
		return []string{absPath(p.path)}, false, nil
	}
	if lib, ok := findLocal(); ok {
		return []string{lib}, false, nil
	}
	return systemLibraries, true, nil
}

// findLocal looks for third_party/onnxruntime/libonnxruntime.so.1 in the
// working directory and its parents (so tests in any package find it), then
// beside the executable and its parents (so an installed binary does).
func findLocal() (string, bool) {
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if exe, err := os.Executable(); err == nil {
		starts = append(starts, filepath.Dir(exe))
	}
	for _, dir := range starts {
		for {
			p := filepath.Join(dir, localLibrary)
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
				return p, true
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return "", false
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// samePath reports whether two library paths name the same file.
func samePath(a, b string) bool {
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	if errA == nil && errB == nil {
		return os.SameFile(sa, sb)
	}
	return absPath(a) == absPath(b)
}
