package adapters

import (
	"context"
	"errors"
	"fmt"
)

// Kind classifies runtime failures so that callers can decide, in one place,
// whether to retry on another replica and which status code to answer.
type Kind int

const (
	// KindInternal is a failure of unknown cause; not retried.
	KindInternal Kind = iota
	// KindUnavailable means the replica cannot serve now (down, overloaded,
	// not ready); another replica may succeed.
	KindUnavailable
	// KindTimeout means the deadline passed or the call was cancelled.
	KindTimeout
	// KindBadInput means the request itself is wrong; no replica will accept it.
	KindBadInput
)

func (k Kind) String() string {
	switch k {
	case KindUnavailable:
		return "unavailable"
	case KindTimeout:
		return "timeout"
	case KindBadInput:
		return "bad_input"
	default:
		return "internal"
	}
}

// Error is a runtime failure with a Kind.
type Error struct {
	Kind Kind
	Err  error
}

func (e *Error) Error() string { return e.Kind.String() + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an *Error of the given kind.
func Errorf(kind Kind, format string, args ...any) error {
	return &Error{Kind: kind, Err: fmt.Errorf(format, args...)}
}

// Wrap attaches a kind to err; context errors always become KindTimeout.
func Wrap(kind Kind, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		kind = KindTimeout
	}
	return &Error{Kind: kind, Err: err}
}

// KindOf returns the kind of err: the Kind of a wrapped *Error, KindTimeout
// for context errors, KindInternal otherwise.
func KindOf(err error) Kind {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e.Kind
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return KindTimeout
	default:
		return KindInternal
	}
}

// Retryable reports whether another replica might succeed where this one
// failed: unavailable replicas and runtime-side timeouts. Callers still check
// their own context before retrying, since a passed deadline is final.
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	k := KindOf(err)
	return k == KindUnavailable || k == KindTimeout
}
