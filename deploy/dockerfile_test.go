package deploy_test

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/infergate/infergate/proxy/config"
)

// instruction is one Dockerfile instruction with its continuation lines joined.
type instruction struct {
	cmd  string // upper case: FROM, COPY, RUN, ...
	args string
}

func dockerfile(t *testing.T) []instruction {
	t.Helper()
	data, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var out []instruction
	var cur strings.Builder
	for _, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && cur.Len() == 0) {
			continue
		}
		if body, ok := strings.CutSuffix(trimmed, "\\"); ok {
			cur.WriteString(body + " ")
			continue
		}
		cur.WriteString(trimmed)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, instruction{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)})
		cur.Reset()
	}
	return out
}

// copies are the COPY instructions of the final stage from the build
// context (no --from): source and destination.
func contextCopies(t *testing.T) [][2]string {
	t.Helper()
	var out [][2]string
	for _, in := range dockerfile(t) {
		if in.cmd != "COPY" || strings.Contains(in.args, "--from=") {
			continue
		}
		f := strings.Fields(in.args)
		for _, src := range f[:len(f)-1] {
			if !strings.HasPrefix(src, "--") {
				out = append(out, [2]string{src, f[len(f)-1]})
			}
		}
	}
	return out
}

// dockerfileCopies reports whether the repository path lands at the same
// path under the image's working directory.
func dockerfileCopies(t *testing.T, path string) bool {
	t.Helper()
	for _, c := range contextCopies(t) {
		rel, err := filepath.Rel(c[0], path)
		if err == nil && !strings.HasPrefix(rel, "..") && filepath.Join(c[1], rel) == filepath.Join(dockerWorkdir(t), path) {
			return true
		}
	}
	return false
}

func dockerWorkdir(t *testing.T) string {
	t.Helper()
	dir := ""
	for _, in := range dockerfile(t) {
		if in.cmd == "WORKDIR" {
			dir = in.args
		}
	}
	return dir
}

func dockerfileUID(t *testing.T) int {
	t.Helper()
	uid := -1
	for _, in := range dockerfile(t) {
		if in.cmd == "USER" {
			u, _, _ := strings.Cut(in.args, ":")
			n, err := strconv.Atoi(u)
			if err != nil {
				t.Fatalf("USER %s: want a numeric uid (Kubernetes runAsNonRoot checks it)", in.args)
			}
			uid = n
		}
	}
	if uid <= 0 {
		t.Fatal("the image runs as root: no USER")
	}
	return uid
}

func TestDockerfile(t *testing.T) {
	ins := dockerfile(t)
	def := config.Default()
	var expose []string
	var healthcheck, build string
	env := map[string]string{}
	var fromCopies []string
	for _, in := range ins {
		switch in.cmd {
		case "EXPOSE":
			expose = append(expose, strings.Fields(in.args)...)
		case "HEALTHCHECK":
			healthcheck = in.args
		case "ENV":
			k, v, _ := strings.Cut(in.args, "=")
			env[k] = v
		case "RUN":
			if strings.Contains(in.args, "go build") {
				build = in.args
			}
		case "COPY":
			if strings.Contains(in.args, "--from=") {
				f := strings.Fields(in.args)
				fromCopies = append(fromCopies, f[len(f)-1])
			}
		}
	}
	for _, addr := range []string{def.Server.HTTPAddr, def.Server.GRPCAddr} {
		if p := strconv.Itoa(port(t, addr)); !slices.Contains(expose, p) {
			t.Errorf("EXPOSE %v lacks %s", expose, p)
		}
	}
	if want := ":" + strconv.Itoa(port(t, def.Server.HTTPAddr)) + "/healthz"; !strings.Contains(healthcheck, want) {
		t.Errorf("HEALTHCHECK %q does not GET %s", healthcheck, want)
	}
	if !strings.Contains(build, "CGO_ENABLED=1") || !strings.Contains(build, "./cmd/infergate") {
		t.Errorf("the build step %q must build ./cmd/infergate with cgo (the ONNX Runtime binding needs it)", build)
	}
	if lib := env["INFERGATE_ORT_LIB"]; !slices.Contains(fromCopies, lib) {
		t.Errorf("INFERGATE_ORT_LIB=%s is not where a COPY --from puts the library (%v)", lib, fromCopies)
	}
	dockerfileUID(t)

	// The embedded default's files are in the image where its relative paths
	// point, and the build context does not exclude them.
	m := def.Models[0]
	for _, p := range []string{m.Tokenizer, m.Labels, m.Backends[0].ModelPath, "scripts/fetch-ort.sh"} {
		if p == "scripts/fetch-ort.sh" {
			if !strings.Contains(dockerfileText(t), p) {
				t.Errorf("the Dockerfile does not use %s", p)
			}
		} else if !dockerfileCopies(t, p) {
			t.Errorf("%s is not copied to %s", p, filepath.Join(dockerWorkdir(t), p))
		}
		if pat := ignoredBy(t, p); pat != "" {
			t.Errorf("%s is excluded from the build context by .dockerignore's %q", p, pat)
		}
	}
}

func dockerfileText(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// ignoredBy returns the .dockerignore pattern that excludes path, if any
// (plain paths, ** prefixes and globs per element; no ! exceptions are used).
func ignoredBy(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	elems := strings.Split(path, "/")
	for _, line := range strings.Split(string(data), "\n") {
		pat := strings.TrimSpace(line)
		if pat == "" || strings.HasPrefix(pat, "#") {
			continue
		}
		if strings.HasPrefix(pat, "!") {
			t.Fatalf(".dockerignore exception %q: teach ignoredBy about it", pat)
		}
		pelems := strings.Split(strings.TrimPrefix(pat, "**/"), "/")
		anywhere := strings.HasPrefix(pat, "**/")
		for start := 0; start <= len(elems)-len(pelems); start++ {
			if start > 0 && !anywhere {
				break
			}
			match := true
			for i, pe := range pelems {
				if ok, _ := filepath.Match(pe, elems[start+i]); !ok {
					match = false
					break
				}
			}
			if match {
				return pat
			}
		}
	}
	return ""
}
