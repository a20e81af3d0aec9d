package backfill

import (
	"context"
	"time"

	"github.com/pricefill/pricefill"
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
	// it had rows after it.
	HoleMissing HoleReason = "missing"
	// HoleLate: the answer had no row for the day nor for any day after
	// it. The provider may not have published the day yet (or the symbol
	// stopped trading), so the day is asked for again sooner: see
	// [LateHoleBackoff].
	HoleLate HoleReason = "late"
	// HoleNull: the provider listed the day without prices (see
	// [pricefill.Series.Nulls]).
	HoleNull HoleReason = "null"
	// HoleInvalid: the provider's bar for the day failed validation.
	HoleInvalid HoleReason = "invalid"
)

// A HoleKeeper is a [Store] that remembers holes. It records the holes of
// each [SaveRequest] (a hole of a date recorded already replaces it) and
// forgets a hole when it stores a bar of its date, both in the save's
// transaction. Package store's DB is one; a store that is not one is asked
// for every hole again on every run.
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
