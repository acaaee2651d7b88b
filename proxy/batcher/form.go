package batcher

import (
	"cmp"
	"slices"
)

// pickByLength chooses the next batch from queued sequence lengths, oldest
// first. The oldest (index 0) always goes, so nothing starves; the rest are
// the requests closest to it in length, ties to the older, as long as the
// batch stays within maxRows and its padded cost rows x longest within
// maxTokens. A long text thus rides with other long texts, and short ones
// with short ones.
func pickByLength(lens []int, maxRows, maxTokens int) []int {
	if len(lens) == 0 {
		return nil
	}
	order := make([]int, 0, len(lens)-1)
	for i := 1; i < len(lens); i++ {
		order = append(order, i)
	}
	head := lens[0]
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Compare(absDiff(lens[a], head), absDiff(lens[b], head))
	})
	picked, longest := []int{0}, head
	for _, i := range order {
		if len(picked) >= maxRows {
			break
		}
		l := max(longest, lens[i])
		if (len(picked)+1)*l > maxTokens {
			continue // a shorter one further on may still fit
		}
		picked, longest = append(picked, i), l
	}
	return picked
}

// pickFIFO is plain token-budget batching: requests in arrival order until
// the next one would break a limit.
func pickFIFO(lens []int, maxRows, maxTokens int) []int {
	if len(lens) == 0 {
		return nil
	}
	picked, longest := []int{0}, lens[0]
	for i := 1; i < len(lens) && len(picked) < maxRows; i++ {
		l := max(longest, lens[i])
		if (len(picked)+1)*l > maxTokens {
			break
		}
		picked, longest = append(picked, i), l
	}
	return picked
}

func absDiff(a, b int) int {
	if a > b {
		return a - b
	}
	return b - a
}
