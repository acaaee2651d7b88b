package adapterstest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/infergate/infergate/adapters"
)

func TestRunPassesAConformingRuntime(t *testing.T) {
	defer goleak.VerifyNone(t)
	Run(t, func(*testing.T) adapters.Runtime { return &fakeRuntime{} }, writeFakeGolden(t))
}

// brokenEnv selects, in a child test process, which part of the contract the
// fake breaks.
const brokenEnv = "ADAPTERSTEST_BROKEN"

// TestBrokenChild is the child side of TestRunCatchesBrokenRuntimes: it runs
// the suite on a broken fake, and does nothing in a normal test run.
func TestBrokenChild(t *testing.T) {
	flaw := os.Getenv(brokenEnv)
	if flaw == "" {
		return
	}
	newFake := func(*testing.T) adapters.Runtime {
		return &fakeRuntime{
			ignoreMask:    flaw == "mask",
			ignoreContext: flaw == "context",
			allOutputs:    flaw == "outputs",
			ignoreClose:   flaw == "close",
		}
	}
	Run(t, newFake, os.Getenv(brokenEnv+"_GOLDEN"))
}

// TestRunCatchesBrokenRuntimes runs the suite on runtimes that each break one
// rule, in a child process (a failing suite fails its test), and checks the
// suite fails in the check that owns the rule.
func TestRunCatchesBrokenRuntimes(t *testing.T) {
	golden := writeFakeGolden(t)
	tests := []struct {
		flaw, wantFail string
	}{
		{"mask", "BatchInvariance"},
		{"context", "Context"},
		{"outputs", "OutputSelection"},
		{"close", "Close"},
	}
	for _, tt := range tests {
		t.Run(tt.flaw, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestBrokenChild$", "-test.v")
			cmd.Env = append(os.Environ(), brokenEnv+"="+tt.flaw, brokenEnv+"_GOLDEN="+golden)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the suite passed a runtime with flaw %q; output:\n%s", tt.flaw, out)
			}
			if want := "--- FAIL: TestBrokenChild/" + tt.wantFail + " "; !strings.Contains(string(out), want) {
				t.Errorf("flaw %q: output lacks %q:\n%s", tt.flaw, want, out)
			}
		})
	}
}

func TestLoadGolden(t *testing.T) {
	tests := []struct {
		name, give, wantErr string
	}{
		{"valid", `{"cases":[{"input_ids":[1,2],"attention_mask":[1,1],"token_type_ids":[0,0],"logits":[0.5],"last_hidden_state":[[1],[2]]}]}`, ""},
		{"no cases", `{"cases":[]}`, "no cases"},
		{"not json", `{`, "golden"},
		{"empty ids", `{"cases":[{"input_ids":[],"logits":[1]}]}`, "no input_ids"},
		{"short mask", `{"cases":[{"input_ids":[1,2],"attention_mask":[1],"token_type_ids":[0,0],"logits":[1]}]}`, "attention_mask"},
		{"hidden rows", `{"cases":[{"input_ids":[1,2],"attention_mask":[1,1],"token_type_ids":[0,0],"logits":[1],"last_hidden_state":[[1]]}]}`, "hidden-state rows"},
		{"no outputs", `{"cases":[{"input_ids":[1],"attention_mask":[1],"token_type_ids":[0]}]}`, "neither"},
		{"logit counts", `{"cases":[{"input_ids":[1],"attention_mask":[1],"token_type_ids":[0],"logits":[1]},{"input_ids":[1],"attention_mask":[1],"token_type_ids":[0],"logits":[1,2]}]}`, "logits"},
	}
	for _, tt := range tests {
		path := filepath.Join(t.TempDir(), "golden.json")
		if err := os.WriteFile(path, []byte(tt.give), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := LoadGolden(path)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%s: LoadGolden = %v; want nil", tt.name, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%s: LoadGolden = %v; want an error mentioning %q", tt.name, err, tt.wantErr)
		}
	}
}

func TestDiff(t *testing.T) {
	nan := float32(0)
	nan /= nan
	tests := []struct {
		name      string
		got, want []float32
		wantOK    bool
		wantWorst int
	}{
		{"equal", []float32{1, 2}, []float32{1, 2}, true, 0},
		{"within absolute", []float32{0.00005, 0}, []float32{0, 0}, true, 0},
		{"beyond absolute", []float32{0, 0.0002}, []float32{0, 0}, false, 1},
		{"within relative", []float32{100.005}, []float32{100}, true, 0},
		{"beyond relative", []float32{100.02}, []float32{100}, false, 0},
		{"NaN", []float32{1, nan}, []float32{1, 1}, false, 1},
	}
	for _, tt := range tests {
		worst, ok := diff(tt.got, tt.want)
		if ok != tt.wantOK || worst != tt.wantWorst {
			t.Errorf("%s: diff(%v, %v) = %d, %v; want %d, %v", tt.name, tt.got, tt.want, worst, ok, tt.wantWorst, tt.wantOK)
		}
	}
}
