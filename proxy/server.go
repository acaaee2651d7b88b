// Package proxy is the gateway: the Fiber app with its routes and
// middleware, and one pipeline per model (cache, singleflight, tokenizer,
// batcher, replica pool). It depends only on the adapters contract; cmd
// passes in the constructors of concrete runtimes.
package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"go.uber.org/zap"
	"google.golang.org/grpc"

	"github.com/infergate/infergate/cache"
	"github.com/infergate/infergate/proxy/config"
	"github.com/infergate/infergate/proxy/kserve"
)

// Options are what a Server needs beyond its configuration.
type Options struct {
	// Runtimes opens backends by type name ("onnx", "triton").
	Runtimes map[string]RuntimeFactory
	// Logger receives the access log and events; nil builds one from cfg.Log.
	Logger *zap.Logger
	// Reload returns the configuration to switch to on POST /admin/reload
	// and Reload; nil makes reloads rebuild the current configuration.
	Reload func() (config.Config, error)
}

// Server is the gateway. Build it with New, add routes with Handle, run it
// with Serve; Serve returns after a graceful shutdown.
type Server struct {
	opts    Options
	log     *zap.Logger
	stopLog func() // flushes a logger New built itself
	app     *fiber.App
	grpc    *grpc.Server
	metrics *metrics
	window  *window
	ids     *requestIDs
	redis   *cache.Redis // nil without L2
	keys    atomic.Pointer[keySet]
	limit   atomic.Pointer[limiter]

	genMu  sync.RWMutex // guards gen and its refs against a swap
	gen    *generation
	genID  atomic.Uint64 // counts swaps; enters replay keys
	replay *replayCache
	// requestTimeout mirrors gen.cfg.Server.RequestTimeout for the hot path.
	requestTimeout atomic.Int64

	reloadMu sync.Mutex // one reload at a time
	cachesMu sync.Mutex
	caches   map[cacheSlot]*cache.Cache

	staticOnce sync.Once
	started    atomic.Bool
}

// New opens every model of cfg (runtimes, tokenizers, pools, batchers) and
// builds the HTTP app and the gRPC server. Close it with Serve's shutdown or
// Close.
func New(ctx context.Context, cfg config.Config, opts Options) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log, stopLog := opts.Logger, func() {}
	if log == nil {
		var err error
		if log, stopLog, err = NewLogger(cfg.Log); err != nil {
			return nil, err
		}
	}
	s := &Server{
		opts:    opts,
		log:     log,
		stopLog: stopLog,
		window:  newWindow(time.Now),
		ids:     newRequestIDs(),
		replay:  newReplayCache(),
		caches:  map[cacheSlot]*cache.Cache{},
	}
	keys, err := loadKeys(cfg.Server.APIKeysFile)
	if err != nil {
		stopLog()
		return nil, err
	}
	s.keys.Store(keys)
	s.limit.Store(newLimiter(cfg.Server.RateLimit.RPS, cfg.Server.RateLimit.Burst, time.Now))
	if cfg.CacheL2.RedisAddr != "" {
		s.redis = cache.NewRedis(cache.RedisOptions{
			Addr: cfg.CacheL2.RedisAddr, Password: cfg.CacheL2.RedisPassword, DB: cfg.CacheL2.RedisDB,
			TTL: cfg.CacheL2.TTL.D(), Timeout: cfg.CacheL2.Timeout.D(), Logger: log,
		})
	}
	s.metrics = newMetrics(s.queueStats, s.l2Up)
	g, err := s.build(ctx, cfg)
	if err != nil {
		s.closeRedis()
		stopLog()
		return nil, err
	}
	s.gen = g
	s.requestTimeout.Store(int64(cfg.Server.RequestTimeout))
	s.app = s.newApp(cfg.Server)
	s.grpc = s.newGRPCServer()
	kserve.RegisterGRPC(s.grpc, kserveModels{s})
	return s, nil
}

