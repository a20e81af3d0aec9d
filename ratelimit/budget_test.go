package ratelimit_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/internal/clocktest"
	"github.com/pricefill/pricefill/ratelimit"
)

// failed tells the limiter of a failure of symbol and returns whether the
// breaker is open.
func (e *env) failed(symbol string, err error) bool {
	e.t.Helper()
	open, ferr := e.l.Failed(context.Background(), symbol, err)
	if ferr != nil {
		e.t.Fatalf("Failed: %v", ferr)
	}
	return open
}

var (
	errStatus  = errors.New("HTTP 503")
	errRefused = pricefill.Unavailable(errors.New("dial tcp: connection refused"))
)

func TestDailyLimit(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e := setup(t, start, ratelimit.WithInterval(time.Minute), ratelimit.WithHourlyLimit(0), ratelimit.WithDailyLimit(3))
		e.wait()
		e.sleep(5 * time.Hour)
		e.wait()
		e.wait()
		if st := e.status(); st.DailyCount != 3 || st.Reason != ratelimit.ReasonDaily || !st.Next.Equal(start.Add(24*time.Hour)) {
			t.Errorf("status after 3 grants: %d in the day, held by %q until %s; want 3, %q, %s", st.DailyCount, st.Reason, st.Next, ratelimit.ReasonDaily, start.Add(24*time.Hour))
		}
		e.wait()
		if got, want := e.clock.Now(), start.Add(24*time.Hour); !got.Equal(want) {
			t.Errorf("fourth grant at %s, want %s: when the first is a day old", got, want)
		}
	})
}

func TestQuotaHold(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		reset time.Duration // from now; 0: none given
		want  time.Duration
	}{
		{"no reset", 0, ratelimit.QuotaHoldDefault},
		{"reset ahead", 3 * time.Hour, 3 * time.Hour},
		{"reset in the past", -time.Hour, ratelimit.QuotaHoldDefault},
		{"reset days ahead", 72 * time.Hour, ratelimit.QuotaHoldMax},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				e := setup(t, start)
				e.wait()
				var reset time.Time
				if tc.reset != 0 {
					reset = e.clock.Now().Add(tc.reset)
				}
				if err := e.l.Refused(context.Background(), &pricefill.RateLimitError{Quota: true, Reset: reset}); err != nil {
					t.Fatal(err)
				}
				if st := e.status(); st.Reason != ratelimit.ReasonQuota || !strings.Contains(st.String(), "waiting for the provider's quota until") {
					t.Errorf("status: held by %q (%s), want %q", st.Reason, st, ratelimit.ReasonQuota)
				}
				if got := e.wait(); got != tc.want {
					t.Errorf("held %s, want %s", got, tc.want)
				}
				if st := e.status(); st.Rate != st.MaxRate {
					t.Errorf("pace %g after a quota, want %g: a quota is no sign of going too fast", st.Rate, st.MaxRate)
				}
			})
		})
	}
}

// TestAdaptivePace: a refusal lowers the pace to 0.8 of the rate; answers
// bring it back quickly to just under the refused rate, then slowly past
// it to the limiter's own; refusals of one burst lower it once.
func TestAdaptivePace(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e := setup(t, start, ratelimit.WithAdaptivePace(true), ratelimit.WithInterval(100*time.Millisecond))
		e.wait()
		e.refused(time.Second)
		e.refused(time.Second) // the same burst
		if st := e.status(); st.Rate != 8 || st.MaxRate != 10 {
			t.Fatalf("pace after a refusal at 10/s: %g of %g, want 8 of 10", st.Rate, st.MaxRate)
		}
		if got := e.wait(); got != time.Second {
			t.Errorf("first grant after Retry-After 1s came after %s", got)
		}
		if got := e.wait(); got != 125*time.Millisecond {
			t.Errorf("grants 1/8 s apart at a pace of 8/s: %s apart", got)
		}
		for range 20 {
			e.answered()
		}
		if st := e.status(); st.Rate < 8.9 || st.Rate >= 9.5 {
			t.Errorf("pace after 20 answers: %g, want most of the way from 8 to 0.95 of the refused 10/s", st.Rate)
		}
		for range 30 {
			e.answered()
		}
		if st := e.status(); st.Rate < 9.5 || st.Rate > 9.51 {
			t.Errorf("pace after 50 answers: %g, want 0.95 of the refused 10/s, just past", st.Rate)
		}
		for range 450 {
			e.answered()
		}
		if st := e.status(); st.Rate >= 10 || st.Rate < 9.6 {
			t.Errorf("pace after 500 answers: %g, want creeping from 9.5 toward 10", st.Rate)
		}
		for range 600 {
			e.answered()
		}
		if st := e.status(); st.Rate != st.MaxRate || strings.Contains(st.String(), "pace") {
			t.Errorf("pace after 1100 answers: %g (%s), want the limiter's own %g", st.Rate, st, st.MaxRate)
		}
	})
}

