package ratelimit_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"pgregory.net/rapid"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/internal/clocktest"
	"github.com/pricefill/pricefill/ratelimit"
)

// The property tests play each drawn scenario with goroutines against a
// limiter inside a synctest bubble of its own, where the clock is exact
// and jumps ahead whenever every goroutine waits; rapid itself runs
// outside, on real time (a scenario spans hours of virtual time, which
// would exhaust rapid's time budget were it measured inside). Events are kept apart on the clock so that none races
// another at the same instant: waiters arrive on whole seconds (so, with
// whole-second intervals, grants fall on whole seconds, or a quarter past
// after a cool-down), cool-downs start a quarter past a second, deadlines
// fall half past and probes of the hourly count three quarters past.
const (
	coolDownOffset = 250 * time.Millisecond
	cancelOffset   = 500 * time.Millisecond
	probeOffset    = 750 * time.Millisecond
)

// A scenario is what the property tests draw.
type scenario struct {
	interval  time.Duration
	limit     int
	waiters   []waiterSpec
	coolDowns []coolDownSpec
	probes    []time.Duration
}

// A waiterSpec is a goroutine that calls Wait once, at arrive after the
// start; with a deadline at cancel after the start, if cancel > 0.
type waiterSpec struct {
	arrive, cancel time.Duration
}

// A coolDownSpec is a refusal with Retry-After retryAfter at after the start.
type coolDownSpec struct {
	at, retryAfter time.Duration
}

// An outcome is what one waiter got: its error and when Wait returned,
// after the start.
type outcome struct {
	err error
	at  time.Duration
}

func seconds(n int) time.Duration { return time.Duration(n) * time.Second }

// drawLimits draws small limits, so that the hourly one binds.
func drawLimits(t *rapid.T) (interval time.Duration, limit int) {
	return seconds(rapid.IntRange(0, 3).Draw(t, "interval_s")), rapid.IntRange(1, 10).Draw(t, "limit")
}

// drawCancel draws no deadline (0), or one half past a second after arrive.
func drawCancel(t *rapid.T, arrive time.Duration, label string) time.Duration {
	if !rapid.Bool().Draw(t, label+"_cancels") {
		return 0
	}
	return arrive + seconds(rapid.IntRange(0, 4000).Draw(t, label+"_patience_s")) + cancelOffset
}

// run plays sc on a fresh limiter in a bubble of its own and returns each
// waiter's outcome, in the order of sc.waiters, and each probe's hourly
// count.
func (sc scenario) run(t *testing.T) (outcomes []outcome, counts []int) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		outcomes, counts = sc.play(t)
	})
	return outcomes, counts
}

func (sc scenario) play(t *testing.T) ([]outcome, []int) {
	clock := clocktest.Shifted(start)
	// The adaptive pace is off: it would move grants off the whole and
	// quarter seconds that keep events apart (ledgertest's property
	// covers it). So is the outage timeout: no answer is reported, so
	// after a refusal the limiter would give up (ledgertest's property
	// and TestRefusing… cover it).
	l, err := ratelimit.New(ratelimit.WithClock(clock), ratelimit.WithInterval(sc.interval), ratelimit.WithHourlyLimit(sc.limit),
		ratelimit.WithAdaptivePace(false), ratelimit.WithOutageTimeout(0))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	begin := clock.Now()
	ctx := context.Background()
	outcomes := make([]outcome, len(sc.waiters))
	counts := make([]int, len(sc.probes))
	var wg sync.WaitGroup
	for i, w := range sc.waiters {
		wg.Go(func() {
			_ = pricefill.Sleep(ctx, clock, w.arrive)
			wctx := ctx
			if w.cancel > 0 {
				var cancel context.CancelFunc
				wctx, cancel = context.WithTimeout(ctx, w.cancel-w.arrive)
				defer cancel()
			}
			err := l.Wait(wctx)
			outcomes[i] = outcome{err: err, at: clock.Now().Sub(begin)}
		})
	}
	for _, c := range sc.coolDowns {
		wg.Go(func() {
			_ = pricefill.Sleep(ctx, clock, c.at)
			if err := l.Refused(ctx, &pricefill.RateLimitError{RetryAfter: c.retryAfter}); err != nil {
				t.Errorf("Refused: %v", err)
			}
		})
	}
	for i, p := range sc.probes {
		wg.Go(func() {
			_ = pricefill.Sleep(ctx, clock, p)
			st, err := l.Status(ctx)
			if err != nil {
				t.Errorf("Status: %v", err)
			}
			counts[i] = st.HourlyCount
		})
	}
	wg.Wait()
	return outcomes, counts
}

// grantTimes returns the times of the grants among outcomes, in order.
func grantTimes(outcomes []outcome) []time.Duration {
	var grants []time.Duration
	for _, o := range outcomes {
		if o.err == nil {
			grants = append(grants, o.at)
		}
	}
	slices.Sort(grants)
	return grants
}

// inHour counts the grants in (t−1h, t].
func inHour(grants []time.Duration, t time.Duration) int {
	n := 0
	for _, g := range grants {
		if g > t-time.Hour && g <= t {
			n++
		}
	}
	return n
}