// Handle adds a route behind the standard middleware (request id, auth,
// rate limit, access log, metrics), e.g. the load-test API. Call it before
// Serve.
func (s *Server) Handle(method, path string, h fiber.Handler) {
	if s.started.Load() {
		panic("proxy: Handle called after Serve")
	}
	s.app.Add(method, path, h)
}

// Serve answers on the listeners until ctx ends, then shuts down
// gracefully: it stops accepting, answers every request in flight, drains
// the batchers and closes the runtimes. grpcLn may be nil.
func (s *Server) Serve(ctx context.Context, httpLn, grpcLn net.Listener) error {
	s.started.Store(true)
	s.staticOnce.Do(s.mountStatic)
	cfg := s.config()
	if cfg.Server.TLS.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.Server.TLS.CertFile, cfg.Server.TLS.KeyFile)
		if err != nil {
			return fmt.Errorf("tls: %w", err)
		}
		httpLn = tls.NewListener(httpLn, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	}
	errc := make(chan error, 2)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		errc <- s.app.Listener(httpLn)
	}()
	if grpcLn != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.grpc.Serve(grpcLn); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
				errc <- fmt.Errorf("grpc: %w", err)
			}
		}()
	}
	s.log.Info("serving", zap.String("http", httpLn.Addr().String()), zap.Stringer("grpc", addrOf(grpcLn)),
		zap.Strings("models", s.modelNames()))
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	shutdownErr := s.shutdown(cfg.Server.ShutdownTimeout.D())
	wg.Wait()
	return errors.Join(serveErr, shutdownErr)
}

// ListenAndServe is Serve on the configured addresses.
func (s *Server) ListenAndServe(ctx context.Context) error {
	cfg := s.config()
	httpLn, err := net.Listen("tcp", cfg.Server.HTTPAddr)
	if err != nil {
		return fmt.Errorf("http listener: %w", err)
	}
	var grpcLn net.Listener
	if cfg.Server.GRPCAddr != "" {
		if grpcLn, err = net.Listen("tcp", cfg.Server.GRPCAddr); err != nil {
			httpLn.Close()
			return fmt.Errorf("grpc listener: %w", err)
		}
	}
	return s.Serve(ctx, httpLn, grpcLn)
}

func (s *Server) shutdown(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	s.log.Info("shutting down: answering requests in flight")
	httpErr := s.app.ShutdownWithContext(ctx)
	stopped := make(chan struct{})
	go func() {
		s.grpc.GracefulStop()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-ctx.Done():
		s.grpc.Stop()
		<-stopped
	}
	closeErr := s.Close(ctx)
	s.log.Info("shut down")
	return errors.Join(httpErr, closeErr)
}

// Close drains and closes every pipeline and the Redis client. Serve calls
// it; call it directly only for a Server that never served.
func (s *Server) Close(ctx context.Context) error {
	s.genMu.Lock()
	g := s.gen
	s.gen = nil
	s.genMu.Unlock()
	if g == nil {
		return nil
	}
	g.refs.Wait()
	err := g.close(ctx)
	s.closeRedis()
	s.stopLog()
	return err
}

func (s *Server) closeRedis() {
	if s.redis != nil {
		_ = s.redis.Close()
	}
}

// acquire pins the current generation for one request; release with the
// returned func. A reload waits for pinned generations before closing them,
// which is why no request is dropped by a reload.
func (s *Server) acquire() (*generation, func(), error) {
	s.genMu.RLock()
	defer s.genMu.RUnlock()
	g := s.gen
	if g == nil {
		return nil, nil, &apiError{Status: 503, Type: typeUnavailable, Code: "shutting_down",
			Message: "the gateway is shutting down", RetryAfter: 1}
	}
	g.refs.Add(1)
	return g, g.refs.Done, nil
}

func (s *Server) config() config.Config {
	s.genMu.RLock()
	defer s.genMu.RUnlock()
	if s.gen == nil {
		return config.Default()
	}
	return s.gen.cfg
}

