package proxy

import (
	"math"
	"testing"
	"time"
)

func TestSoftmax(t *testing.T) {
	tests := []struct {
		name string
		give []float32
		want []float32
	}{
		{"uniform", []float32{1, 1}, []float32{0.5, 0.5}},
		{"large logits do not overflow", []float32{1000, 999}, []float32{float32(1 / (1 + math.Exp(-1))), float32(1 / (1 + math.Exp(1)))}},
		{"one class", []float32{-7}, []float32{1}},
	}
	for _, tt := range tests {
		got := softmax(tt.give)
		for i := range tt.want {
			if math.Abs(float64(got[i]-tt.want[i])) > 1e-6 {
				t.Errorf("%s: softmax(%v) = %v; want %v", tt.name, tt.give, got, tt.want)
			}
		}
	}
}

func TestRankedKeepsLabelOrderOnTies(t *testing.T) {
	got := ranked([]float32{0.2, 0.5, 0.2, 0.1}, []string{"a", "b", "c"})
	want := []string{"b", "a", "c", "LABEL_3"}
	for i, w := range want {
		if got[i].Label != w {
			t.Fatalf("ranked = %v; want labels %v", got, want)
		}
	}
}

func TestPoolHidden(t *testing.T) {
	state := []float32{1, 2, 3, 4, 100, 100} // 3 tokens x 2
	tests := []struct {
		name    string
		mask    []int32
		pooling string
		want    []float32
	}{
		{"cls", []int32{1, 1, 1}, "cls", []float32{1, 2}},
		{"mean over all", []int32{1, 1, 1}, "mean", []float32{104.0 / 3, 106.0 / 3}},
		{"mean skips masked", []int32{1, 1, 0}, "mean", []float32{2, 3}},
	}
	for _, tt := range tests {
		got, err := poolHidden(state, 2, tt.mask, tt.pooling)
		if err != nil {
			t.Fatal(err)
		}
		for i := range tt.want {
			if math.Abs(float64(got[i]-tt.want[i])) > 1e-5 {
				t.Errorf("%s: poolHidden = %v; want %v", tt.name, got, tt.want)
			}
		}
	}
	if _, err := poolHidden(state, 4, nil, "mean"); err == nil {
		t.Error("poolHidden accepted a state that does not split into rows")
	}
}

func TestShapeVectorCopiesAndNormalises(t *testing.T) {
	v := []float32{3, 4, 12}
	got := shapeVector(v, 2, true)
	if len(got) != 2 || math.Abs(float64(got[0])-0.6) > 1e-6 || math.Abs(float64(got[1])-0.8) > 1e-6 {
		t.Errorf("shapeVector(%v, 2, true) = %v; want [0.6 0.8]", v, got)
	}
	got[0] = 99
	if v[0] != 3 {
		t.Error("shapeVector wrote into its input, which the cache shares")
	}
	if got := shapeVector([]float32{0, 0}, 0, true); got[0] != 0 || got[1] != 0 {
		t.Errorf("a zero vector normalised to %v", got)
	}
}

func TestResultEncodingRoundTrips(t *testing.T) {
	vec := []float32{1.5, -2, float32(math.Inf(1)), 0}
	tokens, got, err := decodeResult(encodeResult(17, vec))
	if err != nil || tokens != 17 || len(got) != len(vec) {
		t.Fatalf("round trip = %d %v %v", tokens, got, err)
	}
	for i := range vec {
		if got[i] != vec[i] {
			t.Errorf("value %d = %v; want %v", i, got[i], vec[i])
		}
	}
	if _, _, err := decodeResult([]byte{1, 2, 3}); err == nil {
		t.Error("decodeResult accepted 3 bytes")
	}
}

func TestWindowPercentilesAndRatios(t *testing.T) {
	now := time.Unix(1000, 0)
	w := newWindow(func() time.Time { return now })
	for i := 1; i <= 100; i++ {
		w.request(time.Duration(i)*time.Millisecond, i > 95)
	}
	w.batch(4, 30, 40)
	w.batch(2, 10, 10)
	w.cacheResult(true)
	w.cacheResult(false)
	w.queue(7)
	now = now.Add(time.Second) // the second above is now complete
	r := w.snapshot(10, 60, 5)
	within := func(got *float64, want, tol float64) bool { return got != nil && math.Abs(*got-want) <= tol }
	checks := []struct {
		name string
		ok   bool
	}{
		{"requests", r.Requests == 100},
		{"rps over 10s", math.Abs(r.RPS-10) < 1e-9},
		{"p50 near 50ms", within(r.P50, 50, 5)},
		{"p99 near 99ms", within(r.P99, 99, 10)},
		{"errors 5%", within(r.ErrorRatio, 0.05, 1e-9)},
		{"mean batch rows 3", within(r.BatchRows, 3, 1e-9)},
		{"padding 10/50", within(r.PaddingRatio, 0.2, 1e-9)},
		{"cache hits 1/2", within(r.CacheHitRatio, 0.5, 1e-9)},
		{"queue peak", r.QueueDepth == 7},
		{"12 points", len(r.Series) == 12},
		{"last point holds the requests", r.Series[len(r.Series)-1].Requests == 100},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: snapshot = %+v", c.name, r.statsPoint)
		}
	}
	now = now.Add(400 * time.Second) // everything has aged out
	if r := w.snapshot(10, 60, 5); r.Requests != 0 || r.P50 != nil {
		t.Errorf("after 400s the window still reports %+v", r.statsPoint)
	}
}

func TestWindowKeepsItsOldestSecondWhileTheCurrentFills(t *testing.T) {
	now := time.Unix(5000, 0)
	w := newWindow(func() time.Time { return now })
	w.request(time.Millisecond, false)
	now = now.Add(300 * time.Second)   // that second is now the oldest of 300
	w.request(time.Millisecond, false) // the current second fills
	if r := w.snapshot(10, 300, 300); r.Series[0].Requests != 1 {
		t.Errorf("a 300 s window counts %d requests in its oldest second; want 1", r.Series[0].Requests)
	}
}