func TestBreakerOpensAndProbes(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e := setup(t, start, ratelimit.WithInterval(0))
		for i, sym := range []string{"A", "B", "C", "A"} {
			if e.failed(sym, errStatus) {
				t.Fatalf("the breaker opened after %d failures", i+1)
			}
		}
		if !e.failed("B", errStatus) {
			t.Fatal("the breaker is closed after 5 failures in a row of 3 symbols")
		}
		opened := e.clock.Now()
		if st := e.status(); st.Reason != ratelimit.ReasonOutage || st.Outage == nil || !st.Outage.Since.Equal(opened) ||
			!strings.Contains(st.String(), "down since") || !strings.Contains(st.String(), "HTTP 503") {
			t.Errorf("status of an open breaker: %q", st)
		}
		var probes []time.Duration
		for range 5 {
			e.wait()
			probes = append(probes, e.clock.Now().Sub(opened))
			if !e.failed("C", errStatus) {
				t.Fatal("a failed probe closed the breaker")
			}
		}
		want := []time.Duration{5 * time.Second, 15 * time.Second, 35 * time.Second, 75 * time.Second, 135 * time.Second}
		if len(probes) != len(want) {
			t.Fatalf("probes at %v, want %v", probes, want)
		}
		for i := range want {
			if probes[i] != want[i] {
				t.Errorf("probes at %v, want %v: 5 s doubling to a minute", probes, want)
				break
			}
		}
		e.answered()
		if got := e.wait(); got != 0 {
			t.Errorf("a grant after the breaker closed waited %s", got)
		}
	})
}

// TestBreakerSymbols: failures of one symbol may be its own, so they do
// not open the breaker; failures to reach the provider do.
func TestBreakerSymbols(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e := setup(t, start, ratelimit.WithInterval(0))
		for range 10 {
			if e.failed("A", errStatus) {
				t.Fatal("failures of one symbol opened the breaker")
			}
		}
		e.answered()
		for i := range 5 {
			if got := e.failed("A", errRefused); got != (i == 4) {
				t.Fatalf("unreachable failure %d of one symbol: open %t, want %t", i+1, got, i == 4)
			}
		}
	})
	synctest.Test(t, func(t *testing.T) {
		e := setup(t, start, ratelimit.WithInterval(0), ratelimit.WithBreaker(0))
		for range 10 {
			if e.failed("A", errRefused) {
				t.Fatal("WithBreaker(0): the breaker opened")
			}
		}
	})
}

func TestOutageTimeout(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e := setup(t, start, ratelimit.WithInterval(0), ratelimit.WithName("yahoo"), ratelimit.WithOutageTimeout(time.Minute))
		for range 5 {
			e.failed("A", errRefused)
		}
		opened := e.clock.Now()
		var err error
		for err == nil {
			if err = e.l.Wait(context.Background()); err == nil {
				e.failed("A", errRefused) // a probe fails
			}
		}
		var oe *ratelimit.OutageError
		if !errors.As(err, &oe) || !errors.Is(err, pricefill.ErrUnavailable) {
			t.Fatalf("Wait = %v, want an OutageError matching ErrUnavailable", err)
		}
		if got := e.clock.Now().Sub(opened); got != time.Minute {
			t.Errorf("Wait gave up %s after the breaker opened, want the timeout 1m", got)
		}
		for _, want := range []string{"yahoo unreachable since", "connection refused"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%q does not say %q", err, want)
			}
		}
		if _, err := e.l.Allow(context.Background()); !errors.As(err, &oe) {
			t.Errorf("Allow after the timeout = %v, want an OutageError", err)
		}
	})
}

