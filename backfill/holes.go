package backfill

import (
	"context"
	"slices"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/validate/calendar"
)

// A Hole is a trading day of a symbol that the provider was asked for and
// did not serve with a valid bar: it left the day out, listed it without
// prices, or served a bar that failed validation. A store that keeps holes
// (a [HoleKeeper]) remembers them, and the runner does not ask for a hole
// again until its back-off has passed (see [WithHoleBackoff]) or the run
// is forced; the report and completeness count holes apart from the days
// not fetched yet.
type Hole struct {
	// Date is the trading day, as midnight UTC.
	Date time.Time
	// Reason is why the day is a hole, as the last ask found it.
	Reason HoleReason
	// Detail is what more there is to say: the rules a rejected bar broke,
	// for HoleInvalid; empty otherwise.
	Detail string
	// Asks counts the fetches that asked for the day and did not get it;
	// at least 1.
	Asks int
	// LastAsked is when the last of them was made.
	LastAsked time.Time
}

// A HoleReason says why a trading day is a [Hole].
type HoleReason string

// The reasons of a hole.
const (
	// HoleMissing: the provider's answer had no row for the day, though
	// it or the store had rows after it.
	HoleMissing HoleReason = "missing"
	// HoleLate: neither the answer nor the store had a row for the day
	// or any day after it. The provider may not have published the day
	// yet (or the symbol stopped trading), so the day is asked for again
	// sooner: see [LateHoleBackoff].
	HoleLate HoleReason = "late"
	// HoleNull: the provider listed the day without prices (see
	// [pricefill.Series.Nulls]).
	HoleNull HoleReason = "null"
	// HoleInvalid: the provider's bar for the day failed validation.
	HoleInvalid HoleReason = "invalid"
)

// A HoleKeeper is a [Store] that remembers holes. It records the holes of
// each [SaveRequest] as given (a hole of a date recorded already replaces
// it) and forgets a hole when a save has a bar of its date, stored now or
// before, both in the save's transaction; a hole it could not record (a
// date not at midnight UTC, an unknown reason, no ask) fails the whole
// save. Package backfill/storetest checks all of it. Package store's DB is
// one; with a store that is not one, every hole is asked for again on
// every run.
type HoleKeeper interface {
	Store
	// Holes returns the holes recorded for symbol within r, in date order.
	Holes(ctx context.Context, symbol string, r pricefill.Range) ([]Hole, error)
}

// DefaultHoleBackoff is how long a hole is left alone after it was asked
// for, by the number of asks: a day after the first, a week after the
// second, thirty days after the third and every later one.
var DefaultHoleBackoff = []time.Duration{24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour}

// LateHoleBackoff is how long a [HoleLate] hole asked for once is left
// alone: an hour, for a provider that publishes a session late. Asked for
// again and still late, it follows the back-off of the other holes, one
// step behind.
const LateHoleBackoff = time.Hour

// nextAsk returns when h may be asked for again, by the back-off steps.
func (h Hole) nextAsk(steps []time.Duration) time.Time {
	asks := max(h.Asks, 1)
	if h.Reason == HoleLate {
		if asks == 1 {
			return h.LastAsked.Add(LateHoleBackoff)
		}
		asks--
	}
	return h.LastAsked.Add(steps[min(asks, len(steps))-1])
}

// resting returns the dates of the holes that may not be asked for at now.
func resting(holes []Hole, steps []time.Duration, now time.Time) []time.Time {
	var out []time.Time
	for _, h := range holes {
		if now.Before(h.nextAsk(steps)) {
			out = append(out, h.Date)
		}
	}
	return out
}

// findHoles returns the holes that a fetch of spans found at now: the
// trading days of the spans, by cal, within settled, that are neither
// stored nor among the valid dates served, each with its reason (from what
// the answer held, served) and one ask more than known has of it.
func findHoles(cal calendar.Calendar, spans []pricefill.Range, settled pricefill.Range, stored, valid []time.Time,
	served fetched, known []Hole, now time.Time) []Hole {
	have := dateSet(stored, valid)
	last := served.last()
	for _, d := range stored {
		if d.After(last) {
			last = d
		}
	}
	asks := make(map[time.Time]int, len(known))
	for _, h := range known {
		asks[h.Date] = h.Asks
	}
	var holes []Hole
	for _, span := range spans {
		from, to := span.From, span.To
		if from.Before(settled.From) {
			from = settled.From
		}
		if to.After(settled.To) {
			to = settled.To
		}
		for _, d := range cal.TradingDays(from, to) {
			if have[d] {
				continue
			}
			h := Hole{Date: d, Reason: HoleMissing, Asks: asks[d] + 1, LastAsked: now}
			switch reasons, invalid := served.rejected[d]; {
			case served.nulls[d]:
				h.Reason = HoleNull
			case invalid:
				h.Reason, h.Detail = HoleInvalid, reasons
			case last.IsZero() || d.After(last):
				h.Reason = HoleLate
			}
			holes = append(holes, h)
		}
	}
	return holes
}

// fetched is what a fetch's answer held, by date, for finding holes.
type fetched struct {
	rows     []time.Time          // the dates of the bars served, valid or not
	nulls    map[time.Time]bool   // the dates listed without prices
	rejected map[time.Time]string // the reasons of the bars rejected, by date
}

// last returns the latest date the provider sent a row for, or the zero
// time when it sent none.
func (f fetched) last() time.Time {
	var last time.Time
	for _, d := range f.rows {
		if d.After(last) {
			last = d
		}
	}
	for d := range f.nulls {
		if d.After(last) {
			last = d
		}
	}
	return last
}

// dateSet returns the dates of the lists, each as midnight UTC, as a set.
func dateSet(lists ...[]time.Time) map[time.Time]bool {
	n := 0
	for _, l := range lists {
		n += len(l)
	}
	set := make(map[time.Time]bool, n)
	for _, l := range lists {
		for _, d := range l {
			set[pricefill.DateOf(d)] = true
		}
	}
	return set
}

// knownAfter returns the holes known once a save of valid dates and new
// holes is done: the known ones not served now nor found again, and the
// new ones, in date order.
func knownAfter(known, found []Hole, valid []time.Time) []Hole {
	drop := dateSet(valid)
	for _, h := range found {
		drop[h.Date] = true
	}
	var out []Hole
	for _, h := range known {
		if !drop[h.Date] {
			out = append(out, h)
		}
	}
	out = append(out, found...)
	slices.SortFunc(out, func(a, b Hole) int { return a.Date.Compare(b.Date) })
	return out
}

// A coverage counts the trading days of a range by what the store has of
// them: a bar, a known hole, or nothing yet.
type coverage struct {
	expected, stored, holes int
}

// coverageOf returns the coverage of r by cal, given the dates stored and
// the known holes.
func coverageOf(cal calendar.Calendar, r pricefill.Range, stored []time.Time, holes []Hole) coverage {
	have := dateSet(stored)
	hole := make(map[time.Time]bool, len(holes))
	for _, h := range holes {
		hole[h.Date] = true
	}
	var c coverage
	for _, d := range cal.TradingDays(r.From, r.To) {
		c.expected++
		switch {
		case have[d]:
			c.stored++
		case hole[d]:
			c.holes++
		}
	}
	return c
}

// notFetched counts the trading days neither stored nor known holes.
func (c coverage) notFetched() int { return c.expected - c.stored - c.holes }

// completeness is the share of the trading days stored, in percent, as
// [calendar.Completeness] has it: 100 when the range has none.
func (c coverage) completeness() float64 {
	if c.expected == 0 {
		return 100
	}
	return float64(c.stored) * 100 / float64(c.expected)
}
