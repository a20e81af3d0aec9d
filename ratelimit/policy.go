package ratelimit

import (
	"errors"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/pricefill/pricefill"
)

// The adaptive pace (see [WithAdaptivePace]). After a refusal the pace is
// PaceDecrease of the rate that was refused, and that rate becomes the
// ceiling. Each answer then closes paceApproach of the gap to paceNear of
// the ceiling (at least paceApproachMin of the ceiling), so that the pace
// is soon just under it; from there it creeps up by a factor of
// paceCareful an answer, about 5 % in 500 answers, and past the ceiling it
// grows by paceGrowth an answer back to the limiter's own rate. A pace
// never falls below PaceMin.
const (
	// PaceDecrease is the share of its rate a refusal leaves the budget.
	PaceDecrease = 0.8
	// PaceMin is the slowest pace, in requests a second: one a minute.
	PaceMin = 1.0 / 60

	paceNear         = 0.95
	paceApproach     = 0.05
	paceApproachMin  = 0.002
	paceCareful      = 1.0001
	paceGrowth       = 1.01
	observedRateSpan = 2 * time.Second
)

// maxSteps bounds the count of consecutive refusals, which only needs to
// reach the step where the cool-down stops doubling.
const maxSteps = 64

// causeMaxLen bounds the text of an outage's cause, in bytes.
const causeMaxLen = 300

// A Reason says what holds the next grant back.
type Reason string

// The reasons, from the shortest hold to the longest as they usually go.
const (
	// ReasonNone: a request may go out now.
	ReasonNone Reason = ""
	// ReasonInterval: the minimum interval (or the adapted pace) since the
	// last grant.
	ReasonInterval Reason = "interval"
	// ReasonCoolDown: a cool-down after a refusal for rate.
	ReasonCoolDown Reason = "cool-down"
	// ReasonHourly: the rolling hour's budget is spent.
	ReasonHourly Reason = "hourly limit"
	// ReasonDaily: the rolling day's budget is spent.
	ReasonDaily Reason = "daily limit"
	// ReasonQuota: the provider said a quota is used up.
	ReasonQuota Reason = "provider quota"
	// ReasonOutage: the outage breaker is open; only probes go out.
	ReasonOutage Reason = "outage"
)

// A decision is what a limiter makes of a budget's entry.
type decision struct {
	now     time.Time // the entry's time
	next    time.Time // the earliest grant: now when granted or due
	reason  Reason    // what holds the grant back until next
	granted bool
	open    bool // the outage breaker is open: a grant is a probe
	// deadline is when waiters give up, on an open breaker or on a
	// provider that refuses every request; zero when they never do.
	deadline time.Time
	// giveUp is set once they have: an *OutageError or a *RefusingError.
	giveUp error
}

// decide works out when the budget of e allows the next grant, and makes
// the grant when grant is set and one is allowed now. watch is when the
// limiter began to wait on the budget (zero: not yet); it gives up on an
// outage or a provider that refuses every request only once it has
// watched it for the outage timeout (see [config.giveUpAt]).
func (c *config) decide(e Entry, grant bool, watch time.Time) (decision, error) {
	now, s := e.Now(), e.State()
	d := decision{now: now, next: now}
	hold := func(t time.Time, r Reason) {
		if t.After(d.next) {
			d.next, d.reason = t, r
		}
	}
	if !s.LastGrant.IsZero() {
		hold(s.LastGrant.Add(c.gap(s)), ReasonInterval)
	}
	hold(s.CoolUntil, ReasonCoolDown)
	hold(s.HoldUntil, ReasonQuota)
	for _, w := range c.windows() {
		t, full, err := e.Nth(now.Add(-w.span), w.limit)
		if err != nil {
			return d, err
		}
		if full {
			hold(t.Add(w.span), w.reason)
		}
	}
	open := c.breaker > 0 && !s.OutageSince.IsZero()
	d.open = open
	if open {
		if t := c.giveUpAt(s.OutageSince, watch); !t.IsZero() {
			d.deadline = t
			if !now.Before(t) {
				d.giveUp = &OutageError{Name: c.name, Since: s.OutageSince, Cause: s.OutageCause, Timeout: c.outageTimeout}
				return d, nil
			}
		}
		hold(s.NextProbe, ReasonOutage)
	}
	if t := c.giveUpAt(s.RefusingSince, watch); !t.IsZero() {
		if d.deadline.IsZero() || t.Before(d.deadline) {
			d.deadline = t
		}
		if !now.Before(t) {
			d.giveUp = &RefusingError{Name: c.name, Since: s.RefusingSince, Timeout: c.outageTimeout}
			return d, nil
		}
	}
	if !grant || d.next.After(now) {
		return d, nil
	}
	s.LastGrant = now
	if open {
		s.Probes++
		s.NextProbe = now.Add(c.probeStep(s.Probes))
	}
	if keep := c.keep(); keep > 0 {
		if err := e.AddGrant(keep); err != nil {
			return d, err
		}
	}
	d.granted, d.reason = true, ReasonNone
	return d, nil
}

