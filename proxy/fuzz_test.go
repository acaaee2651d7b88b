package proxy

import (
	"encoding/json"
	"errors"
	"testing"
)

// FuzzInputs feeds arbitrary JSON to the decoders of the three input
// shapes: they must never panic, and every rejection must be a 400-class
// answer, never an internal error.
func FuzzInputs(f *testing.F) {
	for _, seed := range []string{
		`"a"`, `["a", "b"]`, `[1, 2, 3]`, `[[1], [2, 3]]`, `[["a"], ["a", "b"]]`, `[]`, `{}`, `null`,
		`[["a", "b", "c"]]`, `[1, "a"]`, `[[1], "a"]`, `"\ud800"`, `[[]]`, `9e999`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if _, err := openAIInputs(raw); err != nil {
			var ae *apiError
			if !errors.As(err, &ae) || ae.Status != 400 {
				t.Errorf("openAIInputs(%q) = %v; want a 400", raw, err)
			}
		}
		var p predictInputs
		if err := json.Unmarshal(raw, &p); err == nil && len(p.Items) == 0 {
			t.Errorf("predict inputs %q decoded to nothing without an error", raw)
		}
		var ts texts
		_ = json.Unmarshal(raw, &ts)
	})
}
