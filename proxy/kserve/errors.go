package kserve

import (
	"errors"
	"fmt"
	"net/http"

	"google.golang.org/grpc/codes"

	"github.com/infergate/infergate/adapters"
)

// apiError is a failure with the HTTP status the frontend answers; the
// gRPC service maps the same statuses to codes in grpcCode.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &apiError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) error {
	return &apiError{status: http.StatusNotFound, msg: fmt.Sprintf(format, args...)}
}

// statusOf is the one table from errors to HTTP statuses: the frontend's
// own errors carry theirs, a model's errors map by adapters kind.
func statusOf(err error) int {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.status
	}
	switch adapters.KindOf(err) {
	case adapters.KindBadInput:
		return http.StatusBadRequest
	case adapters.KindUnavailable:
		return http.StatusServiceUnavailable
	case adapters.KindTimeout:
		return http.StatusGatewayTimeout
	}
	return http.StatusInternalServerError
}

// grpcCode maps the same statuses to gRPC codes.
func grpcCode(err error) codes.Code {
	switch statusOf(err) {
	case http.StatusBadRequest:
		return codes.InvalidArgument
	case http.StatusNotFound:
		return codes.NotFound
	case http.StatusServiceUnavailable:
		return codes.Unavailable
	case http.StatusGatewayTimeout:
		return codes.DeadlineExceeded
	}
	return codes.Internal
}
