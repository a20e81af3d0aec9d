package ledgertest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/internal/clocktest"
	"github.com/pricefill/pricefill/ratelimit"
)

// The property's outage timeout and probes, shorter than the defaults so
// that a scenario of a few dozen steps meets them.
const (
	outageTimeout = 10 * time.Minute
	probeInitial  = 5 * time.Second
	probeMax      = 20 * time.Second
)

// A limits is what the property draws for every limiter of a scenario.
type limits struct {
	interval      time.Duration
	hourly, daily int
	breaker       int
	adaptive      bool
}

func (lm limits) options(clock pricefill.Clock, l ratelimit.Ledger, key string) []ratelimit.Option {
	return []ratelimit.Option{
		ratelimit.WithClock(clock), ratelimit.WithLedger(l), ratelimit.WithName(key),
		ratelimit.WithInterval(lm.interval), ratelimit.WithHourlyLimit(lm.hourly), ratelimit.WithDailyLimit(lm.daily),
		ratelimit.WithBreaker(lm.breaker), ratelimit.WithAdaptivePace(lm.adaptive),
		ratelimit.WithProbeInterval(probeInitial, probeMax), ratelimit.WithOutageTimeout(outageTimeout),
	}
}

// model is the budget as the property expects it: the grants made, the
// holds every refusal imposes at the least, the breaker and the run of
// refusals, kept by the rules of the package documentation.
type model struct {
	lm      limits
	grants  []time.Time
	holds   []hold
	refused bool // some refusal came: the pace may have slowed

	steps     int // refusals in a row, one per cool-down
	coolUntil time.Time
	holdUntil time.Time
	// refusingSince is the first refusal for rate since the latest answer
	// or quota; zero when none came since.
	refusingSince time.Time

	streak, unreachable int
	symbols             []string
	openSince           time.Time // zero: closed
	nextProbe           time.Time
	probes              int
}

// A hold is a span in which no grant may fall: [from, until).
type hold struct {
	from, until time.Time
	why         string
}

func (m *model) heard() {
	m.streak, m.unreachable, m.symbols = 0, 0, nil
	m.openSince, m.probes = time.Time{}, 0
}

func (m *model) answer() {
	m.heard()
	m.steps = 0
	m.refusingSince = time.Time{}
}

func (m *model) refuse(now time.Time, retryAfter time.Duration, quota bool) {
	m.heard()
	if quota {
		m.refusingSince = time.Time{}
		until := now.Add(ratelimit.QuotaHoldDefault)
		m.holds = append(m.holds, hold{now, until, "a quota"})
		if until.After(m.holdUntil) {
			m.holdUntil = until
		}
		return
	}
	m.refused = true
	if m.refusingSince.IsZero() {
		m.refusingSince = now
	}
	if m.steps == 0 || !now.Before(m.coolUntil) {
		m.steps++
	}
	d := ratelimit.CoolDownInitialDefault
	for i := 1; i < m.steps && d < ratelimit.CoolDownMaxDefault; i++ {
		d *= 2
	}
	d = min(d, ratelimit.CoolDownMaxDefault)
	if retryAfter > 0 {
		d = min(retryAfter, ratelimit.MaxRetryAfterDefault)
	}
	m.holds = append(m.holds, hold{now, now.Add(d), fmt.Sprintf("a refusal (Retry-After %s)", retryAfter)})
	if until := now.Add(d); until.After(m.coolUntil) {
		m.coolUntil = until
	}
}

// fail records a failure and reports whether the breaker is open after it.
func (m *model) fail(now time.Time, symbol string, unreachable bool) bool {
	if m.lm.breaker == 0 {
		return false
	}
	if !m.openSince.IsZero() {
		return true
	}
	m.streak++
	switch {
	case unreachable:
		m.unreachable++
	case !slices.Contains(m.symbols, symbol) && len(m.symbols) < ratelimit.BreakerSymbols:
		m.symbols = append(m.symbols, symbol)
	}
	spread := min(ratelimit.BreakerSymbols, len(m.symbols)+m.unreachable)
	if m.streak >= m.lm.breaker && spread >= min(ratelimit.BreakerSymbols, m.lm.breaker) {
		m.openSince, m.nextProbe, m.probes = now, now.Add(probeInitial), 0
		return true
	}
	return false
}

// outageTimedOut reports whether a limiter that first asked for a grant
// at watch gives up at now on an open breaker: it has watched the outage
// for the outage timeout.
func (m *model) outageTimedOut(now, watch time.Time) bool {
	return watchedFor(m.openSince, watch, now)
}