// giveUpAt returns when a limiter that began to wait at watch (zero: not
// yet) gives up on an outage, or on a provider that has refused every
// request, since since: the outage timeout after since, or after watch
// when that is later, so that a run started once another gave up probes
// or tries again for the whole timeout. Zero when it never gives up: no
// outage or refusal, or no timeout.
func (c *config) giveUpAt(since, watch time.Time) time.Time {
	if since.IsZero() || c.outageTimeout == 0 {
		return time.Time{}
	}
	return later(since, watch).Add(c.outageTimeout)
}

// keep returns how long the grants of this limiter are looked back on:
// the longest window, or an hour for one with only an interval (the
// limiters of other processes sharing the ledger may count them, and an
// adaptive pace without an interval observes them); 0 for a limiter
// without any limit, which records none.
func (c *config) keep() time.Duration {
	if ws := c.windows(); len(ws) > 0 {
		return ws[len(ws)-1].span
	}
	if c.interval > 0 {
		return time.Hour
	}
	return 0
}

// A span is a rolling window of a budget and its limit.
type span struct {
	span   time.Duration
	limit  int
	reason Reason
}

// windows returns the limited rolling windows, shortest first.
func (c *config) windows() []span { return c.spans }

// newSpans returns the limited rolling windows of c, shortest first.
func (c *config) newSpans() []span {
	var ws []span
	if c.hourlyLimit > 0 {
		ws = append(ws, span{time.Hour, c.hourlyLimit, ReasonHourly})
	}
	if c.dailyLimit > 0 {
		ws = append(ws, span{24 * time.Hour, c.dailyLimit, ReasonDaily})
	}
	return ws
}

// refused records a refusal for rate or quota at the entry's time.
func (c *config) refused(e Entry, rl *pricefill.RateLimitError) error {
	now, s := e.Now(), e.State()
	heard(s)
	if rl.Quota {
		// The provider says when requests resume: a wait with an end,
		// which ends a run of refusals for rate.
		s.RefusingSince = time.Time{}
		until := now.Add(QuotaHoldDefault)
		if !rl.Reset.IsZero() && rl.Reset.After(now) {
			until = rl.Reset
		}
		until = earlier(until, now.Add(QuotaHoldMax))
		if until.After(s.HoldUntil) {
			s.HoldUntil, s.HoldReason = until, "the provider's quota is used up"
		}
		return nil
	}
	if s.RefusingSince.IsZero() {
		s.RefusingSince = now
	}
	// A refusal while a cool-down runs answers a request granted before
	// it began (none is granted during one): the same burst.
	if s.Refusals == 0 || !now.Before(s.CoolUntil) {
		s.Refusals = min(s.Refusals+1, maxSteps)
		if c.adaptive {
			if err := c.slowDown(e); err != nil {
				return err
			}
		}
	}
	d := c.step(s.Refusals)
	if rl.RetryAfter > 0 {
		d = min(rl.RetryAfter, c.maxRetryAfter)
	}
	s.CoolUntil = later(s.CoolUntil, now.Add(d))
	return nil
}

// answered records an answer that was not a refusal.
func (c *config) answered(e Entry) {
	s := e.State()
	heard(s)
	s.Refusals, s.RefusingSince = 0, time.Time{}
	if c.adaptive && s.Pace > 0 {
		c.speedUp(s)
	}
}

