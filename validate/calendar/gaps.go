package calendar

import (
	"time"

	"github.com/pricefill/pricefill"
)

// Completeness returns the share of the trading days of r, by calendar cal,
// for which stored holds a date, in percent: 100 × actual ÷ expected,
// rounded once, so it is exactly 100 when nothing is missing and always
// within [0, 100]. The stored dates may come in any order and with
// repeats; dates outside r or on days without a session do not count.
// When r has no trading day (a weekend, a holiday, a range that ends before
// it starts) nothing is missing, and Completeness returns 100.
func Completeness(cal Calendar, r pricefill.Range, stored []time.Time) float64 {
	expected, actual := 0, 0
	walk(cal, r, stored, func(_ Day, have bool) {
		expected++
		if have {
			actual++
		}
	})
	if expected == 0 {
		return 100
	}
	return float64(actual) * 100 / float64(expected)
}

// Gaps returns the trading days of r, by calendar cal, for which stored has
// no date, as spans to fetch: in order, each from the first missing trading
// day of a run to its last, so that a run of missing days broken only by
// days without a session (weekends, holidays) is one span. Spans never
// overlap and are apart by at least one stored trading day. When nothing
// is missing, Gaps returns none. The stored dates may come in any order and
// with repeats; dates outside r are ignored.
//
// To fetch with fewer requests, join nearby spans with [Merge].
func Gaps(cal Calendar, r pricefill.Range, stored []time.Time) []pricefill.Range {
	var spans []pricefill.Range
	open := false
	var first, last Day
	walk(cal, r, stored, func(d Day, have bool) {
		switch {
		case !have && !open:
			first, last, open = d, d, true
		case !have:
			last = d
		case open:
			spans = append(spans, pricefill.Range{From: first.Time(), To: last.Time()})
			open = false
		}
	})
	if open {
		spans = append(spans, pricefill.Range{From: first.Time(), To: last.Time()})
	}
	return spans
}

// walk calls f for each trading day of r, in order, saying whether stored
// holds it.
func walk(cal Calendar, r pricefill.Range, stored []time.Time, f func(d Day, have bool)) {
	a, b := DayOf(r.From), DayOf(r.To)
	if b < a {
		return
	}
	have := make([]uint64, (b-a)/64+1)
	for _, t := range stored {
		if d := DayOf(t); d >= a && d <= b {
			i := d - a
			have[i/64] |= 1 << (i % 64)
		}
	}
	for d := a; d <= b; d++ {
		if cal.IsTradingDay(d.Time()) {
			i := d - a
			f(d, have[i/64]&(1<<(i%64)) != 0)
		}
	}
}

// MergeDefault is a suggested maxStored for [Merge]: about a month of
// trading days.
const MergeDefault = 21

// Merge joins spans, as [Gaps] returns them (in order, apart), into fewer
// requests: two neighbouring spans become one when at most maxStored
// trading days, by calendar cal, lie between them. Those days are stored
// already and are fetched again. A result span still starts and ends on a
// missing trading day of the input, and stays inside the range the input
// spans came from. A maxStored of 0 or less joins nothing.
//
// The trade-off: every request a merge saves is one less wait on the rate
// limiter (by default a second each and 2000 an hour, shared by all
// symbols) and one less round trip, while the days fetched again cost a
// few hundred bytes of response each and are skipped by the store (or,
// with force, compared and updated if the provider restated them). A
// request, not a row, is the scarce resource, so a month's worth
// ([MergeDefault]) is cheap to refetch; a provider that caps the days per
// response wants a small maxStored.
func Merge(cal Calendar, spans []pricefill.Range, maxStored int) []pricefill.Range {
	if len(spans) == 0 {
		return nil
	}
	out := []pricefill.Range{spans[0]}
	for _, s := range spans[1:] {
		cur := &out[len(out)-1]
		if maxStored > 0 && tradingDaysBetween(cal, DayOf(cur.To), DayOf(s.From), maxStored) <= maxStored {
			cur.To = s.To
			continue
		}
		out = append(out, s)
	}
	return out
}

// tradingDaysBetween counts the trading days strictly between a and b, up
// to limit+1: it stops counting once there are more than limit.
func tradingDaysBetween(cal Calendar, a, b Day, limit int) int {
	n := 0
	for d := a + 1; d < b && n <= limit; d++ {
		if cal.IsTradingDay(d.Time()) {
			n++
		}
	}
	return n
}
