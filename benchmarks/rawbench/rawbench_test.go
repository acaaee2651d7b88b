package rawbench

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/infergate/infergate/adapters"
)

// wordEncoder is a test double: [CLS] + one id per word + [SEP].
type wordEncoder struct{}

func (wordEncoder) Encode(text string) ([]int32, []int32, error) {
	ids := []int32{101}
	for range strings.Fields(text) {
		ids = append(ids, 7)
	}
	ids = append(ids, 102)
	return ids, make([]int32, len(ids)), nil
}

// fakeRuntime costs 10µs per padded token and records the batches it saw.
type fakeRuntime struct {
	mu      sync.Mutex
	batches []adapters.Batch
}

func (f *fakeRuntime) Infer(ctx context.Context, b adapters.Batch) (adapters.Outputs, error) {
	if err := b.Validate(); err != nil {
		return nil, err
	}
	time.Sleep(time.Duration(b.Rows*b.Len) * 10 * time.Microsecond)
	f.mu.Lock()
	f.batches = append(f.batches, b)
	f.mu.Unlock()
	return adapters.Outputs{}, nil
}

func TestMeasureBatchesAndPadding(t *testing.T) {
	texts := []string{"a", "a b c d e f g h", "a b", "a b c d e f g h i j"} // 3, 10, 4, 12 tokens
	tests := []struct {
		order       Order
		wantPadding float64
	}{
		// sorted: [3 4] [10 12] -> computed 8 + 24 = 32, real 29
		{Sorted, 1 - 29.0/32},
		// arrival: [3 10] [4 12] -> computed 20 + 24 = 44, real 29
		{Arrival, 1 - 29.0/44},
	}
	for _, tt := range tests {
		f := &fakeRuntime{}
		pts, err := Measure(context.Background(), f, wordEncoder{}, Options{
			Texts: texts, BatchSizes: []int{2}, Order: tt.order, Duration: 50 * time.Millisecond, Outputs: []string{"logits"}})
		if err != nil {
			t.Fatal(err)
		}
		p := pts[0]
		if d := p.PaddingRatio - tt.wantPadding; d > 1e-9 || d < -1e-9 {
			t.Errorf("%s: padding %.4f; want %.4f", tt.order, p.PaddingRatio, tt.wantPadding)
		}
		if p.Rows != 2*p.Batches || p.RowsPerSec <= 0 || p.Batch.P50 <= 0 {
			t.Errorf("%s: point %+v; want 2 rows per batch and positive rates", tt.order, p)
		}
		b := f.batches[0]
		if b.Rows != 2 || b.Outputs[0] != "logits" || b.AttentionMask[b.Len-1] != 0 && b.Len*2 != 8 {
			t.Errorf("%s: first batch %+v", tt.order, b)
		}
	}
}

func TestMeasureRejectsBadOptions(t *testing.T) {
	if _, err := Measure(context.Background(), &fakeRuntime{}, wordEncoder{}, Options{}); err == nil {
		t.Error("Measure with no texts: want an error")
	}
	if _, err := Measure(context.Background(), &fakeRuntime{}, wordEncoder{}, Options{Texts: []string{"a"}, BatchSizes: []int{0}, Duration: time.Millisecond}); err == nil {
		t.Error("Measure with batch size 0: want an error")
	}
}
