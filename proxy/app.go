package proxy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/url"
	"os"
	"path"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/infergate/infergate/proxy/config"
	"github.com/infergate/infergate/proxy/kserve"
	"github.com/infergate/infergate/ui"
)

// NewLogger builds the zap logger the config describes, writing to stderr
// through a buffer flushed every second, so the access log costs no write
// system call per request. Call stop before exiting to flush it.
func NewLogger(c config.Log) (log *zap.Logger, stop func(), err error) {
	level, err := zapcore.ParseLevel(c.Level)
	if err != nil {
		return nil, nil, fmt.Errorf("log.level: %w", err)
	}
	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	if c.Format == "console" {
		enc = zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig())
	}
	ws := &zapcore.BufferedWriteSyncer{WS: zapcore.Lock(os.Stderr), Size: 256 << 10, FlushInterval: time.Second}
	log = zap.New(zapcore.NewCore(enc, ws, level), zap.AddCaller(), zap.ErrorOutput(zapcore.Lock(os.Stderr)))
	return log, func() { _ = ws.Stop() }, nil
}

// Locals keys set by handlers for the access log and metrics.
const (
	localRequestID = "infergate.request_id"
	localModel     = "infergate.model"
	localStatic    = "infergate.static"
)

func (s *Server) newApp(sc config.Server) *fiber.App {
	app := fiber.New(fiber.Config{
		AppName:               "infergate",
		BodyLimit:             sc.MaxBodyBytes,
		DisableStartupMessage: true,
		ErrorHandler:          s.writeError,
		ReadTimeout:           sc.RequestTimeout.D() + 5*time.Second,
		IdleTimeout:           2 * time.Minute,
	})
	app.Use(s.middleware)

	app.Get("/healthz", s.healthz)
	app.Get("/readyz", s.readyz)
	app.Get("/metrics", adaptor.HTTPHandler(promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{})))
	app.Get("/v1/models", s.listModels)
	app.Get("/v1/stats", s.stats)
	app.Post("/admin/reload", s.adminReload)

	app.Post("/v1/classify", s.replayable(s.classify))
	app.Post("/v1/embed", s.replayable(s.embed))
	app.Post("/v1/embeddings", s.replayable(s.openAIEmbeddings))
	app.Post("/v1/tokenize", s.tokenize)

	app.Post("/predict", s.replayable(s.teiPredict))
	app.Post("/embed", s.replayable(s.teiEmbed))
	app.Post("/tokenize", s.teiTokenize)
	app.Get("/info", s.teiInfo)

	kserve.Mount(app, kserveModels{s})
	return app
}

// mountStatic serves the dashboard; it runs at Serve so that routes added
// with Handle come before its catch-all.
func (s *Server) mountStatic() {
	files := ui.Files()
	// A final Use rather than GET /*, so that other methods on unknown paths
	// are 404s, not fiber's 405s.
	s.app.Use(func(c *fiber.Ctx) error {
		if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead {
			return fiber.ErrNotFound
		}
		name := strings.TrimPrefix(path.Clean(c.Path()), "/")
		c.Locals(localStatic, true)
		if name == "" {
			name = "index.html"
		}
		data, err := fs.ReadFile(files, name)
		if err != nil {
			return fiber.ErrNotFound
		}
		ct := mime.TypeByExtension(path.Ext(name))
		if ct == "" {
			ct = fiber.MIMEOctetStream
		}
		c.Set(fiber.HeaderContentType, ct)
		c.Set(fiber.HeaderCacheControl, "no-cache")
		return c.Send(data)
	})
}

// middleware is the standard chain for every route: request id, panic
// recovery, auth, rate limit, deadline, then after the handler the one
// error envelope, the access log, metrics and the dashboard's window.
func (s *Server) middleware(c *fiber.Ctx) (err error) {
	start := time.Now()
	rid := c.Get(fiber.HeaderXRequestID)
	if !validRequestID(rid) {
		rid = s.ids.next()
	} else {
		rid = strings.Clone(rid)
	}
	c.Locals(localRequestID, rid)
	c.Set(fiber.HeaderXRequestID, rid)

	defer func() {
		if r := recover(); r != nil {
			s.log.Error("panic", zap.String("request_id", rid), zap.Any("panic", r), zap.ByteString("stack", debug.Stack()))
			err = fmt.Errorf("panic: %v", r)
		}
		if err != nil {
			_ = s.writeError(c, err)
			err = nil
		}
		s.observe(c, rid, start)
	}()

	class := classify(c.Path())
	if err := s.authorize(c, class); err != nil {
		return err
	}
	if class != routePublic {
		if l := s.limit.Load(); l != nil {
			client := requestKey(c)
			if client == "" {
				client = c.IP()
			}
			if ok, wait := l.allow(client); !ok {
				s.metrics.rateLimited.Inc()
				return &apiError{Status: fiber.StatusTooManyRequests, Type: typeRateLimit, Code: "rate_limited",
					Message: "too many requests from this client; slow down", RetryAfter: int(wait/time.Second) + 1}
			}
		}
		ctx, cancel := context.WithTimeout(c.UserContext(), time.Duration(s.requestTimeout.Load()))
		defer cancel()
		c.SetUserContext(ctx)
	}
	return c.Next()
}

