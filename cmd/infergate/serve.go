package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/infergate/infergate/adapters"
	"github.com/infergate/infergate/adapters/onnx"
	"github.com/infergate/infergate/adapters/triton"
	"github.com/infergate/infergate/proxy"
	"github.com/infergate/infergate/proxy/config"
)

// runtimes wires the backend types of the config to their constructors.
func runtimes() map[string]proxy.RuntimeFactory {
	return map[string]proxy.RuntimeFactory{
		"onnx": func(ctx context.Context, b config.Backend) (adapters.Runtime, error) {
			return onnx.New(ctx, onnx.Options{
				ModelPath:         b.ModelPath,
				LibraryPath:       b.LibraryPath,
				IntraOpThreads:    b.Threads,
				GraphOptimization: b.GraphOptimization,
			})
		},
		"triton": func(ctx context.Context, b config.Backend) (adapters.Runtime, error) {
			return triton.New(ctx, triton.Options{URL: b.URL, Model: b.Model, Version: b.Version, Timeout: b.Timeout.D()})
		},
	}
}

func newServeCmd() *cobra.Command {
	var src config.Source
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the gateway (with no config: the reference model on ONNX Runtime at :8080)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			src.Environ = os.Environ()
			src.Set = map[string]string{}
			for flag, key := range map[string]string{
				"http-addr": "server.http_addr", "grpc-addr": "server.grpc_addr", "log-level": "log.level",
			} {
				if f := cmd.Flags().Lookup(flag); f.Changed {
					src.Set[key] = f.Value.String()
				}
			}
			return serve(cmd.Context(), src)
		},
	}
	f := cmd.Flags()
	f.StringVar(&src.Path, "config", "", "YAML config file (default: the embedded reference model)")
	f.String("http-addr", "", "HTTP listen address, host:port (overrides server.http_addr)")
	f.String("grpc-addr", "", "KServe v2 gRPC listen address, host:port; empty string disables (overrides server.grpc_addr)")
	f.String("log-level", "", "debug, info, warn or error (overrides log.level)")
	return cmd
}

// serve runs until ctx ends (SIGINT, SIGTERM), reloading on SIGHUP.
func serve(ctx context.Context, src config.Source) error {
	cfg, err := config.Load(src)
	if err != nil {
		return err
	}
	log, stopLog, err := proxy.NewLogger(cfg.Log)
	if err != nil {
		return err
	}
	defer stopLog()
	srv, err := proxy.New(ctx, cfg, proxy.Options{
		Runtimes: runtimes(),
		Logger:   log,
		Reload:   func() (config.Config, error) { return config.Load(src) },
	})
	if err != nil {
		return err
	}
	defer mountLoadTest(ctx, srv, cfg.Server, log)() // the dashboard's load-test API (cmd/infergate/loadtest.go)

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	done := make(chan struct{})
	reloads := make(chan struct{})
	defer func() {
		close(done)
		<-reloads // a reload in progress finishes before shutdown returns
	}()
	go func() {
		defer close(reloads)
		for {
			select {
			case <-hup:
				log.Info("SIGHUP: reloading the configuration")
				_ = srv.Reload(context.WithoutCancel(ctx)) // Reload logs its outcome
			case <-done:
				return
			}
		}
	}()
	if err := srv.ListenAndServe(ctx); err != nil {
		log.Error("server stopped", zap.Error(err))
		return err
	}
	return nil
}
