package batcher

import (
	"slices"
	"testing"
)

func TestPick(t *testing.T) {
	tests := []struct {
		name      string
		pick      func([]int, int, int) []int
		give      []int
		maxRows   int
		maxTokens int
		want      []int
	}{
		{"by length: empty", pickByLength, nil, 4, 100, nil},
		{"by length: closest to the oldest", pickByLength, []int{10, 50, 11, 9, 48, 12}, 3, 1000, []int{0, 2, 3}},
		{"by length: ties go to the older", pickByLength, []int{10, 12, 8, 12}, 2, 1000, []int{0, 1}},
		{"by length: oldest long text is never left behind", pickByLength, []int{100, 5, 5, 90, 5}, 2, 1000, []int{0, 3}},
		{"by length: row limit", pickByLength, []int{5, 5, 5, 5, 5}, 3, 1000, []int{0, 1, 2}},
		{"by length: padded cost, not real tokens", pickByLength, []int{10, 30, 10}, 4, 60, []int{0, 2}},
		{"by length: skips a row that breaks the budget, takes a later one that fits", pickByLength, []int{20, 24, 14}, 4, 45, []int{0, 2}},
		{"by length: oversize oldest goes alone", pickByLength, []int{200, 5}, 4, 100, []int{0}},
		{"fifo: arrival order", pickFIFO, []int{10, 50, 11, 9}, 3, 1000, []int{0, 1, 2}},
		{"fifo: stops at the first row that breaks the budget", pickFIFO, []int{10, 10, 50, 10}, 4, 100, []int{0, 1}},
		{"fifo: row limit", pickFIFO, []int{1, 1, 1}, 2, 100, []int{0, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.pick(tt.give, tt.maxRows, tt.maxTokens)
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("pick(%v, %d, %d) = %v; want %v", tt.give, tt.maxRows, tt.maxTokens, got, tt.want)
			}
			if len(got) > 1 {
				longest := 0
				for _, i := range got {
					longest = max(longest, tt.give[i])
				}
				if cost := len(got) * longest; cost > tt.maxTokens {
					t.Errorf("padded cost %d exceeds budget %d", cost, tt.maxTokens)
				}
			}
		})
	}
}