// failed records a failure that says nothing about symbol, and reports
// whether the breaker is open after it.
func (c *config) failed(e Entry, symbol string, err error) bool {
	if c.breaker == 0 {
		return false
	}
	now, s := e.Now(), e.State()
	cause := causeText(err)
	if !s.OutageSince.IsZero() {
		s.OutageCause = cause
		return true
	}
	s.Streak++
	switch {
	case errors.Is(err, pricefill.ErrUnavailable):
		s.StreakUnreachable++
	case !slices.Contains(s.StreakSymbols, symbol) && len(s.StreakSymbols) < BreakerSymbols:
		s.StreakSymbols = append(s.StreakSymbols, symbol)
	}
	spread := min(BreakerSymbols, len(s.StreakSymbols)+s.StreakUnreachable)
	if s.Streak < c.breaker || spread < min(BreakerSymbols, c.breaker) {
		return false
	}
	s.OutageSince, s.OutageCause = now, cause
	s.Probes, s.NextProbe = 0, now.Add(c.probeInitial)
	return true
}

// heard records that the provider answered: a streak of failures ends and
// an open breaker closes.
func heard(s *State) {
	s.Streak, s.StreakUnreachable, s.StreakSymbols = 0, 0, nil
	s.OutageSince, s.OutageCause, s.NextProbe, s.Probes = time.Time{}, "", time.Time{}, 0
}

// maxRate returns the limiter's own rate, requests a second; +Inf with no
// interval.
func (c *config) maxRate() float64 {
	if c.interval <= 0 {
		return math.Inf(1)
	}
	return float64(time.Second) / float64(c.interval)
}

// rate returns the rate of s for this limiter: its own, or the adapted
// pace where that is slower.
func (c *config) rate(s *State) float64 {
	r := c.maxRate()
	if c.adaptive && s.Pace > 0 && s.Pace < r {
		r = s.Pace
	}
	return r
}

// gap returns the least time between two grants under s.
func (c *config) gap(s *State) time.Duration {
	r := c.rate(s)
	if math.IsInf(r, 1) {
		return 0
	}
	return max(c.interval, time.Duration(float64(time.Second)/r))
}

// slowDown lowers the pace after the first refusal of a burst.
func (c *config) slowDown(e Entry) error {
	s := e.State()
	cur := c.rate(s)
	if math.IsInf(cur, 1) {
		// No interval: the rate refused is the one observed.
		gs, err := e.Grants(e.Now().Add(-observedRateSpan))
		if err != nil {
			return err
		}
		cur = max(float64(len(gs))/observedRateSpan.Seconds(), 1)
	}
	s.Ceiling = cur
	s.Pace = max(cur*PaceDecrease, min(PaceMin, cur))
	return nil
}

// speedUp raises the pace after an answer.
func (c *config) speedUp(s *State) {
	switch ceil := s.Ceiling; {
	case ceil > 0 && s.Pace < ceil*paceNear:
		s.Pace = min(ceil*paceNear, s.Pace+max((ceil*paceNear-s.Pace)*paceApproach, ceil*paceApproachMin))
	case ceil > 0 && s.Pace < ceil:
		s.Pace *= paceCareful
	default:
		s.Ceiling = 0
		s.Pace *= paceGrowth
	}
	if s.Pace >= c.maxRate() {
		s.Pace, s.Ceiling = 0, 0
	}
}

// step returns the cool-down of the n-th refusal in a row: coolInitial
// doubled n−1 times, at most coolMax.
func (c *config) step(n int) time.Duration {
	return Exponential{Initial: c.coolInitial, Max: c.coolMax}.Delay(n)
}

// probeStep returns the wait after the n-th probe of an outage:
// probeInitial doubled n times, at most probeMax.
func (c *config) probeStep(n int) time.Duration {
	return Exponential{Initial: c.probeInitial, Max: c.probeMax}.Delay(n + 1)
}

func causeText(err error) string {
	s := err.Error()
	if len(s) > causeMaxLen {
		s = strings.ToValidUTF8(s[:causeMaxLen], "") + "…"
	}
	return s
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
