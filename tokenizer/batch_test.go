package tokenizer

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestEncodeBatchMatchesEncode(t *testing.T) {
	defer goleak.VerifyNone(t)
	tok := loadT(t, vocabPath)
	var texts []string
	for _, c := range loadGoldens(t) {
		texts = append(texts, c.Text)
	}
	for _, opts := range []Options{{}, {MaxLength: 64}} {
		got, err := tok.EncodeBatch(texts, opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(texts) {
			t.Fatalf("EncodeBatch returned %d encodings for %d texts", len(got), len(texts))
		}
		for i, s := range texts {
			want, err := tok.Encode(s, opts)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got[i], want) {
				t.Fatalf("EncodeBatch(%+v)[%d] = %v; want %v (Encode)", opts, i, got[i].Tokens, want.Tokens)
			}
		}
	}
}

func TestEncodeBatchPadding(t *testing.T) {
	defer goleak.VerifyNone(t)
	tests := []struct {
		name    string
		padding map[string]any
		wantLen int
	}{
		{"batch longest", map[string]any{"strategy": "BatchLongest", "direction": "Right", "pad_id": 0, "pad_type_id": 0, "pad_token": "[PAD]"}, 7},
		{"batch longest to multiple", map[string]any{"strategy": "BatchLongest", "direction": "Right", "pad_to_multiple_of": 8, "pad_id": 0, "pad_type_id": 0, "pad_token": "[PAD]"}, 8},
		{"fixed", map[string]any{"strategy": map[string]any{"Fixed": 12}, "direction": "Right", "pad_id": 0, "pad_type_id": 0, "pad_token": "[PAD]"}, 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := jsonVariant(t, func(m map[string]any) { m["padding"] = tt.padding; m["truncation"] = nil })
			if err != nil {
				t.Fatal(err)
			}
			got, err := tok.EncodeBatch([]string{"a", "a b c d e", "a b"}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for i, e := range got {
				if e.Len() != tt.wantLen {
					t.Errorf("row %d has %d tokens; want %d", i, e.Len(), tt.wantLen)
				}
			}
			if got[0].Tokens[3] != "[PAD]" || got[0].AttentionMask[3] != 0 {
				t.Errorf("row 0 = %q %v; want padding from index 3", got[0].Tokens, got[0].AttentionMask)
			}
		})
	}
}

func TestEncodeBatchErrors(t *testing.T) {
	defer goleak.VerifyNone(t)
	tok := loadT(t, vocabPath)
	texts := []string{"fine", strings.Repeat("ok ", 100), "bad\xff", "fine too"}
	if _, err := tok.EncodeBatch(texts, Options{}); !errors.Is(err, ErrInvalidUTF8) || !strings.Contains(err.Error(), "text 2") {
		t.Errorf("EncodeBatch error = %v; want ErrInvalidUTF8 naming text 2", err)
	}
	if _, err := tok.EncodeBatch(texts, Options{MaxLength: -3}); err == nil {
		t.Error("EncodeBatch with negative MaxLength succeeded")
	}
	if got, err := tok.EncodeBatch(nil, Options{}); err != nil || len(got) != 0 {
		t.Errorf("EncodeBatch(nil) = %v, %v; want empty, nil", got, err)
	}
}
