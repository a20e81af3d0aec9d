package ratelimit

import (
	"fmt"
	"strings"
	"time"

	"github.com/pricefill/pricefill"
)

// Status is what a budget holds at a time, as [Limiter.Status] reads it.
// Times are on the ledger's clock.
type Status struct {
	// Name is the budget's name.
	Name string `json:"name"`
	// Now is when the status was read.
	Now time.Time `json:"now"`
	// Next is the earliest time a request may go out: Now when one may go
	// out now. Reason says what holds it back until then.
	Next   time.Time `json:"next"`
	Reason Reason    `json:"reason,omitempty"`
	// HourlyCount and DailyCount are the requests granted in the rolling
	// hour and day that end now, counted where the limiter has such a
	// limit (HourlyLimit, DailyLimit; 0 for none).
	HourlyCount int `json:"hourly_count"`
	HourlyLimit int `json:"hourly_limit"`
	DailyCount  int `json:"daily_count"`
	DailyLimit  int `json:"daily_limit"`
	// Rate is the pace now, in requests a second, and MaxRate the
	// limiter's own (the interval's); Rate is lower while refusals keep
	// the pace down. 0 is no limit.
	Rate    float64 `json:"rate_per_s"`
	MaxRate float64 `json:"max_rate_per_s"`
	// CoolDownUntil ends a running cool-down; zero when none runs.
	CoolDownUntil time.Time `json:"cool_down_until,omitzero"`
	// Outage is set while the outage breaker is open.
	Outage *Outage `json:"outage,omitempty"`
	// Refusing is set while every answer of the provider is a refusal for
	// rate.
	Refusing *Refusing `json:"refusing,omitempty"`
}

// An Outage is an open outage breaker.
type Outage struct {
	// Since is when it opened, and Cause the latest failure.
	Since time.Time `json:"since"`
	Cause string    `json:"cause"`
	// NextProbe is when the next probe may go out; Probes counts those
	// sent so far.
	NextProbe time.Time `json:"next_probe"`
	Probes    int       `json:"probes"`
	// GiveUp is when waiters give up (a limiter that began to wait after
	// Since gives up the outage timeout after it began), or zero when
	// they never do.
	GiveUp time.Time `json:"give_up,omitzero"`
}

// Refusing is a run of refusals for rate: since its first, the provider
// has answered nothing else.
type Refusing struct {
	// Since is the first refusal of the run; Refusals counts them, one
	// per cool-down.
	Since    time.Time `json:"since"`
	Refusals int       `json:"refusals"`
	// GiveUp is when waiters give up (a limiter that began to wait after
	// Since gives up the outage timeout after it began), or zero when
	// they never do.
	GiveUp time.Time `json:"give_up,omitzero"`
}

// Limited reports whether the budget has any limit, or holds requests
// back: false for a limiter that never waits.
func (s Status) Limited() bool {
	return s.MaxRate > 0 || s.Rate > 0 || s.HourlyLimit > 0 || s.DailyLimit > 0 || s.Holding()
}

// slowed reports whether refusals keep the pace under the limiter's own.
func (s Status) slowed() bool {
	return s.Rate > 0 && (s.MaxRate == 0 || s.Rate < s.MaxRate)
}

// Holding reports whether requests are held back by more than the pace:
// a cool-down, a spent budget, a provider's quota or an outage.
func (s Status) Holding() bool {
	return s.Reason != ReasonNone && s.Reason != ReasonInterval
}