// TestOutageTimeoutNewLimiter: on a shared ledger, a limiter that first
// waits after another gave up on an outage (a run started again) probes
// again for the whole timeout before it gives up in turn, and goes on
// once a probe is answered.
func TestOutageTimeoutNewLimiter(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		clock := clocktest.Shifted(start)
		ledger := ratelimit.NewMemoryLedger(clock)
		newEnv := func() *env {
			l, err := ratelimit.New(ratelimit.WithClock(clock), ratelimit.WithLedger(ledger), ratelimit.WithInterval(0),
				ratelimit.WithOutageTimeout(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			return &env{t: t, l: l, clock: clock}
		}
		// probeAll waits for probes that fail until Wait gives up, and
		// returns how many went out and its error.
		probeAll := func(e *env) (int, error) {
			for probes := 0; ; probes++ {
				if err := e.l.Wait(context.Background()); err != nil {
					return probes, err
				}
				e.failed("A", errRefused)
			}
		}
		a := newEnv()
		a.wait()
		for range 5 {
			a.failed("A", errRefused)
		}
		if _, err := probeAll(a); !errors.Is(err, pricefill.ErrUnavailable) || clock.Now().Sub(start) != time.Minute {
			t.Fatalf("the first limiter: Wait = %v at %s, want an OutageError at 1m", err, clock.Now().Sub(start))
		}

		b := newEnv()
		b.sleep(time.Hour)
		began := clock.Now()
		if st := b.status(); st.Outage == nil || !st.Outage.GiveUp.Equal(start.Add(time.Minute)) {
			t.Errorf("status of the new limiter before it waits: %+v, want the breaker open, giving up at 1m", st.Outage)
		}
		// The first limiter probed at 5, 15 and 35 s: the next probe is
		// due at once, and the one after a minute later, when b gives up.
		probes, err := probeAll(b)
		var oe *ratelimit.OutageError
		if !errors.As(err, &oe) || clock.Now().Sub(began) != time.Minute || probes != 1 {
			t.Errorf("the new limiter: Wait = %v after %s and %d probes, want an OutageError after 1m and 1 probe",
				err, clock.Now().Sub(began), probes)
		}

		c := newEnv()
		c.sleep(time.Hour)
		c.wait()
		c.answered()
		if got := c.wait(); got != 0 {
			t.Errorf("after the probe was answered, a grant waited %s, want none", got)
		}
	})
}

// TestSharedLedger: limiters of one name on one ledger (the processes of
// a fleet) share one budget; other names have their own.
func TestSharedLedger(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		clock := clocktest.Shifted(start)
		ledger := ratelimit.NewMemoryLedger(clock)
		newLimiter := func(name string) *ratelimit.Limiter {
			l, err := ratelimit.New(ratelimit.WithClock(clock), ratelimit.WithLedger(ledger), ratelimit.WithName(name), ratelimit.WithAdaptivePace(false))
			if err != nil {
				t.Fatal(err)
			}
			return l
		}
		a, b, other := newLimiter("yahoo"), newLimiter("yahoo"), newLimiter("stooq")
		ctx := context.Background()
		var got []string
		var mu sync.Mutex
		var wg sync.WaitGroup
		for name, l := range map[string]*ratelimit.Limiter{"a1": a, "a2": a, "b1": b, "b2": b} {
			wg.Go(func() {
				if err := l.Wait(ctx); err != nil {
					t.Error(err)
				}
				mu.Lock()
				got = append(got, clock.Now().Sub(start).String())
				mu.Unlock()
				_ = name
			})
		}
		wg.Wait()
		want := map[string]bool{"0s": true, "1s": true, "2s": true, "3s": true}
		for _, g := range got {
			if !want[g] {
				t.Errorf("grants at %v, want one at each of 0s, 1s, 2s, 3s", got)
				break
			}
			delete(want, g)
		}
		if err := a.Refused(ctx, &pricefill.RateLimitError{RetryAfter: 30 * time.Second}); err != nil {
			t.Fatal(err)
		}
		before := clock.Now()
		if err := b.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		if d := clock.Now().Sub(before); d != 30*time.Second {
			t.Errorf("the other limiter of the budget waited %s after a refusal, want the 30s cool-down", d)
		}
		before = clock.Now()
		if err := other.Wait(ctx); err != nil || clock.Now() != before {
			t.Errorf("another budget waited %s (%v), want none", clock.Now().Sub(before), err)
		}
	})
}

