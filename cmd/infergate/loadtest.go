package main

import (
	"context"
	"crypto/tls"
	"net/http"

	"go.uber.org/zap"

	"github.com/infergate/infergate/benchmarks/load"
	"github.com/infergate/infergate/benchmarks/loadtest"
	"github.com/infergate/infergate/proxy"
	"github.com/infergate/infergate/proxy/config"
)

// mountLoadTest adds the dashboard's load-test API (POST, GET and DELETE
// /v1/loadtest) to srv. The load goes to the gateway itself over loopback.
// A run in progress stops when ctx ends (before the server drains) or when
// the returned func is called, which also waits for it.
func mountLoadTest(ctx context.Context, srv *proxy.Server, sc config.Server, log *zap.Logger) (stop func()) {
	withTLS := sc.TLS.CertFile != ""
	self, err := loadtest.SelfURL(sc.HTTPAddr, withTLS)
	if err != nil {
		log.Warn("load-test API not mounted", zap.Error(err))
		return func() {}
	}
	client := load.NewClient(512)
	if withTLS {
		// The gateway calls itself on 127.0.0.1, which its certificate
		// rarely names; the connection never leaves the host.
		client.Transport.(*http.Transport).TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // loopback to self
	}
	t := loadtest.New(loadtest.Options{BaseURL: self, Client: client})
	srv.Handle(http.MethodPost, "/v1/loadtest", t.Start)
	srv.Handle(http.MethodGet, "/v1/loadtest", t.Status)
	srv.Handle(http.MethodDelete, "/v1/loadtest", t.Stop)
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		select {
		case <-ctx.Done():
		case <-quit:
		}
		t.Close()
	}()
	return func() {
		close(quit)
		<-done
	}
}
