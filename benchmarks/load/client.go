package load

import (
	"net"
	"net/http"
	"time"
)

// NewClient returns an HTTP client tuned for load generation: keep-alive with
// enough idle connections per host that conns concurrent requests never
// close and reopen sockets, no transparent compression, no global pool shared
// with the rest of the process.
func NewClient(conns int) *http.Client {
	if conns < 1 {
		conns = 1
	}
	t := &http.Transport{
		Proxy:                 nil, // a benchmark must hit the target, not an env-configured proxy
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          conns,
		MaxIdleConnsPerHost:   conns,
		IdleConnTimeout:       90 * time.Second,
		DisableCompression:    true,
		ResponseHeaderTimeout: 0, // per-request timeouts come from the context
		WriteBufferSize:       16 << 10,
		ReadBufferSize:        16 << 10,
	}
	return &http.Client{Transport: t}
}
