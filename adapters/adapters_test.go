package adapters

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"
)

func TestBatchValidate(t *testing.T) {
	good := func(edit func(b *Batch)) Batch {
		b := Batch{
			Rows: 2, Len: 3,
			InputIDs:      []int64{101, 7, 102, 101, 102, 0},
			AttentionMask: []int64{1, 1, 1, 1, 1, 0},
			TokenTypeIDs:  []int64{0, 0, 0, 0, 1, 0},
		}
		edit(&b)
		return b
	}
	tests := []struct {
		name    string
		give    Batch
		wantErr bool
	}{
		{"valid", good(func(*Batch) {}), false},
		{"zero rows", good(func(b *Batch) { b.Rows = 0 }), true},
		{"negative len", good(func(b *Batch) { b.Len = -3 }), true},
		{"overflowing shape", good(func(b *Batch) { b.Rows, b.Len = math.MaxInt/2, 4 }), true},
		{"wrapping shape", good(func(b *Batch) { b.Rows, b.Len = 1<<32, 1<<32 }), true},
		{"rows x len mismatch", good(func(b *Batch) { b.Rows = 3 }), true},
		{"short mask", good(func(b *Batch) { b.AttentionMask = b.AttentionMask[:5] }), true},
		{"long type ids", good(func(b *Batch) { b.TokenTypeIDs = append(b.TokenTypeIDs, 0) }), true},
		{"negative id", good(func(b *Batch) { b.InputIDs[4] = -1 }), true},
		{"negative type id", good(func(b *Batch) { b.TokenTypeIDs[1] = -2 }), true},
		{"mask 2", good(func(b *Batch) { b.AttentionMask[2] = 2 }), true},
		{"mask -1", good(func(b *Batch) { b.AttentionMask[0] = -1 }), true},
	}
	for _, tt := range tests {
		err := tt.give.Validate()
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: Validate() = %v; want error %v", tt.name, err, tt.wantErr)
		}
		if err != nil && KindOf(err) != KindBadInput {
			t.Errorf("%s: Validate() kind = %v; want %v", tt.name, KindOf(err), KindBadInput)
		}
	}
}

func TestKinds(t *testing.T) {
	base := errors.New("boom")
	tests := []struct {
		name          string
		give          error
		wantKind      Kind
		wantRetryable bool
	}{
		{"nil", nil, KindInternal, false},
		{"plain", base, KindInternal, false},
		{"unavailable", Wrap(KindUnavailable, base), KindUnavailable, true},
		{"bad input", Errorf(KindBadInput, "bad %d", 1), KindBadInput, false},
		{"wrapped twice", fmt.Errorf("ctx: %w", Wrap(KindBadInput, base)), KindBadInput, false},
		{"deadline", context.DeadlineExceeded, KindTimeout, true},
		{"wrapped cancel", Wrap(KindInternal, fmt.Errorf("x: %w", context.Canceled)), KindTimeout, true},
	}
	for _, tt := range tests {
		if got := KindOf(tt.give); got != tt.wantKind {
			t.Errorf("%s: KindOf(%v) = %v; want %v", tt.name, tt.give, got, tt.wantKind)
		}
		if got := Retryable(tt.give); got != tt.wantRetryable {
			t.Errorf("%s: Retryable(%v) = %v; want %v", tt.name, tt.give, got, tt.wantRetryable)
		}
	}
	if Wrap(KindInternal, nil) != nil {
		t.Error("Wrap(kind, nil) != nil")
	}
	if err := Wrap(KindUnavailable, base); !errors.Is(err, base) {
		t.Errorf("Wrap(%v) does not unwrap to the cause", err)
	}
}
