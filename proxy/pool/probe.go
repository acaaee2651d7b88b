package pool

import (
	"context"
	"sync"
	"time"

	"go.uber.org/zap"
)

// probeLoop runs the readiness probes every ProbeInterval until Close.
func (p *Pool) probeLoop() {
	defer close(p.probeDone)
	t := time.NewTicker(p.opts.ProbeInterval)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.probeAll(p.stop)
		}
	}
}

// probeAll asks every replica whether it is ready, in parallel, each bounded
// by ProbeTimeout and cut short when stop closes. A failed probe takes a
// replica out of rotation; the next passing one puts it back.
func (p *Pool) probeAll(stop <-chan struct{}) {
	ctx, cancel := context.WithTimeout(context.Background(), p.opts.ProbeTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, r := range p.replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.probe(ctx, r)
		}()
	}
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-stop:
		cancel()
		<-done
	}
}

func (p *Pool) probe(ctx context.Context, r *replica) {
	err := r.Runtime.Ready(ctx)
	ready := err == nil
	if was := r.ready.Swap(ready); was == ready {
		return
	}
	log := p.opts.Logger.With(zap.String("model", p.model), zap.String("replica", r.Name))
	if ready {
		log.Info("replica ready")
	} else {
		log.Warn("replica not ready", zap.Error(err))
	}
}