// TestPropertyLimits: whatever the arrivals (several at once included),
// the deadlines and the rate-limit responses, grants keep the interval,
// no rolling hour holds more than the limit, no grant falls inside a
// cool-down, HourlyCount counts the grants of the last hour, and a waiter
// whose deadline passed got no grant and returned at its deadline.
func TestPropertyLimits(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(rt *rapid.T) {
		var sc scenario
		sc.interval, sc.limit = drawLimits(rt)
		arrival := rapid.OneOf(rapid.IntRange(0, 5), rapid.IntRange(0, 7200)) // crowds and spread
		for range rapid.IntRange(1, 40).Draw(rt, "waiters") {
			arrive := seconds(arrival.Draw(rt, "arrive_s"))
			sc.waiters = append(sc.waiters, waiterSpec{arrive: arrive, cancel: drawCancel(rt, arrive, "waiter")})
		}
		for range rapid.IntRange(0, 4).Draw(rt, "cool_downs") {
			sc.coolDowns = append(sc.coolDowns, coolDownSpec{
				at:         seconds(rapid.IntRange(0, 7200).Draw(rt, "cool_down_at_s")) + coolDownOffset,
				retryAfter: seconds(rapid.SampledFrom([]int{0, 0, 1, 30, 900}).Draw(rt, "retry_after_s")),
			})
		}
		for range rapid.IntRange(0, 6).Draw(rt, "probes") {
			sc.probes = append(sc.probes, seconds(rapid.IntRange(0, 10800).Draw(rt, "probe_s"))+probeOffset)
		}

		outcomes, counts := sc.run(t)
		grants := grantTimes(outcomes)

		for i, o := range outcomes {
			w := sc.waiters[i]
			switch {
			case o.err == nil && w.cancel > 0 && o.at >= w.cancel:
				rt.Fatalf("waiter %d granted at %s, after its deadline %s", i, o.at, w.cancel)
			case o.err == nil:
			case w.cancel == 0:
				rt.Fatalf("waiter %d without deadline: Wait = %v", i, o.err)
			case !errors.Is(o.err, context.DeadlineExceeded):
				rt.Fatalf("waiter %d: Wait = %v, want %v", i, o.err, context.DeadlineExceeded)
			case o.at != w.cancel:
				rt.Fatalf("waiter %d returned at %s, want its deadline %s", i, o.at, w.cancel)
			}
		}
		for i := 1; i < len(grants); i++ {
			if gap := grants[i] - grants[i-1]; gap < sc.interval {
				rt.Fatalf("grants at %s and %s: %s apart, want at least %s", grants[i-1], grants[i], gap, sc.interval)
			}
		}
		for i, g := range grants {
			// The fullest half-open hour starts at a grant.
			n := 0
			for _, h := range grants[i:] {
				if h < g+time.Hour {
					n++
				}
			}
			if n > sc.limit {
				rt.Fatalf("%d grants in the hour from %s, want at most %d", n, g, sc.limit)
			}
		}
		for _, c := range sc.coolDowns {
			hold := ratelimit.CoolDownInitialDefault // at least the first step
			if c.retryAfter > 0 {
				hold = min(c.retryAfter, ratelimit.MaxRetryAfterDefault) // as given
			}
			for _, g := range grants {
				if g > c.at && g < c.at+hold {
					rt.Fatalf("grant at %s, inside the cool-down from %s for at least %s", g, c.at, hold)
				}
			}
		}
		for i, p := range sc.probes {
			if want := inHour(grants, p); counts[i] != want {
				rt.Fatalf("HourlyCount at %s = %d, want %d", p, counts[i], want)
			}
		}
	})
}

// TestPropertyModel: waiters that arrive at distinct times are granted in
// arrival order, each at the earliest time the interval and the hourly
// limit allow, as if the waiters whose deadline passed had never come: a
// cancelled waiter blocks nobody and uses no budget.
func TestPropertyModel(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(rt *rapid.T) {
		var sc scenario
		sc.interval, sc.limit = drawLimits(rt)
		arrivals := rapid.SliceOfNDistinct(rapid.IntRange(0, 7200), 1, 40, rapid.ID[int]).Draw(rt, "arrivals_s")
		slices.Sort(arrivals) // waiter i arrives i-th
		for _, a := range arrivals {
			arrive := seconds(a)
			sc.waiters = append(sc.waiters, waiterSpec{arrive: arrive, cancel: drawCancel(rt, arrive, "waiter")})
		}

		outcomes, _ := sc.run(t)

		want := model(sc)
		for i, o := range outcomes {
			if o.err != nil {
				o.at = -time.Second
			}
			if o.at != want[i] {
				rt.Fatalf("waiter %d (arrives %s, deadline %s): granted at %s, want %s (-1s: none)\nwant: %v",
					i, sc.waiters[i].arrive, sc.waiters[i].cancel, o.at, want[i], want)
			}
		}
	})
}

// model returns the grant time of each waiter of sc, which arrive in
// order, or -1s for one whose deadline passes first. It serves them one by
// one, first come first served, with no cool-down.
func model(sc scenario) []time.Duration {
	var grants []time.Duration
	want := make([]time.Duration, len(sc.waiters))
	for i, w := range sc.waiters {
		at := w.arrive
		if n := len(grants); n > 0 {
			at = max(at, grants[n-1]+sc.interval)
		}
		if n := len(grants); n >= sc.limit {
			at = max(at, grants[n-sc.limit]+time.Hour)
		}
		if w.cancel > 0 && w.cancel < at {
			want[i] = -time.Second
			continue
		}
		want[i] = at
		grants = append(grants, at)
	}
	return want
}
