package proxy

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/gofiber/fiber/v2"

	"github.com/infergate/infergate/adapters"
	"github.com/infergate/infergate/proxy/batcher"
	"github.com/infergate/infergate/proxy/pool"
	"github.com/infergate/infergate/tokenizer"
)

// apiError is an answer that is not a success: a status code, the envelope's
// type and code, a message for people and, for 429 and 503, when to retry.
type apiError struct {
	Status     int
	Type       string
	Code       string
	Message    string
	RetryAfter int // seconds; 0: no header
	cause      error
}

func (e *apiError) Error() string { return e.Message }
func (e *apiError) Unwrap() error { return e.cause }

// The envelope types, one per status class, in OpenAI's style so that its
// clients surface them well.
const (
	typeInvalid     = "invalid_request_error"
	typeAuth        = "authentication_error"
	typePermission  = "permission_error"
	typeNotFound    = "not_found_error"
	typeTooLarge    = "request_too_large"
	typeUnprocess   = "unprocessable_entity_error"
	typeRateLimit   = "rate_limit_error"
	typeUnavailable = "service_unavailable_error"
	typeTimeout     = "timeout_error"
	typeInternal    = "internal_error"
)

func badRequest(code, format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Type: typeInvalid, Code: code, Message: fmt.Sprintf(format, args...)}
}

func tooLarge(code, format string, args ...any) *apiError {
	return &apiError{Status: http.StatusRequestEntityTooLarge, Type: typeTooLarge, Code: code, Message: fmt.Sprintf(format, args...)}
}

func notFound(code, format string, args ...any) *apiError {
	return &apiError{Status: http.StatusNotFound, Type: typeNotFound, Code: code, Message: fmt.Sprintf(format, args...)}
}

// errorTable maps the errors of the parts below the gateway to answers, in
// one place. The first matching row wins.
var errorTable = []struct {
	match func(error) bool
	to    func(error) *apiError
}{
	{func(err error) bool { return errors.Is(err, batcher.ErrQueueFull) }, func(err error) *apiError {
		return &apiError{Status: http.StatusTooManyRequests, Type: typeRateLimit, Code: "queue_full",
			Message: "the model's queue is full; retry shortly", RetryAfter: 1, cause: err}
	}},
	{func(err error) bool { return errors.Is(err, pool.ErrNoReplica) }, func(err error) *apiError {
		return &apiError{Status: http.StatusServiceUnavailable, Type: typeUnavailable, Code: "no_replica",
			Message: "no ready replica of the model (all down or behind an open breaker)", RetryAfter: 5, cause: err}
	}},
	{func(err error) bool { return errors.Is(err, tokenizer.ErrInvalidUTF8) }, func(err error) *apiError {
		return &apiError{Status: http.StatusUnprocessableEntity, Type: typeUnprocess, Code: "invalid_text",
			Message: err.Error(), cause: err}
	}},
	{func(err error) bool { return errors.Is(err, context.DeadlineExceeded) }, func(err error) *apiError {
		return &apiError{Status: http.StatusGatewayTimeout, Type: typeTimeout, Code: "deadline_exceeded",
			Message: "the request did not finish within its deadline", cause: err}
	}},
	{func(err error) bool { return errors.Is(err, context.Canceled) }, func(err error) *apiError {
		return &apiError{Status: http.StatusGatewayTimeout, Type: typeTimeout, Code: "canceled",
			Message: "the request was cancelled before it finished", cause: err}
	}},
	{isKind(adapters.KindUnavailable), func(err error) *apiError {
		return &apiError{Status: http.StatusServiceUnavailable, Type: typeUnavailable, Code: "backend_unavailable",
			Message: "the model backend is unavailable: " + err.Error(), RetryAfter: 1, cause: err}
	}},
	{isKind(adapters.KindTimeout), func(err error) *apiError {
		return &apiError{Status: http.StatusGatewayTimeout, Type: typeTimeout, Code: "backend_timeout",
			Message: "the model backend timed out: " + err.Error(), cause: err}
	}},
	{isKind(adapters.KindBadInput), func(err error) *apiError {
		return &apiError{Status: http.StatusUnprocessableEntity, Type: typeUnprocess, Code: "rejected_by_model",
			Message: "the model rejected the input: " + err.Error(), cause: err}
	}},
}

func isKind(k adapters.Kind) func(error) bool {
	return func(err error) bool {
		var ae *adapters.Error
		return errors.As(err, &ae) && ae.Kind == k
	}
}

// toAPIError turns any error into the answer the client gets.
func toAPIError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		return fromFiber(fe)
	}
	for _, row := range errorTable {
		if row.match(err) {
			return row.to(err)
		}
	}
	return &apiError{Status: http.StatusInternalServerError, Type: typeInternal, Code: "internal",
		Message: "internal error", cause: err}
}

// fromFiber covers fiber's own errors: unknown routes, wrong methods, bodies
// over the limit, malformed requests.
func fromFiber(fe *fiber.Error) *apiError {
	e := &apiError{Status: fe.Code, Message: fe.Message, cause: fe}
	switch {
	case fe.Code == http.StatusNotFound:
		e.Type, e.Code = typeNotFound, "route_not_found"
	case fe.Code == http.StatusMethodNotAllowed:
		e.Type, e.Code = typeInvalid, "method_not_allowed"
	case fe.Code == http.StatusRequestEntityTooLarge:
		e.Type, e.Code = typeTooLarge, "body_too_large"
	case fe.Code == http.StatusTooManyRequests:
		e.Type, e.Code, e.RetryAfter = typeRateLimit, "rate_limited", 1
	case fe.Code >= 500:
		e.Type, e.Code = typeInternal, "internal"
	default:
		e.Type, e.Code = typeInvalid, "bad_request"
	}
	return e
}

// envelope is the one error body of the API: {"error": {message, type, code}}.
type envelope struct {
	Error envelopeBody `json:"error"`
}

type envelopeBody struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Code    string  `json:"code"`
	Param   *string `json:"param"` // OpenAI clients read it; always null here
}
