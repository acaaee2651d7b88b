package deploy_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// metricDef is one Prometheus series family the gateway registers.
type metricDef struct {
	labels    []string
	histogram bool
}

// gatewayMetrics is what the gateway's code registers: the infergate_*
// families read from the prometheus constructors in proxy/ (names, labels,
// histogram or not), and which client_golang collectors it adds.
type gatewayMetrics struct {
	defs       map[string]metricDef
	collectors map[string]bool // "go", "process"
}

// readGatewayMetrics parses the non-test Go files under dir and collects
// every prometheus.New{Counter,Gauge,Histogram,Summary}[Vec|Func] and
// prometheus.NewDesc call, so the deploy files are checked against the code
// rather than against a copy of its names.
func readGatewayMetrics(t *testing.T, dir string) gatewayMetrics {
	t.Helper()
	gm := gatewayMetrics{defs: map[string]metricDef{}, collectors: map[string]bool{}}
	fset := token.NewFileSet()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		consts := stringConsts(f)
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			pkg, fn := selector(call.Fun)
			switch {
			case pkg == "collectors" && fn == "NewGoCollector":
				gm.collectors["go"] = true
			case pkg == "collectors" && fn == "NewProcessCollector":
				gm.collectors["process"] = true
			case pkg == "prometheus" && fn == "NewDesc" && len(call.Args) >= 3:
				name, ok := evalString(call.Args[0], consts)
				if !ok {
					t.Errorf("%s: metric name %s is not a constant", fset.Position(call.Pos()), render(call.Args[0]))
					return true
				}
				gm.defs[name] = metricDef{labels: stringList(call.Args[2], consts)}
			case pkg == "prometheus" && strings.HasPrefix(fn, "New") && len(call.Args) >= 1:
				lit, ok := call.Args[0].(*ast.CompositeLit)
				if !ok || !strings.HasSuffix(render(lit.Type), "Opts") {
					return true
				}
				name, err := optsName(lit, consts)
				if err != nil {
					t.Errorf("%s: %v", fset.Position(call.Pos()), err)
					return true
				}
				def := metricDef{histogram: strings.Contains(fn, "Histogram")}
				if strings.HasSuffix(fn, "Vec") && len(call.Args) >= 2 {
					def.labels = stringList(call.Args[1], consts)
				}
				gm.defs[name] = def
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatalf("reading the gateway's metrics: %v", err)
	}
	if len(gm.defs) == 0 {
		t.Fatalf("no prometheus metrics found under %s", dir)
	}
	return gm
}

// optsName joins the Namespace, Subsystem and Name fields of a *Opts literal.
func optsName(lit *ast.CompositeLit, consts map[string]string) (string, error) {
	parts := map[string]string{}
	for _, e := range lit.Elts {
		kv, ok := e.(*ast.KeyValueExpr)
		if !ok {
			continue
		}
		key := render(kv.Key)
		if key != "Namespace" && key != "Subsystem" && key != "Name" {
			continue
		}
		v, ok := evalString(kv.Value, consts)
		if !ok {
			return "", fmt.Errorf("%s %s is not a constant", key, render(kv.Value))
		}
		parts[key] = v
	}
	if parts["Name"] == "" {
		return "", fmt.Errorf("metric options without a Name")
	}
	var name []string
	for _, k := range []string{"Namespace", "Subsystem", "Name"} {
		if parts[k] != "" {
			name = append(name, parts[k])
		}
	}
	return strings.Join(name, "_"), nil
}

// stringConsts maps every string constant declared in the file (at any
// scope) to its value.
func stringConsts(f *ast.File) map[string]string {
	consts := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		decl, ok := n.(*ast.GenDecl)
		if !ok || decl.Tok != token.CONST {
			return true
		}
		for _, spec := range decl.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if i < len(vs.Values) {
					if v, ok := evalString(vs.Values[i], consts); ok {
						consts[name.Name] = v
					}
				}
			}
		}
		return true
	})
	return consts
}

// evalString evaluates string literals, constants and their concatenation.
func evalString(e ast.Expr, consts map[string]string) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(e.Value)
		return s, err == nil
	case *ast.Ident:
		s, ok := consts[e.Name]
		return s, ok
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			return "", false
		}
		a, ok1 := evalString(e.X, consts)
		b, ok2 := evalString(e.Y, consts)
		return a + b, ok1 && ok2
	case *ast.ParenExpr:
		return evalString(e.X, consts)
	}
	return "", false
}

