package ratelimit_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/internal/clocktest"
	"github.com/pricefill/pricefill/ratelimit"
)

// errTooMany is what a provider's refusal for rate wraps.
var errTooMany = errors.New("HTTP 429 Too Many Requests")

// refuseAll plays a provider that refuses every request for rate with
// Retry-After ra (0: none): it waits for a grant and reports a refusal,
// until Wait fails. It returns the number of grants and Wait's error.
func (e *env) refuseAll(ra time.Duration) (int, error) {
	e.t.Helper()
	grants := 0
	for {
		if err := e.l.Wait(context.Background()); err != nil {
			return grants, err
		}
		grants++
		if err := e.l.Refused(context.Background(), &pricefill.RateLimitError{RetryAfter: ra, Err: errTooMany}); err != nil {
			e.t.Fatalf("Refused: %v", err)
		}
	}
}

// TestRefusingGivesUp: a provider that refuses every request for rate
// makes Wait give up with a RefusingError the outage timeout after the
// first refusal, to the nanosecond of the clock, whether the refusals say
// when to come back or not; Allow gives up too.
func TestRefusingGivesUp(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		retryAfter time.Duration
		grants     int
	}{
		// At 0 s, at the ends of cool-downs of 5, 10, 20, 40 s (75 s),
		// then of 80 s ten times (875 s); the next would be at 955 s.
		{"no Retry-After", 0, 15},
		// Every second, at the interval, from 0 to 899 s.
		{"Retry-After 1s", time.Second, 900},
		// At 0, 7 and 14 min: Wait gives up at 15 min, amid the third
		// cool-down.
		{"Retry-After 7m", 7 * time.Minute, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				e := setup(t, start, ratelimit.WithName("yahoo"))
				grants, err := e.refuseAll(tc.retryAfter)
				var re *ratelimit.RefusingError
				if !errors.As(err, &re) || !errors.Is(err, pricefill.ErrUnavailable) {
					t.Fatalf("Wait = %v, want a RefusingError matching ErrUnavailable", err)
				}
				if got := e.clock.Now().Sub(start); got != ratelimit.OutageTimeoutDefault {
					t.Errorf("Wait gave up %s after the first refusal, want the outage timeout %s", got, ratelimit.OutageTimeoutDefault)
				}
				if grants != tc.grants {
					t.Errorf("%d requests granted before giving up, want %d", grants, tc.grants)
				}
				want := "yahoo refused every request since 2026-01-05 10:00:00 UTC (for 15m0s or more): rate limited"
				if msg := err.Error(); !strings.HasPrefix(msg, want) || !strings.HasSuffix(msg, errTooMany.Error()) {
					t.Errorf("error %q, want it to begin %q and end with the latest refusal, %q", msg, want, errTooMany)
				}
				if !re.Since.Equal(start) || re.Timeout != ratelimit.OutageTimeoutDefault {
					t.Errorf("RefusingError since %s for %s, want %s and %s", re.Since, re.Timeout, start, ratelimit.OutageTimeoutDefault)
				}
				if ok, err := e.l.Allow(context.Background()); ok || !errors.As(err, &re) {
					t.Errorf("Allow after giving up = %t, %v; want a RefusingError", ok, err)
				}
			})
		})
	}
}

// TestRefusingHoldsEveryWaiter: every waiter queued during the cool-downs
// of a provider that refuses everything gives up at the timeout, not at
// the end of the cool-down.
func TestRefusingHoldsEveryWaiter(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e := setup(t, start, ratelimit.WithOutageTimeout(time.Minute))
		e.wait()
		e.refused(10 * time.Minute)
		var wg sync.WaitGroup
		errs := make([]error, 3)
		for i := range errs {
			wg.Go(func() { errs[i] = e.l.Wait(context.Background()) })
		}
		wg.Wait()
		for i, err := range errs {
			if !errors.Is(err, pricefill.ErrUnavailable) {
				t.Errorf("waiter %d: Wait = %v, want a RefusingError", i, err)
			}
		}
		if got := e.clock.Now().Sub(start); got != time.Minute {
			t.Errorf("the waiters gave up at %s, want the timeout 1m, inside the 10m cool-down", got)
		}
	})
}