func (s *Server) modelNames() []string {
	s.genMu.RLock()
	defer s.genMu.RUnlock()
	if s.gen == nil {
		return nil
	}
	return append([]string(nil), s.gen.order...)
}

func (s *Server) queueDepths() map[string]int {
	out := map[string]int{}
	for name, q := range s.queueStats() {
		out[name] = q.depth
	}
	return out
}

// queueStats reads each live model's queue depth and its limit
// (batching.max_queue), so alerts need not hard-code the limit.
func (s *Server) queueStats() map[string]queueStat {
	s.genMu.RLock()
	defer s.genMu.RUnlock()
	out := map[string]queueStat{}
	if s.gen != nil {
		for i, name := range s.gen.order {
			out[name] = queueStat{
				depth:    s.gen.pipelines[name].batcher.QueueDepth(),
				capacity: s.gen.cfg.Models[i].Batching.MaxQueue,
			}
		}
	}
	return out
}

func (s *Server) l2Up() (up, on bool) {
	if s.redis == nil {
		return false, false
	}
	return s.redis.Up(), true
}

func (s *Server) runtimeTypes() []string {
	var ts []string
	for t := range s.opts.Runtimes {
		ts = append(ts, t)
	}
	sort.Strings(ts)
	return ts
}

// Reload re-reads the configuration, opens the new pipelines while the old
// ones keep serving, swaps them in atomically, then waits for the requests
// holding the old ones and drains them. On any error the old configuration
// stays in service. Listener addresses, TLS and the body limit need a
// restart; a reload that changes them says so in the log.
func (s *Server) Reload(ctx context.Context) error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	err := s.reload(ctx)
	result := "ok"
	if err != nil {
		result = "error"
		s.log.Error("reload failed; the previous configuration stays in service", zap.Error(err))
	}
	s.metrics.reloads.WithLabelValues(result).Inc()
	return err
}

func (s *Server) reload(ctx context.Context) error {
	old := s.config()
	cfg := old
	if s.opts.Reload != nil {
		var err error
		if cfg, err = s.opts.Reload(); err != nil {
			return err
		}
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	keys, err := loadKeys(cfg.Server.APIKeysFile)
	if err != nil {
		return err
	}
	g, err := s.build(ctx, cfg)
	if err != nil {
		return err
	}
	s.genMu.Lock()
	prev := s.gen
	if prev == nil {
		s.genMu.Unlock()
		_ = g.close(ctx)
		return errors.New("the gateway is shutting down")
	}
	s.gen = g
	s.genID.Add(1)
	s.requestTimeout.Store(int64(cfg.Server.RequestTimeout))
	s.genMu.Unlock()
	s.keys.Store(keys)
	if old.Server.RateLimit != cfg.Server.RateLimit { // else clients keep their buckets
		s.limit.Store(newLimiter(cfg.Server.RateLimit.RPS, cfg.Server.RateLimit.Burst, time.Now))
	}
	if restartOnly(old.Server) != restartOnly(cfg.Server) || old.CacheL2 != cfg.CacheL2 {
		s.log.Warn("listener, TLS, body limit and cache_l2 changes take effect only after a restart")
	}
	s.log.Info("reloaded; draining the previous pipelines", zap.Strings("models", g.order))
	prev.refs.Wait()
	drainCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.Server.ShutdownTimeout.D())
	defer cancel()
	return prev.close(drainCtx)
}

func restartOnly(s config.Server) string {
	return strings.Join([]string{s.HTTPAddr, s.GRPCAddr, s.TLS.CertFile, s.TLS.KeyFile, fmt.Sprint(s.MaxBodyBytes)}, "|")
}

type nilAddr struct{}

func (nilAddr) String() string { return "off" }

func addrOf(l net.Listener) fmt.Stringer {
	if l == nil {
		return nilAddr{}
	}
	return l.Addr()
}
