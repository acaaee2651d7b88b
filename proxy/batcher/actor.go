package batcher

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Request states: the actor takes a queued request into a batch, or the
// caller abandons it when its ctx ends; whoever wins the CAS updates depth.
const (
	stateQueued int32 = iota
	stateTaken
	stateAbandoned
)

// request is one queued Submit. It keeps the caller's Done channel and
// deadline rather than its context: enough to skip the departed and to bound
// the batch's own context.
type request struct {
	seq         Sequence
	done        <-chan struct{}
	deadline    time.Time
	hasDeadline bool
	enq         time.Time
	reply       chan reply // buffered 1: a departed caller never blocks the batcher
	state       atomic.Int32
}

type reply struct {
	res Result
	err error
}

// gone reports whether the caller will not read the result.
func (r *request) gone() bool {
	if r.state.Load() == stateAbandoned {
		return true
	}
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// run is the actor: the only goroutine touching the queue. It dispatches a
// batch whenever a slot is free and no batch runs (unless HoldWhenIdle), the
// queue holds a full batch, the oldest request has waited MaxDelay, or the
// batcher is closing.
func (b *Batcher) run() {
	defer close(b.exited)
	// The base context of every batch: cancelled only when Close gives up.
	base, cancel := context.WithCancel(context.Background())
	defer cancel()

	var (
		q        queue
		inflight int
		wg       sync.WaitGroup
		closing  bool
		quit     = b.quit
		abort    = b.abort
		timer    Timer
		timerAt  time.Time
	)
	stopTimer := func() {
		if timer != nil {
			timer.Stop()
			timer = nil
		}
	}
	defer stopTimer()

	for {
		for inflight < b.cfg.MaxInFlight {
			batch := b.next(&q, closing, inflight)
			if batch == nil {
				break
			}
			inflight++
			wg.Add(1)
			go func() {
				defer wg.Done()
				b.execute(base, batch)
				b.finished <- struct{}{}
			}()
		}
		if closing && len(q.reqs) == 0 && inflight == 0 {
			wg.Wait()
			return
		}

		// Wake up when the oldest request has waited MaxDelay, if a slot
		// is free to take it then (a batch runs, or next would have sent it).
		var timerC <-chan time.Time
		if !closing && len(q.reqs) > 0 && inflight < b.cfg.MaxInFlight {
			at := q.reqs[0].enq.Add(b.cfg.MaxDelay)
			if timer == nil || !at.Equal(timerAt) {
				stopTimer()
				timer, timerAt = b.clock.NewTimer(at.Sub(b.clock.Now())), at
			}
			timerC = timer.C()
		}

		select {
		case r := <-b.in:
			q.push(r)
			b.arrived.Add(1 + int64(b.drainArrivals(&q)))
		case <-timerC:
			timer = nil
		case <-b.finished:
			inflight--
		case <-quit:
			// Close has set closed under the lock, so no Submit sends any
			// more: what is in the channel is all there will be.
			quit, closing = nil, true
			b.arrived.Add(int64(b.drainArrivals(&q)))
		case <-abort:
			abort = nil
			cancel()
			b.drainArrivals(&q)
			q.failAll(b, ErrClosed)
		}
	}
}

// drainArrivals moves every request already sent into the queue, so a burst
// costs one dispatch decision rather than one per request. It returns how
// many it moved.
func (b *Batcher) drainArrivals(q *queue) int {
	for n := 0; ; n++ {
		select {
		case r := <-b.in:
			q.push(r)
		default:
			return n
		}
	}
}

// next takes the next batch off the queue, or returns nil when none should
// leave yet: inflight batches run (or HoldWhenIdle is set), the oldest
// request has waited less than MaxDelay, the batcher is not closing, and the
// batch it would seed could still grow.
func (b *Batcher) next(q *queue, closing bool, inflight int) []*request {
	q.trimFront()
	if len(q.reqs) == 0 {
		return nil
	}
	if len(q.reqs) > 2*b.cfg.MaxQueue {
		q.compact() // abandoned entries pile up while every slot is busy
	}
	idle := inflight == 0 && !b.cfg.HoldWhenIdle
	due := closing || idle || !b.clock.Now().Before(q.reqs[0].enq.Add(b.cfg.MaxDelay))
	if !due && !q.full(b.cfg.MaxBatchSize, b.cfg.MaxBatchTokens) {
		return nil // cheap test: everything queued fits in one batch
	}
	q.compact()
	if len(q.reqs) == 0 {
		return nil
	}
	lens := q.lengths()
	idx := b.pick(lens)
	if !due && !b.complete(lens, idx) {
		return nil
	}
	batch := q.take(idx)
	for _, r := range batch {
		if r.state.CompareAndSwap(stateQueued, stateTaken) {
			b.depth.Add(-1)
		}
	}
	return batch
}

// complete reports whether the picked batch is as big as it can get: at
// the row limit, or without room for one more row as long as its longest.
func (b *Batcher) complete(lens, idx []int) bool {
	longest := 0
	for _, i := range idx {
		longest = max(longest, lens[i])
	}
	return len(idx) >= b.cfg.MaxBatchSize || (len(idx)+1)*longest > b.cfg.MaxBatchTokens
}

func (b *Batcher) pick(lens []int) []int {
	if b.cfg.Grouping == FIFO {
		return pickFIFO(lens, b.cfg.MaxBatchSize, b.cfg.MaxBatchTokens)
	}
	return pickByLength(lens, b.cfg.MaxBatchSize, b.cfg.MaxBatchTokens)
}