func stringList(e ast.Expr, consts map[string]string) []string {
	lit, ok := e.(*ast.CompositeLit)
	if !ok {
		return nil
	}
	var out []string
	for _, el := range lit.Elts {
		if s, ok := evalString(el, consts); ok {
			out = append(out, s)
		}
	}
	return out
}

func selector(e ast.Expr) (pkg, name string) {
	sel, ok := e.(*ast.SelectorExpr)
	if !ok {
		return "", ""
	}
	id, ok := sel.X.(*ast.Ident)
	if !ok {
		return "", ""
	}
	return id.Name, sel.Sel.Name
}

func render(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return render(e.X) + "." + e.Sel.Name
	case *ast.BasicLit:
		return e.Value
	}
	return fmt.Sprintf("%T", e)
}

// goStringLiterals is every string literal in the non-test Go files under
// dirs: the label values the code can emit (stages, tiers, routes) are among
// them.
func goStringLiterals(t *testing.T, dirs ...string) map[string]bool {
	t.Helper()
	lits := map[string]bool{}
	fset := token.NewFileSet()
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if s, err := strconv.Unquote(lit.Value); err == nil {
						lits[s] = true
					}
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatalf("reading %s: %v", dir, err)
		}
	}
	return lits
}

// targetLabels are added by Prometheus to every scraped series.
var targetLabels = []string{"instance", "job"}

// resolve maps a series name used in a query to the family that produces it
// (histograms expose _bucket, _sum and _count) and the labels it carries.
func (gm gatewayMetrics) resolve(name string) (labels []string, err error) {
	if name == "up" {
		return targetLabels, nil
	}
	if def, ok := gm.defs[name]; ok && !def.histogram {
		return append(slices.Clone(def.labels), targetLabels...), nil
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		base, ok := strings.CutSuffix(name, suffix)
		if def, found := gm.defs[base]; ok && found && def.histogram {
			labels = append(slices.Clone(def.labels), targetLabels...)
			if suffix == "_bucket" {
				labels = append(labels, "le")
			}
			return labels, nil
		}
	}
	for _, c := range []string{"go", "process"} {
		if strings.HasPrefix(name, c+"_") {
			if !gm.collectors[c] {
				return nil, fmt.Errorf("%s: the gateway registers no %s collector", name, c)
			}
			return targetLabels, nil // the collectors' own labels are not checked
		}
	}
	return nil, fmt.Errorf("%s: no such metric in the gateway (proxy/)", name)
}

// checkExpr checks one query against the gateway's metrics: every series
// exists, every matcher's label is one the series carries, every plain
// label value is one the code can emit, and every grouping and legend label
// is carried by some series of the query.
func (gm gatewayMetrics) checkExpr(expr, legend string, literals map[string]bool) error {
	q, err := parseQuery(expr)
	if err != nil {
		return err
	}
	if len(q.selectors) == 0 {
		return fmt.Errorf("no metric in the query")
	}
	var errs []string
	carried := map[string]bool{}
	for _, sel := range q.selectors {
		labels, err := gm.resolve(sel.metric)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		for _, l := range labels {
			carried[l] = true
		}
		for _, m := range sel.matchers {
			if !slices.Contains(labels, m.label) {
				errs = append(errs, fmt.Sprintf("%s has no label %q (it has %v)", sel.metric, m.label, labels))
				continue
			}
			for _, v := range m.literalValues() {
				if !literals[v] && m.label != "code" && !slices.Contains(targetLabels, m.label) {
					errs = append(errs, fmt.Sprintf("%s{%s}: the gateway never emits the value %q", sel.metric, m.label, v))
				}
			}
		}
	}
	grouping := slices.Clone(q.grouping)
	for _, l := range legendLabels(legend) {
		if len(q.grouping) > 0 && !slices.Contains(q.grouping, l) {
			errs = append(errs, fmt.Sprintf("legend label %q is aggregated away (by %v)", l, q.grouping))
		}
		grouping = append(grouping, l)
	}
	for _, l := range grouping {
		if !carried[l] {
			errs = append(errs, fmt.Sprintf("label %q is on no series of the query", l))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

// legendLabels are the {{label}} references of a Grafana legend format.
func legendLabels(legend string) []string {
	var out []string
	for {
		_, rest, ok := strings.Cut(legend, "{{")
		if !ok {
			return out
		}
		name, after, ok := strings.Cut(rest, "}}")
		if !ok {
			return out
		}
		out = append(out, strings.TrimSpace(name))
		legend = after
	}
}