// TestRefusingAnswerResets: an answer ends the run of refusals, and so
// does a quota's refusal; a run of refusals after either has its own
// timeout. Failures do not end it.
func TestRefusingAnswerResets(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		end  func(*env)
		hold time.Duration // the wait after it
	}{
		{"answer", (*env).answered, 0},
		{"quota", func(e *env) {
			if err := e.l.Refused(context.Background(), &pricefill.RateLimitError{Quota: true}); err != nil {
				e.t.Fatal(err)
			}
		}, ratelimit.QuotaHoldDefault},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				e := setup(t, start, ratelimit.WithInterval(0), ratelimit.WithOutageTimeout(10*time.Minute))
				// Refusals from 0 to 8 min, each with a failure after it.
				for e.clock.Now().Sub(start) < 8*time.Minute {
					e.wait()
					e.refused(time.Minute)
					if _, err := e.l.Failed(context.Background(), "A", errStatus); err != nil {
						t.Fatal(err)
					}
				}
				if st := e.status(); st.Refusing == nil || !st.Refusing.Since.Equal(start) {
					t.Fatalf("status after 8 min of refusals and failures: refusing %+v, want since the start", st.Refusing)
				}
				e.sleep(time.Minute) // the end of the cool-down, at 9 min
				tc.end(e)
				if st := e.status(); st.Refusing != nil {
					t.Errorf("status after the %s: refusing since %s, want none", tc.name, st.Refusing.Since)
				}
				if got := e.wait(); got != tc.hold {
					t.Errorf("the grant after the %s came %s after it, want %s", tc.name, got, tc.hold)
				}
				again := e.clock.Now()
				e.refused(time.Minute)
				_, err := e.refuseAll(time.Minute)
				if !errors.Is(err, pricefill.ErrUnavailable) {
					t.Fatalf("Wait = %v, want a RefusingError", err)
				}
				if got := e.clock.Now().Sub(again); got != 10*time.Minute {
					t.Errorf("gave up %s after the refusals began again, want the timeout 10m", got)
				}
			})
		})
	}
}

// TestRefusingNoTimeout: WithOutageTimeout(0) waits through refusals for
// ever.
func TestRefusingNoTimeout(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e := setup(t, start, ratelimit.WithOutageTimeout(0))
		for e.clock.Now().Sub(start) < 3*time.Hour {
			e.wait()
			e.refused(0)
		}
		if st := e.status(); st.Refusing == nil || !st.Refusing.GiveUp.IsZero() {
			t.Errorf("status after 3h of refusals: %+v, want refusing since the start, never giving up", st.Refusing)
		}
	})
}

