package ratelimit

import (
	"time"

	"github.com/cenkalti/backoff/v4"
)

// Exponential is a schedule of waits that double from one step to the
// next: Initial, 2×Initial, 4×Initial, … up to Max, each spread at random
// by ±Jitter (a fraction from 0 to 1; 0 for none). It drives the
// limiter's cool-downs ([WithCoolDown]) and the probes of an open breaker
// ([WithProbeInterval]), and package backfill's retries of a task.
//
// A schedule is a value without state: [Exponential.Delay] depends on
// nothing but its step, so one schedule serves many workers at once and
// a count kept elsewhere (a task's attempts in its queue, a budget's
// refusals in its ledger) picks the step.
type Exponential struct {
	Initial time.Duration
	Max     time.Duration
	Jitter  float64
}

// Delay returns the wait of step n (n ≥ 1; less counts as 1): Initial
// doubled n−1 times, at most Max, spread by Jitter. The first step is
// Initial even when Max is shorter.
//
// It steps a fresh [backoff.ExponentialBackOff], which is stateful and
// gives up after 15 minutes by default, so the schedule builds one per
// call that never gives up (MaxElapsedTime 0).
func (e Exponential) Delay(n int) time.Duration {
	b := &backoff.ExponentialBackOff{
		InitialInterval:     e.Initial,
		RandomizationFactor: e.Jitter,
		Multiplier:          2,
		MaxInterval:         e.Max,
		MaxElapsedTime:      0,
		Stop:                backoff.Stop,
		Clock:               noClock{},
	}
	b.Reset()
	for range min(max(n, 1), stepsMax) - 1 {
		b.NextBackOff()
	}
	return b.NextBackOff()
}

// stepsMax bounds the steps taken: a wait that doubles from 1 ns passes
// any Duration in fewer.
const stepsMax = 64

// noClock is the clock of a backoff that never gives up: it measures no
// elapsed time, so it need not tell the real one.
type noClock struct{}

func (noClock) Now() time.Time { return time.Time{} }
