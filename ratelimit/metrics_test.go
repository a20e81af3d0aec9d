package ratelimit_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"pgregory.net/rapid"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/internal/clocktest"
	"github.com/pricefill/pricefill/ratelimit"
)

// reasons are the values of the label reason of the wait metrics.
var reasons = []string{"queued", "interval", "cool_down", "hourly_limit", "daily_limit", "quota", "outage"}

// series returns the values of the series of metric name that c exports,
// by the value of their label label ("" for a metric without one). It
// gathers c through a pedantic registry, which checks that what c
// collects is what it describes.
func series(t testing.TB, c prometheus.Collector, name, label string) map[string]float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(c); err != nil {
		t.Fatalf("Register: %v", err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			key := ""
			for _, lp := range m.GetLabel() {
				if lp.GetName() == label {
					key = lp.GetValue()
				}
			}
			switch {
			case m.Counter != nil:
				out[key] = m.GetCounter().GetValue()
			case m.Gauge != nil:
				out[key] = m.GetGauge().GetValue()
			}
		}
	}
	return out
}

// byReason returns a map of every reason to 0, but those of want.
func byReason(want map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for _, r := range reasons {
		out[r] = want[r]
	}
	return out
}

// breaker returns the limiter's pricefill_limiter_breaker_state.
func breaker(t testing.TB, l *ratelimit.Limiter) float64 {
	t.Helper()
	return series(t, l, "pricefill_limiter_breaker_state", "")[""]
}

func TestMetricsLint(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e := setup(t, start, ratelimit.WithName("yahoo"))
		e.wait()
		e.wait()
		e.answered()
		e.refused(time.Second)
		problems, err := testutil.CollectAndLint(e.l)
		if err != nil {
			t.Fatal(err)
		}
		if len(problems) != 0 {
			t.Errorf("lint problems: %+v", problems)
		}
		if n := testutil.CollectAndCount(e.l); n != 5+1+2*len(reasons)+1 {
			t.Errorf("%d series, want every outcome, grants, every reason twice and the breaker", n)
		}
	})
}

// TestMetricsCountOutcomes: every report is counted under its outcome,
// every grant once, each series labelled with the provider.
func TestMetricsCountOutcomes(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e := setup(t, start, ratelimit.WithName("stooq"), ratelimit.WithInterval(0))
		ctx := context.Background()
		e.wait()
		if ok, err := e.l.Allow(ctx); !ok || err != nil {
			t.Fatalf("Allow = %t, %v; want a grant", ok, err)
		}
		e.answered()
		e.answered()
		e.refused(0)
		if err := e.l.Refused(ctx, &pricefill.RateLimitError{Quota: true, Reset: start.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		for _, err := range []error{errors.New("connection reset by peer"), fmt.Errorf("dial: %w", pricefill.ErrUnavailable)} {
			if _, ferr := e.l.Failed(ctx, "AAPL", err); ferr != nil {
				t.Fatal(ferr)
			}
		}
		want := map[string]float64{"answered": 2, "refused": 1, "quota": 1, "failed": 1, "unreachable": 1}
		if diff := cmp.Diff(want, series(t, e.l, "pricefill_provider_requests_total", "outcome")); diff != "" {
			t.Errorf("requests by outcome (-want +got):\n%s", diff)
		}
		if got := series(t, e.l, "pricefill_limiter_grants_total", "provider"); !cmp.Equal(got, map[string]float64{"stooq": 2}) {
			t.Errorf("grants by provider: %v, want stooq 2", got)
		}
	})
}

