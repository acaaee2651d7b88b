package deploy_test

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// This file reads just enough PromQL to check the deploy files' queries
// against the gateway's metrics: series selectors with their label matchers,
// and the labels of by/without/on/ignoring clauses. Syntax is promtool's job
// (see deploy/README.md); this reader only has to find names.

type matcher struct {
	label, op, value string
}

// literalValues are the exact label values a matcher names: the value of =
// and !=, or the alternatives of a regexp made only of plain words joined by
// |. Values with Grafana variables or regexp syntax give none.
func (m matcher) literalValues() []string {
	if strings.Contains(m.value, "$") || m.value == "" {
		return nil
	}
	if m.op == "=" || m.op == "!=" {
		return []string{m.value}
	}
	alts := strings.Split(m.value, "|")
	for _, a := range alts {
		if a == "" || regexp.QuoteMeta(a) != a {
			return nil
		}
	}
	return alts
}

type selectorExpr struct {
	metric   string
	matchers []matcher
}

type query struct {
	selectors []selectorExpr
	grouping  []string
}

// keywords are PromQL words that are neither metrics nor functions.
var keywords = map[string]bool{
	"and": true, "or": true, "unless": true, "bool": true, "offset": true,
	"group_left": true, "group_right": true, "inf": true, "nan": true,
}

// aggregations may put their by/without clause before the parenthesis.
var aggregations = map[string]bool{
	"sum": true, "min": true, "max": true, "avg": true, "group": true, "stddev": true, "stdvar": true,
	"count": true, "count_values": true, "bottomk": true, "topk": true, "quantile": true,
	"limitk": true, "limit_ratio": true,
}

// groupers take a parenthesised list of label names.
var groupers = map[string]bool{"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true}

func parseQuery(expr string) (query, error) {
	var q query
	s := expr
	i := 0
	skipSpace := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
			i++
		}
	}
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			_, n, err := readString(s[i:])
			if err != nil {
				return q, fmt.Errorf("%q: %w", expr, err)
			}
			i += n
		case c == '[': // range or subquery: durations and Grafana interval variables
			end := strings.IndexByte(s[i:], ']')
			if end < 0 {
				return q, fmt.Errorf("%q: unclosed [", expr)
			}
			i += end + 1
		case c == '{':
			return q, fmt.Errorf("%q: a selector without a metric name", expr)
		case isIdentStart(c):
			start := i
			for i < len(s) && isIdentChar(s[i]) {
				i++
			}
			word := s[start:i]
			skipSpace()
			switch {
			case groupers[word] && i < len(s) && s[i] == '(':
				end := strings.IndexByte(s[i:], ')')
				if end < 0 {
					return q, fmt.Errorf("%q: unclosed %s (", expr, word)
				}
				for _, l := range strings.Split(s[i+1:i+end], ",") {
					if l = strings.TrimSpace(l); l != "" {
						q.grouping = append(q.grouping, l)
					}
				}
				i += end + 1
			case keywords[strings.ToLower(word)] || groupers[word] || aggregations[word]:
			case i < len(s) && s[i] == '(': // a function or an aggregation
			default:
				sel := selectorExpr{metric: word}
				if i < len(s) && s[i] == '{' {
					ms, n, err := readMatchers(s[i:])
					if err != nil {
						return q, fmt.Errorf("%q: %w", expr, err)
					}
					sel.matchers = ms
					i += n
				}
				q.selectors = append(q.selectors, sel)
			}
		case c >= '0' && c <= '9' || c == '.':
			for i < len(s) && (isIdentChar(s[i]) || s[i] == '.') {
				i++ // numbers, including 1e3 and 0x1f
			}
		default:
			i++
		}
	}
	return q, nil
}

// readMatchers reads {label op "value", ...} and returns its length.
func readMatchers(s string) ([]matcher, int, error) {
	var ms []matcher
	i := 1
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == ',' || s[i] == '\n') {
			i++
		}
		if i >= len(s) {
			return nil, 0, fmt.Errorf("unclosed {")
		}
		if s[i] == '}' {
			return ms, i + 1, nil
		}
		start := i
		for i < len(s) && isIdentChar(s[i]) {
			i++
		}
		label := s[start:i]
		for i < len(s) && s[i] == ' ' {
			i++
		}
		opStart := i
		for i < len(s) && strings.IndexByte("=!~", s[i]) >= 0 {
			i++
		}
		op := s[opStart:i]
		if label == "" || (op != "=" && op != "!=" && op != "=~" && op != "!~") {
			return nil, 0, fmt.Errorf("bad matcher at %q", s[start:])
		}
		for i < len(s) && s[i] == ' ' {
			i++
		}
		val, n, err := readString(s[i:])
		if err != nil {
			return nil, 0, err
		}
		i += n
		ms = append(ms, matcher{label: label, op: op, value: val})
	}
}

// readString reads a quoted PromQL string and returns its value and length.
func readString(s string) (string, int, error) {
	if s == "" {
		return "", 0, fmt.Errorf("missing string")
	}
	q := s[0]
	if q != '"' && q != '\'' && q != '`' {
		return "", 0, fmt.Errorf("missing string at %q", s)
	}
	for i := 1; i < len(s); i++ {
		if s[i] == '\\' && q != '`' {
			i++
			continue
		}
		if s[i] == q {
			raw := s[:i+1]
			if q == '\'' {
				raw = `"` + strings.ReplaceAll(raw[1:i], `"`, `\"`) + `"`
			}
			v, err := strconv.Unquote(raw)
			if err != nil {
				return "", 0, fmt.Errorf("string %s: %w", s[:i+1], err)
			}
			return v, i + 1, nil
		}
	}
	return "", 0, fmt.Errorf("unclosed string %q", s)
}

func isIdentStart(c byte) bool {
	return c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdentChar(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }
