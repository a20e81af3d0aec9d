package pricefill

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// The error kinds. Fetchers return errors that match one of these with
// [errors.Is] (or none, for a transient failure), and the runner decides
// what to do by [KindOf].
var (
	// ErrNotFound means the provider does not know the symbol, or has no
	// data for it at all (delisted). Retrying will not help.
	ErrNotFound = errors.New("symbol not found")
	// ErrRateLimited means the provider refused the request for rate.
	// Errors built by [RateLimited] match it and carry the retry-after.
	ErrRateLimited = errors.New("rate limited")
	// ErrPermanent means retrying the same request will fail the same way:
	// a bad API key, a refused endpoint, a 4xx other than 429.
	ErrPermanent = errors.New("permanent failure")
	// ErrInvalidBar means a bar broke a validation rule. Errors of type
	// *[InvalidBarError] match it.
	ErrInvalidBar = errors.New("invalid bar")
	// ErrUnavailable means the provider could not be reached at all: the
	// name did not resolve, the connection was refused, TLS failed. It
	// says nothing about the symbol, so the runner never charges it to
	// one: the request is made again once the provider is back. Errors
	// built by [Unavailable] match it, and so does a limiter's error that
	// gives up on an outage.
	ErrUnavailable = errors.New("provider unavailable")
)

// A Kind is what the runner makes of an error.
type Kind int

// The kinds, as [KindOf] tells them apart.
const (
	// KindTransient failures are retried with backoff, up to a maximum number
	// of attempts: network errors, timeouts, 5xx, malformed bodies.
	KindTransient Kind = iota
	// KindRateLimited failures cool the limiter down and are retried later
	// without using up an attempt.
	KindRateLimited
	// KindNotFound failures end the symbol's task at once.
	KindNotFound
	// KindPermanent failures end the symbol's task at once.
	KindPermanent
	// KindUnavailable failures did not reach the provider: the task is
	// given back without using up an attempt, and the limiter's outage
	// breaker counts them.
	KindUnavailable
)

var kindNames = [...]string{"transient", "rate_limited", "not_found", "permanent", "unavailable"}

// String returns the kind's name: transient, rate_limited, not_found,
// permanent or unavailable.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// MarshalText returns the kind's name, so kinds read well in JSON.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// KindOf classifies err: rate limited, not found, permanent, unavailable,
// or else transient. A nil error is transient too; callers check for nil
// first.
func KindOf(err error) Kind {
	switch {
	case errors.Is(err, ErrRateLimited):
		return KindRateLimited
	case errors.Is(err, ErrNotFound):
		return KindNotFound
	case errors.Is(err, ErrPermanent):
		return KindPermanent
	case errors.Is(err, ErrUnavailable):
		return KindUnavailable
	}
	return KindTransient
}

// A RateLimitError is a refusal for rate, with the wait the server asked
// for, or a quota used up until it resets. It matches [ErrRateLimited].
type RateLimitError struct {
	// RetryAfter is the server's Retry-After, or 0 when it gave none.
	RetryAfter time.Duration
	// Quota says the provider refused because a quota over a long period
	// (a day's) is used up, not because requests came too fast: the
	// limiter then holds every request until Reset, without slowing its
	// pace.
	Quota bool
	// Reset is when the quota resets, if the provider says or it is
	// known; zero otherwise.
	Reset time.Time
	// Err is what the server said, or nil.
	Err error
}

// RateLimited returns a *[RateLimitError] that waits retryAfter (0 when the
// server gave no Retry-After) and wraps err, which may be nil.
func RateLimited(retryAfter time.Duration, err error) error {
	return &RateLimitError{RetryAfter: retryAfter, Err: err}
}

// QuotaExceeded returns a *[RateLimitError] for a quota used up until
// reset (zero when the provider does not say when), wrapping err, which
// may be nil.
func QuotaExceeded(reset time.Time, err error) error {
	return &RateLimitError{Quota: true, Reset: reset, Err: err}
}

func (e *RateLimitError) Error() string {
	var b strings.Builder
	b.WriteString("rate limited")
	switch {
	case e.Quota && !e.Reset.IsZero():
		fmt.Fprintf(&b, " (quota used up until %s)", e.Reset.UTC().Format(time.RFC3339))
	case e.Quota:
		b.WriteString(" (quota used up)")
	case e.RetryAfter > 0:
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Is reports whether target is [ErrRateLimited].
func (e *RateLimitError) Is(target error) bool { return target == ErrRateLimited }

// Unwrap returns the wrapped error.
func (e *RateLimitError) Unwrap() error { return e.Err }

// RetryAfterOf returns the retry-after carried by a rate-limit error in
// err's chain, or 0.
func RetryAfterOf(err error) time.Duration {
	var rl *RateLimitError
	if errors.As(err, &rl) {
		return rl.RetryAfter
	}
	return 0
}

// An UnavailableError says the provider could not be reached. It matches
// [ErrUnavailable].
type UnavailableError struct {
	Err error
}

// Unavailable marks err as a failure to reach the provider at all. It
// returns nil for a nil err.
func Unavailable(err error) error {
	if err == nil {
		return nil
	}
	return &UnavailableError{Err: err}
}

func (e *UnavailableError) Error() string { return e.Err.Error() }

// Is reports whether target is [ErrUnavailable].
func (e *UnavailableError) Is(target error) bool { return target == ErrUnavailable }

// Unwrap returns the wrapped error.
func (e *UnavailableError) Unwrap() error { return e.Err }

// A PermanentError marks an error that retrying will not cure. It matches
// [ErrPermanent].
type PermanentError struct {
	Err error
}

// Permanent marks err as permanent. It returns nil for a nil err.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

func (e *PermanentError) Error() string { return e.Err.Error() }

// Is reports whether target is [ErrPermanent].
func (e *PermanentError) Is(target error) bool { return target == ErrPermanent }

// Unwrap returns the wrapped error.
func (e *PermanentError) Unwrap() error { return e.Err }

// A NotFoundError says the provider does not know a symbol. It matches
// [ErrNotFound].
type NotFoundError struct {
	Symbol string
	// Err is what the provider said, or nil.
	Err error
}

// NotFound returns a *[NotFoundError] for symbol, wrapping err (may be nil).
func NotFound(symbol string, err error) error {
	return &NotFoundError{Symbol: symbol, Err: err}
}

func (e *NotFoundError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("symbol %s not found", e.Symbol)
	}
	return fmt.Sprintf("symbol %s not found: %v", e.Symbol, e.Err)
}

// Is reports whether target is [ErrNotFound].
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// Unwrap returns the wrapped error.
func (e *NotFoundError) Unwrap() error { return e.Err }

// A Rule names one validation rule, such as "high_below_low". The rules
// themselves are in package validate.
type Rule string

// A Violation is one rule a bar broke: which rule, on which field, with what value.
type Violation struct {
	Rule  Rule
	Field string
	Value string
}

func (v Violation) String() string {
	if v.Field == "" {
		return string(v.Rule)
	}
	return fmt.Sprintf("%s (%s=%s)", v.Rule, v.Field, v.Value)
}

// An InvalidBarError lists every rule a bar broke. It matches [ErrInvalidBar].
type InvalidBarError struct {
	Bar        Bar
	Violations []Violation
}

func (e *InvalidBarError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "invalid bar %s %s:", e.Bar.Symbol, e.Bar.Date.Format(DateLayout))
	for i, v := range e.Violations {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte(' ')
		b.WriteString(v.String())
	}
	return b.String()
}

// Is reports whether target is [ErrInvalidBar].
func (e *InvalidBarError) Is(target error) bool { return target == ErrInvalidBar }
