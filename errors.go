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
)

var kindNames = [...]string{"transient", "rate_limited", "not_found", "permanent"}

// String returns the kind's name: transient, rate_limited, not_found or permanent.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// MarshalText returns the kind's name, so kinds read well in JSON.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// KindOf classifies err: rate limited, not found, permanent, or else
// transient. A nil error is transient too; callers check for nil first.
func KindOf(err error) Kind {
	switch {
	case errors.Is(err, ErrRateLimited):
		return KindRateLimited
	case errors.Is(err, ErrNotFound):
		return KindNotFound
	case errors.Is(err, ErrPermanent):
		return KindPermanent
	}
	return KindTransient
}

// A RateLimitError is a refusal for rate, with the wait the server asked
// for. It matches [ErrRateLimited].
type RateLimitError struct {
	// RetryAfter is the server's Retry-After, or 0 when it gave none.
	RetryAfter time.Duration
	// Err is what the server said, or nil.
	Err error
}

// RateLimited returns a *[RateLimitError] that waits retryAfter (0 when the
// server gave no Retry-After) and wraps err, which may be nil.
func RateLimited(retryAfter time.Duration, err error) error {
	return &RateLimitError{RetryAfter: retryAfter, Err: err}
}

func (e *RateLimitError) Error() string {
	var b strings.Builder
	b.WriteString("rate limited")
	if e.RetryAfter > 0 {
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