// TestBreakerClosedElsewhere: a waiter of one process sees the breaker
// that another process closed within a second, without waiting for its
// next probe.
func TestBreakerClosedElsewhere(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		clock := clocktest.Shifted(start)
		ledger := ratelimit.NewMemoryLedger(clock)
		opts := []ratelimit.Option{ratelimit.WithClock(clock), ratelimit.WithLedger(ledger), ratelimit.WithInterval(0),
			ratelimit.WithProbeInterval(time.Minute, time.Minute)}
		a, err := ratelimit.New(opts...)
		if err != nil {
			t.Fatal(err)
		}
		b, err := ratelimit.New(opts...)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		for range 5 {
			if _, err := a.Failed(ctx, "A", errRefused); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		wg.Go(func() {
			_ = pricefill.Sleep(ctx, clock, 2500*time.Millisecond)
			if err := a.Answered(ctx); err != nil {
				t.Error(err)
			}
		})
		if err := b.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		if got := clock.Now().Sub(start); got != 3*time.Second {
			t.Errorf("granted %s after the breaker opened, want 3s: within a second of its closing at 2.5s", got)
		}
		wg.Wait()
	})
}

func TestForecast(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e := setup(t, start, ratelimit.WithHourlyLimit(3))
		e.wait()
		f, err := e.l.Forecast(context.Background(), 4)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := f.First.Sub(start), time.Second; got != want {
			t.Errorf("first of 4 at %s, want %s", got, want)
		}
		// 1 s and 2 s fill the hour with the grant at 0 s; the third goes
		// when that one leaves it, the fourth a second later.
		if got, want := f.Last.Sub(start), time.Hour+time.Second; got != want {
			t.Errorf("last of 4 at %s, want %s", got, want)
		}
		e.refused(time.Minute)
		if f, err = e.l.Forecast(context.Background(), 1); err != nil || f.First.Sub(start) != time.Minute {
			t.Errorf("forecast during a cool-down: first at %s (%v), want 1m", f.First.Sub(start), err)
		}
	})
}

func TestStatusString(t *testing.T) {
	t.Parallel()
	now := start
	for _, tc := range []struct {
		st   ratelimit.Status
		want string
	}{
		{ratelimit.Status{Name: "yahoo", Now: now, Next: now.Add(time.Hour), Reason: ratelimit.ReasonHourly, HourlyCount: 2000, HourlyLimit: 2000},
			"waiting for the hourly limit (2000 requests in the last hour) until 11:00:00 UTC"},
		{ratelimit.Status{Name: "alphavantage", Now: now, Next: now.Add(20 * time.Hour), Reason: ratelimit.ReasonDaily, DailyCount: 25, DailyLimit: 25},
			"waiting for the daily limit (25 requests in the last 24 hours) until 2026-01-06 06:00:00 UTC"},
		{ratelimit.Status{Name: "yahoo", Now: now, Next: now.Add(5 * time.Second), Reason: ratelimit.ReasonCoolDown},
			"cooling down after a refusal until 10:00:05 UTC"},
		{ratelimit.Status{Name: "yahoo", Now: now, Next: now.Add(5 * time.Second), Reason: ratelimit.ReasonOutage,
			Outage: &ratelimit.Outage{Since: now.Add(-time.Minute), Cause: "connection refused", NextProbe: now.Add(5 * time.Second), GiveUp: now.Add(14 * time.Minute)}},
			"yahoo down since 09:59:00 UTC (1m0s): connection refused; next probe 10:00:05 UTC; giving up at 10:14:00 UTC"},
		{ratelimit.Status{Name: "yahoo", Now: now, Next: now, HourlyCount: 12, HourlyLimit: 2000, Rate: 0.8, MaxRate: 1},
			"yahoo: 12 of 2000 requests in the last hour, pace 1 per 1.25s of 1/s after refusals"},
	} {
		if got := tc.st.String(); got != tc.want {
			t.Errorf("String() = %q\nwant       %q", got, tc.want)
		}
	}
}

// TestStatusJSON: a status encodes as JSON whatever its limits, none
// included (no +Inf).
func TestStatusJSON(t *testing.T) {
	t.Parallel()
	l, err := ratelimit.New(ratelimit.WithInterval(0), ratelimit.WithHourlyLimit(0))
	if err != nil {
		t.Fatal(err)
	}
	st, err := l.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatalf("json.Marshal(Status): %v", err)
	}
	if !strings.Contains(string(b), `"max_rate_per_s":0`) || st.Limited() {
		t.Errorf("status of a limiter without limits: %s, limited %t; want rate 0 (none), not limited", b, st.Limited())
	}
}
