package pool

import "time"

// ReplicaStatus is a snapshot of one replica for /v1/models and the dashboard.
type ReplicaStatus struct {
	Name        string        `json:"name"`
	Type        string        `json:"type"`
	Ready       bool          `json:"ready"`
	Breaker     string        `json:"breaker"` // "closed", "half-open" or "open"
	InFlight    int           `json:"in_flight"`
	LatencyEWMA time.Duration `json:"latency_ewma_ns"`
	Requests    uint64        `json:"requests"`
	Failures    uint64        `json:"failures"`
}

// Status returns a snapshot of every replica, in configuration order.
func (p *Pool) Status() []ReplicaStatus {
	out := make([]ReplicaStatus, len(p.replicas))
	for i, r := range p.replicas {
		out[i] = ReplicaStatus{
			Name:        r.Name,
			Type:        r.Type,
			Ready:       r.ready.Load(),
			Breaker:     r.breaker.State().String(),
			InFlight:    int(r.inflight.Load()),
			LatencyEWMA: time.Duration(r.ewma.Load()),
			Requests:    r.requests.Load(),
			Failures:    r.failures.Load(),
		}
	}
	return out
}