// refusingTimedOut reports whether a limiter that first asked for a grant
// at watch gives up at now on a provider that refuses every request: it
// has watched the refusals for the outage timeout.
func (m *model) refusingTimedOut(now, watch time.Time) bool {
	return watchedFor(m.refusingSince, watch, now)
}

// watchedFor reports whether, at now, a limiter that first asked for a
// grant at watch has watched for the outage timeout what began at since
// (zero: nothing).
func watchedFor(since, watch, now time.Time) bool {
	if since.IsZero() {
		return false
	}
	if watch.After(since) {
		since = watch
	}
	return !now.Before(since.Add(outageTimeout))
}

// sinceStart returns t as a time after Start, or "none" for zero.
func sinceStart(t time.Time) string {
	if t.IsZero() {
		return "none"
	}
	return t.Sub(Start).String()
}

// within counts the grants in (t−span, t].
func (m *model) within(t time.Time, span time.Duration) int {
	n := 0
	for _, g := range m.grants {
		if g.After(t.Add(-span)) && !g.After(t) {
			n++
		}
	}
	return n
}

// check fails rt when a grant at now breaks a rule.
func (m *model) check(rt *rapid.T, now time.Time) {
	if n := len(m.grants); n > 0 {
		if gap := now.Sub(m.grants[n-1]); gap < m.lm.interval {
			rt.Fatalf("grant at %s, %s after the last: want at least the interval %s", now.Sub(Start), gap, m.lm.interval)
		}
	}
	if m.lm.hourly > 0 {
		if n := m.within(now, time.Hour) + 1; n > m.lm.hourly {
			rt.Fatalf("grant at %s makes %d in the rolling hour, want at most %d", now.Sub(Start), n, m.lm.hourly)
		}
	}
	if m.lm.daily > 0 {
		if n := m.within(now, 24*time.Hour) + 1; n > m.lm.daily {
			rt.Fatalf("grant at %s makes %d in the rolling day, want at most %d", now.Sub(Start), n, m.lm.daily)
		}
	}
	for _, h := range m.holds {
		if !now.Before(h.from) && now.Before(h.until) {
			rt.Fatalf("grant at %s during the hold of %s from %s to %s", now.Sub(Start), h.why, h.from.Sub(Start), h.until.Sub(Start))
		}
	}
	if !m.openSince.IsZero() && now.Before(m.nextProbe) {
		rt.Fatalf("grant at %s while the breaker is open, before its next probe at %s", now.Sub(Start), m.nextProbe.Sub(Start))
	}
}

// due reports whether the model requires a grant at now: every rule
// allows one and the pace cannot have slowed.
func (m *model) due(now time.Time) bool {
	if m.refused && m.lm.adaptive {
		return false
	}
	if n := len(m.grants); n > 0 && now.Sub(m.grants[n-1]) < m.lm.interval {
		return false
	}
	if m.lm.hourly > 0 && m.within(now, time.Hour) >= m.lm.hourly {
		return false
	}
	if m.lm.daily > 0 && m.within(now, 24*time.Hour) >= m.lm.daily {
		return false
	}
	if now.Before(m.coolUntil) || now.Before(m.holdUntil) {
		return false
	}
	return m.openSince.IsZero() || !now.Before(m.nextProbe)
}

// granted records a grant at now.
func (m *model) granted(now time.Time) {
	m.grants = append(m.grants, now)
	if !m.openSince.IsZero() {
		m.probes++
		d := probeInitial
		for i := 0; i < m.probes && d < probeMax; i++ {
			d *= 2
		}
		m.nextProbe = now.Add(min(d, probeMax))
	}
}

