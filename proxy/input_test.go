package proxy

import "testing"

func TestCheckUnicode(t *testing.T) {
	tests := []struct {
		name string
		body string
		ok   bool
	}{
		{"ascii", `{"inputs": "hello"}`, true},
		{"utf-8 text", `{"inputs": "héllo 日本 🙂"}`, true},
		{"escaped pair", `{"inputs": "\ud83d\ude42"}`, true},
		{"upper-case pair", `{"inputs": "\uD83D\uDE42"}`, true},
		{"bmp escape", `{"inputs": "\u00e9\u0041"}`, true},
		{"escaped backslash then u", `{"inputs": "\\ud800"}`, true},
		{"surrogate-like outside strings", `{"a": 1} `, true},
		{"escaped quote keeps the string open", `{"inputs": "a\"\ud800"}`, false},
		{"lone high", `{"inputs": "\ud800"}`, false},
		{"lone high at end", `"\udbff`, false},
		{"lone low", `{"inputs": "x\udc00"}`, false},
		{"high then high", `{"inputs": "\ud800\ud800"}`, false},
		{"high then text", `{"inputs": "\ud800abc"}`, false},
		{"raw 0xff", "{\"inputs\": \"ab\xffcd\"}", false},
		{"truncated utf-8", "{\"inputs\": \"\xe6\x97\"}", false},
		{"encoded surrogate bytes", "{\"inputs\": \"\xed\xa0\x80\"}", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkUnicode([]byte(tt.body))
			if (err == nil) != tt.ok {
				t.Fatalf("checkUnicode(%q) = %v; want ok=%v", tt.body, err, tt.ok)
			}
			if err != nil {
				if ae, isAPI := err.(*apiError); !isAPI || ae.Status != 400 {
					t.Errorf("checkUnicode(%q) = %#v; want a 400", tt.body, err)
				}
			}
		})
	}
}

func TestContainsNull(t *testing.T) {
	tests := []struct {
		raw  string
		want bool
	}{
		{`["a", "b"]`, false},
		{`["null", "nn\"n"]`, false},
		{`["a\\", "n"]`, false},
		{`[1, 2, 3]`, false},
		{`[[1], [2]]`, false},
		{`["a", null]`, true},
		{`[null]`, true},
		{`[[1, null]]`, true},
		{`["a\\", null]`, true},
		{`["a\"", null]`, true},
	}
	for _, tt := range tests {
		if got := containsNull([]byte(tt.raw)); got != tt.want {
			t.Errorf("containsNull(%s) = %v; want %v", tt.raw, got, tt.want)
		}
	}
}