// TestMetricsWaitReasons: a wait held back by the interval, a cool-down,
// the hourly or daily budget, a quota, the outage breaker or the waiters
// before it is counted under that reason, for its virtual duration.
func TestMetricsWaitReasons(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		opts  []ratelimit.Option
		play  func(e *env)
		wait  map[string]float64 // seconds by reason
		waits map[string]float64 // waits by reason
	}{{
		name: "interval", opts: []ratelimit.Option{ratelimit.WithInterval(2 * time.Second)},
		play: func(e *env) { e.wait(); e.wait() },
		wait: map[string]float64{"interval": 2}, waits: map[string]float64{"interval": 1},
	}, {
		name: "cool-down", opts: []ratelimit.Option{ratelimit.WithInterval(time.Second)},
		play: func(e *env) { e.wait(); e.refused(30 * time.Second); e.wait() },
		wait: map[string]float64{"cool_down": 30}, waits: map[string]float64{"cool_down": 1},
	}, {
		// The head re-asks every minute: 60 stretches, one wait.
		name: "hourly", opts: []ratelimit.Option{ratelimit.WithInterval(0), ratelimit.WithHourlyLimit(2)},
		play: func(e *env) { e.wait(); e.wait(); e.wait() },
		wait: map[string]float64{"hourly_limit": 3600}, waits: map[string]float64{"hourly_limit": 1},
	}, {
		name: "daily", opts: []ratelimit.Option{ratelimit.WithInterval(0), ratelimit.WithHourlyLimit(0), ratelimit.WithDailyLimit(1)},
		play: func(e *env) { e.wait(); e.wait() },
		wait: map[string]float64{"daily_limit": 86400}, waits: map[string]float64{"daily_limit": 1},
	}, {
		name: "quota", opts: []ratelimit.Option{ratelimit.WithInterval(0)},
		play: func(e *env) {
			if err := e.l.Refused(context.Background(), &pricefill.RateLimitError{Quota: true, Reset: start.Add(30 * time.Minute)}); err != nil {
				e.t.Fatal(err)
			}
			e.wait()
		},
		wait: map[string]float64{"quota": 1800}, waits: map[string]float64{"quota": 1},
	}, {
		// The breaker opens on one failure; its first probe goes out 5 s
		// later.
		name: "outage", opts: []ratelimit.Option{ratelimit.WithInterval(0), ratelimit.WithBreaker(1)},
		play: func(e *env) {
			if _, err := e.l.Failed(context.Background(), "AAPL", pricefill.ErrUnavailable); err != nil {
				e.t.Fatal(err)
			}
			e.wait()
		},
		wait: map[string]float64{"outage": ratelimit.ProbeInitialDefault.Seconds()}, waits: map[string]float64{"outage": 1},
	}, {
		// Two waiters at once after a grant: the head waits 1 s for the
		// interval, the other 1 s behind it, then 1 s for the interval.
		name: "queued", opts: []ratelimit.Option{ratelimit.WithInterval(time.Second)},
		play: func(e *env) {
			e.wait()
			var wg sync.WaitGroup
			for range 2 {
				wg.Go(func() {
					if err := e.l.Wait(context.Background()); err != nil {
						e.t.Error(err)
					}
				})
			}
			wg.Wait()
		},
		wait: map[string]float64{"queued": 1, "interval": 2}, waits: map[string]float64{"queued": 1, "interval": 2},
	}, {
		// A wait given up at its deadline counts what it waited.
		name: "deadline", opts: []ratelimit.Option{ratelimit.WithInterval(0)},
		play: func(e *env) {
			e.refused(time.Minute)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := e.l.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
				e.t.Errorf("Wait = %v, want the deadline", err)
			}
		},
		wait: map[string]float64{"cool_down": 10}, waits: map[string]float64{"cool_down": 1},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				e := setup(t, start, tc.opts...)
				tc.play(e)
				if diff := cmp.Diff(byReason(tc.wait), series(t, e.l, "pricefill_limiter_wait_seconds_total", "reason")); diff != "" {
					t.Errorf("wait seconds by reason (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(byReason(tc.waits), series(t, e.l, "pricefill_limiter_waits_total", "reason")); diff != "" {
					t.Errorf("waits by reason (-want +got):\n%s", diff)
				}
			})
		})
	}
}

// TestMetricsBreakerState: the breaker's gauge is closed, then open after
// the failures that open it, half-open while a probe is out, open again
// when the probe fails, and closed once a probe is answered.
func TestMetricsBreakerState(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e := setup(t, start, ratelimit.WithInterval(0), ratelimit.WithBreaker(2))
		ctx := context.Background()
		fail := func(symbol string) {
			t.Helper()
			if _, err := e.l.Failed(ctx, symbol, errors.New("503 Service Unavailable")); err != nil {
				t.Fatal(err)
			}
		}
		const closed, halfOpen, open = 0, 1, 2
		steps := []struct {
			what string
			do   func()
			want float64
		}{
			{"a new limiter", func() {}, closed},
			{"one failure", func() { fail("AAPL") }, closed},
			{"a grant", func() { e.wait() }, closed},
			{"the second failure in a row", func() { fail("MSFT") }, open},
			{"the first probe", func() { e.wait() }, halfOpen},
			{"another waiter held back by the breaker", func() {
				ctx, cancel := context.WithTimeout(ctx, time.Second)
				defer cancel()
				_ = e.l.Wait(ctx)
			}, halfOpen},
			{"the probe's failure", func() { fail("AAPL") }, open},
			{"the second probe", func() { e.wait() }, halfOpen},
			{"its answer", func() { e.answered() }, closed},
		}
		for _, s := range steps {
			s.do()
			if got := breaker(t, e.l); got != s.want {
				t.Errorf("after %s: breaker state %g, want %g", s.what, got, s.want)
			}
		}
	})
}

