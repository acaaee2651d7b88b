package proxy

import (
	"context"
	"crypto/sha256"
	"net"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// grpcPublic are the KServe v2 RPCs that, like /v2/health over HTTP, need
// no key: orchestrators probe them.
var grpcPublic = map[string]bool{
	"/inference.GRPCInferenceService/ServerLive":  true,
	"/inference.GRPCInferenceService/ServerReady": true,
}

// newGRPCServer gives the gRPC listener what the HTTP middleware gives
// HTTP: the same API keys (metadata "authorization: Bearer KEY" or
// "x-api-key"), rate limit and request timeout.
func (s *Server) newGRPCServer() *grpc.Server {
	return grpc.NewServer(
		grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (res any, err error) {
			start := time.Now()
			defer func() { s.observeGRPC(info.FullMethod, grpcModel(req), err, time.Since(start)) }()
			ctx, cancel, err := s.grpcAdmit(ctx, info.FullMethod)
			if err != nil {
				return nil, err
			}
			defer cancel()
			return h(ctx, req)
		}),
		grpc.ChainStreamInterceptor(func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
			ctx, cancel, err := s.grpcAdmit(ss.Context(), info.FullMethod)
			if err != nil {
				return err
			}
			defer cancel()
			return h(srv, streamWithContext{ServerStream: ss, ctx: ctx})
		}),
	)
}

func (s *Server) grpcAdmit(ctx context.Context, method string) (context.Context, context.CancelFunc, error) {
	noop := func() {}
	if grpcPublic[method] {
		return ctx, noop, nil
	}
	key := grpcKey(ctx)
	if ks := s.keys.Load(); ks.enabled {
		if key == "" {
			return nil, noop, status.Error(codes.Unauthenticated, "send an API key as metadata \"authorization: Bearer KEY\" or \"x-api-key: KEY\"")
		}
		if _, ok := ks.admin[sha256.Sum256([]byte(key))]; !ok {
			return nil, noop, status.Error(codes.Unauthenticated, "the API key is not valid")
		}
	}
	if l := s.limit.Load(); l != nil {
		client := key
		if p, ok := peer.FromContext(ctx); ok && client == "" {
			client, _, _ = net.SplitHostPort(p.Addr.String())
		}
		if ok, _ := l.allow(client); !ok {
			s.metrics.rateLimited.Inc()
			return nil, noop, status.Error(codes.ResourceExhausted, "too many requests from this client; slow down")
		}
	}
	if _, ok := ctx.Deadline(); ok {
		return ctx, noop, nil
	}
	ctx, cancel := context.WithTimeout(ctx, time.Duration(s.requestTimeout.Load()))
	return ctx, cancel, nil
}

// observeGRPC counts a gRPC call like observe counts an HTTP request: the
// route label is the full method, the code the gRPC status code.
func (s *Server) observeGRPC(method, model string, err error, d time.Duration) {
	code := status.Code(err)
	s.metrics.request(method, s.knownModel(model), code.String(), d)
	if strings.HasSuffix(method, "/ModelInfer") {
		s.window.request(d, code != codes.OK)
	}
}

// streamWithContext carries the admitted context (with its deadline) into
// a streaming handler.
type streamWithContext struct {
	grpc.ServerStream
	ctx context.Context
}

func (s streamWithContext) Context() context.Context { return s.ctx }

// grpcModel is the model a KServe v2 request names: model_name in
// ModelInfer, name in ModelReady and ModelMetadata.
func grpcModel(req any) string {
	switch r := req.(type) {
	case interface{ GetModelName() string }:
		return r.GetModelName()
	case interface{ GetName() string }:
		return r.GetName()
	}
	return ""
}

func grpcKey(ctx context.Context) string {
	md, _ := metadata.FromIncomingContext(ctx)
	for _, v := range md.Get("authorization") {
		if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
			return strings.TrimSpace(v[7:])
		}
	}
	if v := md.Get("x-api-key"); len(v) > 0 {
		return v[0]
	}
	return ""
}