// observe records one answered request: access log (no request text at
// info), Prometheus, and the dashboard's window for model routes.
func (s *Server) observe(c *fiber.Ctx, rid string, start time.Time) {
	d := time.Since(start)
	status := c.Response().StatusCode()
	route := routeLabel(c)
	model, _ := c.Locals(localModel).(string)
	if model == "" && strings.HasPrefix(route, "/v2/models/:model") {
		model = s.knownModel(c.Params("model"))
	}
	code := strconv.Itoa(status)
	s.metrics.request(route, model, code, d)
	if c.Locals(localInfer) != nil || strings.HasSuffix(route, "/infer") {
		s.window.request(d, status >= 400)
	}
	c.Set("x-total-time", msString(d))
	if ce := s.log.Check(zap.InfoLevel, "request"); ce != nil {
		ce.Write(
			zap.String("request_id", rid),
			zap.String("method", c.Method()),
			zap.String("route", route),
			zap.Int("status", status),
			zap.Duration("duration", d),
			zap.String("model", model),
			zap.Int("bytes_in", len(c.Request().Body())),
			zap.Int("bytes_out", len(c.Response().Body())),
			zap.String("remote", c.IP()),
		)
	}
}

// writeError answers err in the one envelope; it is also fiber's
// ErrorHandler, so fiber's own errors (404 routes, 413 bodies) look the same.
func (s *Server) writeError(c *fiber.Ctx, err error) error {
	ae := toAPIError(err)
	if c.Locals(localRequestID) == nil { // fasthttp refused the request before the middleware
		c.Set(fiber.HeaderXRequestID, s.ids.next())
	}
	if ae.Code == "route_not_found" {
		ae.Message = "no route " + c.Method() + " " + c.Path()
	}
	if ae.Status >= 500 {
		rid, _ := c.Locals(localRequestID).(string)
		s.log.Warn("request failed", zap.String("request_id", rid), zap.Int("status", ae.Status), zap.Error(err))
	}
	if ae.RetryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(ae.RetryAfter))
	}
	if ae.Status == fiber.StatusUnauthorized { // RFC 9110: a 401 names its scheme
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="infergate"`)
	}
	return c.Status(ae.Status).JSON(envelope{Error: envelopeBody{Message: ae.Message, Type: ae.Type, Code: ae.Code}})
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return false
		}
	}
	return true
}

// requestIDs makes request ids: a random prefix per process and a counter,
// unique without a system call per request.
type requestIDs struct {
	prefix string
	n      atomic.Uint64
}

func newRequestIDs() *requestIDs {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return &requestIDs{prefix: hex.EncodeToString(b[:]) + "-"}
}

func (r *requestIDs) next() string {
	return r.prefix + strconv.FormatUint(r.n.Add(1), 16)
}

// msString formats a duration in milliseconds with microsecond precision,
// the unit of the x-*-time headers.
func msString(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 3, 64)
}

// routeLabel is the matched route template, bounded for metrics: requests
// that matched only the middleware are "unmatched", dashboard files "static".
// knownModel returns name if the gateway serves such a model and "" otherwise,
// so that metric labels taken from a path or an RPC never grow with what
// clients send.
func (s *Server) knownModel(name string) string {
	if u, err := url.PathUnescape(name); err == nil {
		name = u
	}
	for _, n := range s.modelNames() {
		if n == name {
			return n
		}
	}
	return ""
}

func routeLabel(c *fiber.Ctx) string {
	if c.Locals(localStatic) != nil {
		return "static"
	}
	switch p := c.Route().Path; p {
	case "", "/":
		return "unmatched"
	default:
		return p
	}
}
