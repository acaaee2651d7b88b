// Package load is the engine behind `infergate bench` and the dashboard's
// load-test API: it drives an HTTP target with a closed loop (N clients, each
// sending its next request when the last one answers) or an open loop
// (requests sent on a constant or Poisson schedule whatever the server does),
// and records latencies in an HDR histogram.
//
// Open-loop latency is measured from each request's intended send time, not
// from when a client got round to sending it, so a stalled server shows up in
// the percentiles instead of being hidden by coordinated omission. Every run is
// bounded by a duration or a request count and stops when its context ends.
package load