// TestRefusingAcrossProcesses: limiters on one ledger share the run of
// refusals: one that was told of none gives up with the one that was, and
// one that begins to wait after they gave up (a run started again) sends
// requests for a whole timeout before it gives up in turn, or goes on
// once one is answered.
func TestRefusingAcrossProcesses(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		clock := clocktest.Shifted(start)
		ledger := ratelimit.NewMemoryLedger(clock)
		newLimiter := func() *ratelimit.Limiter {
			l, err := ratelimit.New(ratelimit.WithClock(clock), ratelimit.WithLedger(ledger), ratelimit.WithName("yahoo"),
				ratelimit.WithInterval(0), ratelimit.WithOutageTimeout(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			return l
		}
		ctx := context.Background()
		a, b := newLimiter(), newLimiter()
		if err := b.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		// a alone makes requests, and is refused.
		var errA error
		for errA == nil {
			if errA = a.Wait(ctx); errA == nil {
				if err := a.Refused(ctx, &pricefill.RateLimitError{RetryAfter: 10 * time.Second, Err: errTooMany}); err != nil {
					t.Fatal(err)
				}
			}
		}
		gaveUp := clock.Now()
		errB := b.Wait(ctx)
		var re *ratelimit.RefusingError
		if !errors.As(errB, &re) || re.Cause != "" || !strings.HasSuffix(errB.Error(), "(for 1m0s or more): rate limited") {
			t.Errorf("the limiter told of no refusal: Wait = %v, want a RefusingError without a cause", errB)
		}
		if !errors.Is(errA, pricefill.ErrUnavailable) || clock.Now() != gaveUp || gaveUp.Sub(start) != time.Minute {
			t.Errorf("Wait = %v at %s, then %v at %s; want both to give up at 1m", errA, gaveUp.Sub(start), errB, clock.Now().Sub(start))
		}

		// An hour later, a new limiter tries again, for a minute.
		e := &env{t: t, l: newLimiter(), clock: clock}
		e.sleep(time.Hour)
		began := clock.Now()
		if st := e.status(); st.Refusing == nil || !st.Refusing.Since.Equal(start) || !st.Refusing.GiveUp.Equal(start.Add(time.Minute)) {
			t.Errorf("status of the new limiter before it waits: %+v, want refusing since the start, timed out at 1m", st.Refusing)
		}
		grants, err := e.refuseAll(10 * time.Second)
		if !errors.Is(err, pricefill.ErrUnavailable) || clock.Now().Sub(began) != time.Minute || grants != 6 {
			t.Errorf("the new limiter: Wait = %v after %s and %d grants; want a RefusingError after 1m and 6 grants (every 10 s)",
				err, clock.Now().Sub(began), grants)
		}
		e = &env{t: t, l: newLimiter(), clock: clock}
		e.sleep(time.Hour)
		e.wait()
		e.answered()
		e.sleep(time.Hour)
		if got := e.wait(); got != 0 {
			t.Errorf("after an answer, a grant waited %s, want none", got)
		}
	})
}

// TestRefusingStatus: the status says since when every request was
// refused and when waiters give up.
func TestRefusingStatus(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e := setup(t, start, ratelimit.WithName("yahoo"), ratelimit.WithInterval(0))
		if st := e.status(); st.Refusing != nil {
			t.Errorf("status of a new limiter: refusing %+v, want nil", st.Refusing)
		}
		e.wait()
		e.refused(0)
		e.sleep(2 * time.Minute)
		e.wait()
		e.refused(30 * time.Second)
		st := e.status()
		want := &ratelimit.Refusing{Since: start, Refusals: 2, GiveUp: start.Add(ratelimit.OutageTimeoutDefault)}
		if diff := cmp.Diff(want, st.Refusing); diff != "" {
			t.Errorf("status after two refusals (-want +got):\n%s", diff)
		}
		if got, want := st.String(), "cooling down after a refusal until 10:02:30 UTC; every request refused since 10:00:00 UTC (2m0s); giving up at 10:15:00 UTC"; got != want {
			t.Errorf("String() = %q\nwant       %q", got, want)
		}
	})
	now := start
	for _, tc := range []struct {
		st   ratelimit.Status
		want string
	}{
		{ratelimit.Status{Name: "yahoo", Now: now, Next: now, HourlyCount: 3, HourlyLimit: 2000,
			Refusing: &ratelimit.Refusing{Since: now.Add(-time.Minute), Refusals: 1, GiveUp: now.Add(14 * time.Minute)}},
			"yahoo: 3 of 2000 requests in the last hour; every request refused since 09:59:00 UTC (1m0s); giving up at 10:14:00 UTC"},
		{ratelimit.Status{Name: "yahoo", Now: now, Next: now.Add(time.Minute), Reason: ratelimit.ReasonCoolDown,
			Refusing: &ratelimit.Refusing{Since: now.Add(-time.Hour), Refusals: 9, GiveUp: now.Add(-45 * time.Minute)}},
			"cooling down after a refusal until 10:01:00 UTC; every request refused since 09:00:00 UTC (1h0m0s); timed out at 09:15:00 UTC"},
		{ratelimit.Status{Name: "yahoo", Now: now, Next: now.Add(time.Minute), Reason: ratelimit.ReasonCoolDown,
			Refusing: &ratelimit.Refusing{Since: now.Add(-time.Hour), Refusals: 9}},
			"cooling down after a refusal until 10:01:00 UTC; every request refused since 09:00:00 UTC (1h0m0s)"},
	} {
		if got := tc.st.String(); got != tc.want {
			t.Errorf("String() = %q\nwant       %q", got, tc.want)
		}
	}
}
