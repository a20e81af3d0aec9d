package backfill

import (
	"time"

	"github.com/pricefill/pricefill/ratelimit"
)

// A BackoffFunc returns how long a task waits before it is retried after
// its attempt-th transient failure (attempt ≥ 1). It is called from many
// workers at once and must depend on nothing but attempt: the count lives
// in the queue and survives restarts, so no state may live in the function.
type BackoffFunc func(attempt int) time.Duration

// The default retry schedule: 5, 10, 20, 40, 80, 80… seconds, the same as
// the limiter's cool-downs after a refusal.
const (
	RetryInitialDefault = ratelimit.CoolDownInitialDefault
	RetryMaxDefault     = ratelimit.CoolDownMaxDefault
)

// ExponentialBackoff returns the schedule initial, 2×initial, 4×initial, …
// capped at maxDelay, each delay spread at random by ±jitter (a fraction from 0
// to 1; 0 for none): the steps of [ratelimit.Exponential], the schedule of
// the limiter's cool-downs too.
func ExponentialBackoff(initial, maxDelay time.Duration, jitter float64) BackoffFunc {
	return ratelimit.Exponential{Initial: initial, Max: maxDelay, Jitter: jitter}.Delay
}
