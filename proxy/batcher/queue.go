package batcher

import "slices"

// queue is the actor's FIFO of waiting requests. maxLen is an upper bound on
// the longest live sequence, exact after compact.
type queue struct {
	reqs   []*request
	maxLen int
}

func (q *queue) push(r *request) {
	q.reqs = append(q.reqs, r)
	q.maxLen = max(q.maxLen, len(r.seq.IDs))
}

// trimFront drops departed requests at the head, so reqs[0] is the oldest
// live one and its MaxDelay is the one that counts.
func (q *queue) trimFront() {
	i := 0
	for i < len(q.reqs) && q.reqs[i].gone() {
		q.reqs[i] = nil
		i++
	}
	q.reqs = q.reqs[i:]
	if len(q.reqs) == 0 {
		q.reqs, q.maxLen = q.reqs[:0:0], 0
	}
}

// compact drops every departed request and recomputes maxLen.
func (q *queue) compact() {
	q.maxLen = 0
	live := q.reqs[:0]
	for _, r := range q.reqs {
		if !r.gone() {
			live = append(live, r)
			q.maxLen = max(q.maxLen, len(r.seq.IDs))
		}
	}
	clear(q.reqs[len(live):])
	q.reqs = live
}

// full reports whether waiting longer cannot make the next batch bigger:
// the queue already holds more rows or more padded tokens than one batch.
func (q *queue) full(maxRows, maxTokens int) bool {
	return len(q.reqs) >= maxRows || len(q.reqs)*q.maxLen > maxTokens
}

func (q *queue) lengths() []int {
	lens := make([]int, len(q.reqs))
	for i, r := range q.reqs {
		lens[i] = len(r.seq.IDs)
	}
	return lens
}

// take removes the requests at idx (any order) and returns them oldest first.
func (q *queue) take(idx []int) []*request {
	idx = slices.Clone(idx)
	slices.Sort(idx)
	batch := make([]*request, 0, len(idx))
	rest := q.reqs[:0]
	j := 0
	for i, r := range q.reqs {
		if j < len(idx) && idx[j] == i {
			batch = append(batch, r)
			j++
			continue
		}
		rest = append(rest, r)
	}
	clear(q.reqs[len(rest):])
	q.reqs = rest
	q.compact()
	return batch
}

// failAll answers every live request with err and empties the queue.
func (q *queue) failAll(b *Batcher, err error) {
	for _, r := range q.reqs {
		if r.state.CompareAndSwap(stateQueued, stateTaken) {
			b.depth.Add(-1)
			r.reply <- reply{err: err}
		}
	}
	clear(q.reqs)
	q.reqs, q.maxLen = q.reqs[:0:0], 0
}
