package pool

import (
	"math/rand/v2"
	"slices"

	"github.com/sony/gobreaker/v2"
)

// pick chooses among the available replicas not yet tried by the power of
// two random choices: draw two, keep the cheaper. Unlike always taking the
// cheapest, concurrent callers do not all herd onto the one replica that
// looked best a moment ago, and the worst replica never wins. A replica whose breaker is
// half-open goes first: its trial call is the only way it can recover, and
// its breaker lets just one through (the others are refused at no cost and
// pick again). It returns nil when none is left.
func (p *Pool) pick(tried []*replica) *replica {
	cands := make([]*replica, 0, len(p.replicas))
	for _, r := range p.replicas {
		if slices.Contains(tried, r) || !r.ready.Load() {
			continue
		}
		switch r.breaker.State() {
		case gobreaker.StateHalfOpen:
			return r
		case gobreaker.StateClosed:
			cands = append(cands, r)
		}
	}
	switch len(cands) {
	case 0:
		return nil
	case 1:
		return cands[0]
	}
	i := rand.IntN(len(cands))
	j := rand.IntN(len(cands) - 1)
	if j >= i {
		j++
	}
	a, b := cands[i], cands[j]
	if b.cost() < a.cost() {
		return b
	}
	return a
}
