package backfill

import (
	"time"

	"github.com/cenkalti/backoff/v4"
)

// A BackoffFunc returns how long a task waits before it is retried after
// its attempt-th transient failure (attempt ≥ 1). It is called from many
// workers at once and must depend on nothing but attempt: the count lives
// in the queue and survives restarts, so no state may live in the function.
type BackoffFunc func(attempt int) time.Duration

// The default retry schedule: 5, 10, 20, 40, 80, 80… seconds.
const (
	RetryInitialDefault = 5 * time.Second
	RetryMaxDefault     = 80 * time.Second
)

// ExponentialBackoff returns the schedule initial, 2×initial, 4×initial, …
// capped at maxDelay, each delay spread at random by ±jitter (a fraction from 0
// to 1; 0 for none).
//
// It is built on [backoff.ExponentialBackOff], which is stateful, not safe
// for concurrent use, and gives up after 15 minutes by default. So each
// call builds a fresh one with MaxElapsedTime 0 (never give up: the
// runner's maximum attempts decides that) and steps it attempt times.
func ExponentialBackoff(initial, maxDelay time.Duration, jitter float64) BackoffFunc {
	return func(attempt int) time.Duration {
		b := &backoff.ExponentialBackOff{
			InitialInterval:     initial,
			RandomizationFactor: jitter,
			Multiplier:          2,
			MaxInterval:         maxDelay,
			MaxElapsedTime:      0,
			Stop:                backoff.Stop,
			Clock:               backoff.SystemClock,
		}
		b.Reset()
		d := initial
		for range max(attempt, 1) {
			d = b.NextBackOff()
		}
		return d
	}
}