// TestMetricsProvidersSideBySide: the limiters of two providers register
// on one registry, their series told apart by provider; a second limiter
// of a name already registered is refused.
func TestMetricsProvidersSideBySide(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewPedanticRegistry()
	ctx := context.Background()
	for i, name := range []string{"yahoo", "stooq"} {
		l, err := ratelimit.New(ratelimit.WithName(name), ratelimit.WithInterval(0))
		if err != nil {
			t.Fatal(err)
		}
		if err := reg.Register(l); err != nil {
			t.Fatalf("registering %s: %v", name, err)
		}
		for range i + 1 {
			if err := l.Answered(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := `
# HELP pricefill_limiter_grants_total Requests the limiter granted.
# TYPE pricefill_limiter_grants_total counter
pricefill_limiter_grants_total{provider="stooq"} 0
pricefill_limiter_grants_total{provider="yahoo"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "pricefill_limiter_grants_total"); err != nil {
		t.Error(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	answered := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "pricefill_provider_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, lp := range m.GetLabel() {
				labels[lp.GetName()] = lp.GetValue()
			}
			if labels["outcome"] == "answered" {
				answered[labels["provider"]] = m.GetCounter().GetValue()
			}
		}
	}
	if !cmp.Equal(answered, map[string]float64{"yahoo": 1, "stooq": 2}) {
		t.Errorf("answered by provider: %v, want yahoo 1, stooq 2", answered)
	}
	again, err := ratelimit.New(ratelimit.WithName("yahoo"))
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.Register(again); err == nil {
		t.Errorf("a second limiter named yahoo registered beside the first")
	}
}

// TestPropertyWaitSeconds: whatever the arrivals, deadlines and refusals,
// the seconds counted by reason add up to the time the waiters spent in
// Wait, and the grants to the waits that returned nil.
func TestPropertyWaitSeconds(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(rt *rapid.T) {
		interval, limit := drawLimits(rt)
		type waiter struct{ arrive, patience time.Duration }
		var ws []waiter
		for range rapid.IntRange(1, 20).Draw(rt, "waiters") {
			w := waiter{arrive: seconds(rapid.IntRange(0, 4000).Draw(rt, "arrive_s"))}
			if rapid.Bool().Draw(rt, "cancels") {
				w.patience = seconds(rapid.IntRange(0, 600).Draw(rt, "patience_s")) + cancelOffset
			}
			ws = append(ws, w)
		}
		var refusals []time.Duration
		for range rapid.IntRange(0, 3).Draw(rt, "refusals") {
			refusals = append(refusals, seconds(rapid.IntRange(0, 4000).Draw(rt, "refusal_s"))+coolDownOffset)
		}
		var (
			spent   time.Duration
			granted int
			wait    map[string]float64
			grants  float64
		)
		synctest.Test(t, func(t *testing.T) {
			clock := clocktest.Shifted(start)
			l, err := ratelimit.New(ratelimit.WithClock(clock), ratelimit.WithInterval(interval), ratelimit.WithHourlyLimit(limit),
				ratelimit.WithAdaptivePace(false), ratelimit.WithOutageTimeout(0))
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			var (
				mu sync.Mutex
				wg sync.WaitGroup
			)
			for _, w := range ws {
				wg.Go(func() {
					_ = pricefill.Sleep(ctx, clock, w.arrive)
					wctx := ctx
					if w.patience > 0 {
						var cancel context.CancelFunc
						wctx, cancel = context.WithTimeout(ctx, w.patience)
						defer cancel()
					}
					began := clock.Now()
					err := l.Wait(wctx)
					mu.Lock()
					defer mu.Unlock()
					spent += clock.Now().Sub(began)
					if err == nil {
						granted++
					}
				})
			}
			for _, at := range refusals {
				wg.Go(func() {
					_ = pricefill.Sleep(ctx, clock, at)
					if err := l.Refused(ctx, &pricefill.RateLimitError{}); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			wait = series(t, l, "pricefill_limiter_wait_seconds_total", "reason")
			grants = series(t, l, "pricefill_limiter_grants_total", "")[""]
		})
		sum := 0.0
		for _, s := range wait {
			sum += s
		}
		if math.Abs(sum-spent.Seconds()) > 1e-6 {
			rt.Fatalf("wait seconds by reason %v add up to %gs; the waiters spent %s", wait, sum, spent)
		}
		if grants != float64(granted) {
			rt.Fatalf("%g grants counted, %d waits granted", grants, granted)
		}
	})
}