// The budget as a property: see the package documentation.
func testBudget(t *testing.T, open OpenFunc) {
	clock := clocktest.NewFake(Start)
	handles := open(t, clock, 2)
	rapid.Check(t, func(rt *rapid.T) {
		// Each check has a budget of its own; they run one after another
		// on the one clock, which only moves forward.
		key := fmt.Sprintf("budget-%d", keys.Add(1))
		lm := limits{
			interval: rapid.SampledFrom([]time.Duration{0, time.Second, 3 * time.Second}).Draw(rt, "interval"),
			hourly:   rapid.SampledFrom([]int{0, 1, 2, 5}).Draw(rt, "hourly"),
			daily:    rapid.SampledFrom([]int{0, 3, 8}).Draw(rt, "daily"),
			breaker:  rapid.SampledFrom([]int{0, 2, 5}).Draw(rt, "breaker"),
			adaptive: rapid.Bool().Draw(rt, "adaptive"),
		}
		m := &model{lm: lm}
		newLimiter := func(i int) *ratelimit.Limiter {
			l, err := ratelimit.New(lm.options(clock, handles[i%len(handles)], key)...)
			if err != nil {
				rt.Fatalf("New: %v", err)
			}
			return l
		}
		clients := make([]*ratelimit.Limiter, rapid.IntRange(1, 3).Draw(rt, "clients"))
		for i := range clients {
			clients[i] = newLimiter(i)
		}
		// watch holds when each client first asked for a grant; zero:
		// not yet.
		watch := make([]time.Time, len(clients))
		ctx := context.Background()
		steps := rapid.IntRange(1, 40).Draw(rt, "steps")
		for range steps {
			i := rapid.IntRange(0, len(clients)-1).Draw(rt, "client")
			l := clients[i]
			now := clock.Now()
			switch rapid.IntRange(0, 9).Draw(rt, "action") {
			case 0, 1: // time passes
				// Steps that land just before and on the edges of the
				// windows, as well as across them.
				clock.Advance(rapid.SampledFrom([]time.Duration{time.Millisecond, 999 * time.Millisecond, time.Second,
					4 * time.Second, 30 * time.Second, 7 * time.Minute, time.Hour - 500*time.Millisecond, time.Hour,
					5 * time.Hour, 24*time.Hour - 500*time.Millisecond}).Draw(rt, "advance"))
			case 2, 3: // a request asks for a grant
				ok, err := l.Allow(ctx)
				if watch[i].IsZero() {
					watch[i] = now
				}
				var (
					oe *ratelimit.OutageError
					re *ratelimit.RefusingError
				)
				timedOut := m.outageTimedOut(now, watch[i])
				refusing := !timedOut && m.refusingTimedOut(now, watch[i])
				switch {
				case errors.As(err, &oe):
					if !timedOut {
						rt.Fatalf("Allow at %s: %v, but the breaker opened at %s (zero: closed)", now.Sub(Start), err, m.openSince.Sub(Start))
					}
				case errors.As(err, &re):
					if !refusing || !re.Since.Equal(m.refusingSince) || !errors.Is(err, pricefill.ErrUnavailable) {
						rt.Fatalf("Allow at %s (first at %s): %v, but the refusals began at %s",
							now.Sub(Start), watch[i].Sub(Start), err, sinceStart(m.refusingSince))
					}
				case err != nil:
					rt.Fatalf("Allow: %v", err)
				case timedOut:
					rt.Fatalf("Allow at %s (first at %s) = %t, want an OutageError: open since %s", now.Sub(Start), watch[i].Sub(Start), ok, m.openSince.Sub(Start))
				case refusing:
					rt.Fatalf("Allow at %s (first at %s) = %t, want a RefusingError: every request refused since %s",
						now.Sub(Start), watch[i].Sub(Start), ok, m.refusingSince.Sub(Start))
				case ok:
					m.check(rt, now)
					m.granted(now)
				case m.due(now):
					rt.Fatalf("Allow at %s refused a grant that every rule allows (grants so far %v)", now.Sub(Start), m.grants)
				}
			case 4: // a refusal for rate
				ra := rapid.SampledFrom([]time.Duration{0, 0, time.Second, 20 * time.Second, time.Hour}).Draw(rt, "retry_after")
				if err := l.Refused(ctx, &pricefill.RateLimitError{RetryAfter: ra}); err != nil {
					rt.Fatalf("Refused: %v", err)
				}
				m.refuse(now, ra, false)
			case 5: // a quota used up
				if err := l.Refused(ctx, &pricefill.RateLimitError{Quota: true}); err != nil {
					rt.Fatalf("Refused: %v", err)
				}
				m.refuse(now, 0, true)
			case 6: // an answer
				if err := l.Answered(ctx); err != nil {
					rt.Fatalf("Answered: %v", err)
				}
				m.answer()
			case 7, 9: // a failure that says nothing about the symbol
				sym := rapid.SampledFrom([]string{"A", "B", "C", "D"}).Draw(rt, "symbol")
				unreachable := rapid.Bool().Draw(rt, "unreachable")
				err := errors.New("HTTP 503")
				if unreachable {
					err = pricefill.Unavailable(errors.New("connection refused"))
				}
				open, ferr := l.Failed(ctx, sym, err)
				if ferr != nil {
					rt.Fatalf("Failed: %v", ferr)
				}
				if want := m.fail(now, sym, unreachable); open != want {
					rt.Fatalf("Failed(%s, %v) at %s reports the breaker open %t, want %t", sym, err, now.Sub(Start), open, want)
				}
			case 8: // the process restarts: its limiter is new, the ledger stays
				clients[i] = newLimiter(i)
				watch[i] = time.Time{}
			}
		}
	})
}