// String says in one line what holds the requests back, or how much of
// the budget is spent when nothing does, such as "waiting for the hourly
// limit (2000 requests in the last hour) until 11:02:03 UTC".
func (s Status) String() string {
	var b strings.Builder
	switch s.Reason {
	case ReasonOutage:
		o := s.Outage
		if o == nil {
			return s.Name + " is down"
		}
		fmt.Fprintf(&b, "%s down since %s (%s): %s", s.Name, clockTime(o.Since, s.Now), s.Now.Sub(o.Since).Round(time.Second), o.Cause)
		if o.NextProbe.After(s.Now) {
			fmt.Fprintf(&b, "; next probe %s", clockTime(o.NextProbe, s.Now))
		}
		if !o.GiveUp.IsZero() {
			fmt.Fprintf(&b, "; giving up at %s", clockTime(o.GiveUp, s.Now))
		}
	case ReasonHourly:
		fmt.Fprintf(&b, "waiting for the hourly limit (%d requests in the last hour) until %s", s.HourlyCount, clockTime(s.Next, s.Now))
	case ReasonDaily:
		fmt.Fprintf(&b, "waiting for the daily limit (%d requests in the last 24 hours) until %s", s.DailyCount, clockTime(s.Next, s.Now))
	case ReasonQuota:
		fmt.Fprintf(&b, "waiting for the provider's quota until %s", clockTime(s.Next, s.Now))
	case ReasonCoolDown:
		fmt.Fprintf(&b, "cooling down after a refusal until %s", clockTime(s.Next, s.Now))
	default:
		b.WriteString(s.Name + ": ")
		var parts []string
		if s.HourlyLimit > 0 {
			parts = append(parts, fmt.Sprintf("%d of %d requests in the last hour", s.HourlyCount, s.HourlyLimit))
		}
		if s.DailyLimit > 0 {
			parts = append(parts, fmt.Sprintf("%d of %d in the last 24 hours", s.DailyCount, s.DailyLimit))
		}
		if s.slowed() {
			parts = append(parts, fmt.Sprintf("pace %s of %s after refusals", rateText(s.Rate), rateText(s.MaxRate)))
		}
		if len(parts) == 0 {
			parts = append(parts, "no limit reached")
		}
		b.WriteString(strings.Join(parts, ", "))
	}
	if r := s.Refusing; r != nil && s.Reason != ReasonOutage {
		fmt.Fprintf(&b, "; every request refused since %s (%s)", clockTime(r.Since, s.Now), s.Now.Sub(r.Since).Round(time.Second))
		switch {
		case r.GiveUp.IsZero():
		case r.GiveUp.After(s.Now):
			fmt.Fprintf(&b, "; giving up at %s", clockTime(r.GiveUp, s.Now))
		default:
			fmt.Fprintf(&b, "; timed out at %s", clockTime(r.GiveUp, s.Now))
		}
	}
	return b.String()
}

// A Forecast says when a number of requests could go out at a budget's
// limits, as [Limiter.Forecast] works it out. Times are on the ledger's
// clock.
type Forecast struct {
	Requests int
	// Now is when the forecast was made.
	Now time.Time
	// First and Last are when the first and the last request could go
	// out: Now for none.
	First, Last time.Time
}

// An OutageError is what [Limiter.Wait] returns once the outage breaker
// has been open for the outage timeout. It matches
// [pricefill.ErrUnavailable].
type OutageError struct {
	// Name is the budget's (the provider's) name.
	Name string
	// Since is when the breaker opened, on the ledger's clock.
	Since time.Time
	// Cause is the latest failure.
	Cause string
	// Timeout is the outage timeout that ran out.
	Timeout time.Duration
}

func (e *OutageError) Error() string {
	return fmt.Sprintf("%s unreachable since %s (for %s or more): %s", e.Name, e.Since.UTC().Format("2006-01-02 15:04:05 MST"), e.Timeout, e.Cause)
}

// Is reports whether target is [pricefill.ErrUnavailable].
func (e *OutageError) Is(target error) bool { return target == pricefill.ErrUnavailable }

// A RefusingError is what [Limiter.Wait] returns once the provider has
// refused every request, for rate, for the outage timeout: no answer but
// refusals since the first of them. It matches [pricefill.ErrUnavailable],
// as an [*OutageError] does.
type RefusingError struct {
	// Name is the budget's (the provider's) name.
	Name string
	// Since is the first refusal of the run, on the ledger's clock.
	Since time.Time
	// Cause is the latest refusal the limiter was told of, or "" when it
	// was told of none (the refusals came to other processes).
	Cause string
	// Timeout is the outage timeout that ran out.
	Timeout time.Duration
}

func (e *RefusingError) Error() string {
	cause := e.Cause
	if cause == "" {
		cause = "rate limited"
	}
	return fmt.Sprintf("%s refused every request since %s (for %s or more): %s", e.Name, e.Since.UTC().Format("2006-01-02 15:04:05 MST"), e.Timeout, cause)
}

// Is reports whether target is [pricefill.ErrUnavailable].
func (e *RefusingError) Is(target error) bool { return target == pricefill.ErrUnavailable }

// clockTime formats t for a line read at now: the time of day in UTC, and
// the date too when it is not now's.
func clockTime(t, now time.Time) string {
	t, now = t.UTC(), now.UTC()
	if t.YearDay() == now.YearDay() && t.Year() == now.Year() {
		return t.Format("15:04:05 MST")
	}
	return t.Format("2006-01-02 15:04:05 MST")
}

// rateText formats a rate in requests a second.
func rateText(r float64) string {
	switch {
	case r <= 0:
		return "unlimited"
	case r >= 1:
		return fmt.Sprintf("%.3g/s", r)
	}
	return fmt.Sprintf("1 per %s", time.Duration(float64(time.Second)/r).Round(time.Millisecond))
}
