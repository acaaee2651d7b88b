package triton

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/infergate/infergate/adapters"
)

// grpcKind maps a gRPC status code to the kind the pool acts on: another
// replica may succeed after Unavailable (which is what a refused or reset
// connection becomes), NotFound (the model is not loaded there) or
// ResourceExhausted (overload); a bad request fails everywhere.
func grpcKind(c codes.Code) adapters.Kind {
	switch c {
	case codes.Unavailable, codes.NotFound, codes.ResourceExhausted, codes.Aborted, codes.FailedPrecondition:
		return adapters.KindUnavailable
	case codes.DeadlineExceeded, codes.Canceled:
		return adapters.KindTimeout
	case codes.InvalidArgument, codes.OutOfRange:
		return adapters.KindBadInput
	}
	return adapters.KindInternal
}

// grpcError turns a gRPC call error into an *adapters.Error. The caller's
// context decides first: a passed deadline is a timeout whatever the server said.
func grpcError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return adapters.Wrap(adapters.KindTimeout, fmt.Errorf("%w (%v)", ctx.Err(), status.Convert(err).Message()))
	}
	st := status.Convert(err)
	return adapters.Errorf(grpcKind(st.Code()), "%s: %s", st.Code(), st.Message())
}

// httpKind maps an HTTP status the same way as grpcKind.
func httpKind(code int) adapters.Kind {
	switch code {
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
		return adapters.KindBadInput
	case http.StatusNotFound, http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable:
		return adapters.KindUnavailable
	case http.StatusRequestTimeout, http.StatusGatewayTimeout:
		return adapters.KindTimeout
	}
	return adapters.KindInternal
}

// transportError classifies a failed HTTP round trip: the caller's context
// first, then anything on the network (refused, reset, EOF) is Unavailable.
func transportError(ctx context.Context, err error) error {
	if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
		return adapters.Wrap(adapters.KindTimeout, err)
	}
	return adapters.Wrap(adapters.KindUnavailable, err)
}
