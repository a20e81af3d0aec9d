package validate

import (
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/validate/calendar"
)

// RuleDuplicateDate: the series holds a later valid bar of the same date,
// which is kept instead (see [pricefill.Series.Dedupe]). Only
// [CheckSeries] reports it, as it takes the whole series to see.
const RuleDuplicateDate pricefill.Rule = "duplicate_date"

// A BarValidator judges one bar of asset a, fetched for range r, at time
// now, by the asset's calendar cal: nil, or why the bar may not be stored.
// [Validator] is one, and so is any backfill.Validator.
type BarValidator interface {
	Validate(now time.Time, r pricefill.Range, a pricefill.Asset, cal calendar.Calendar, b pricefill.Bar) error
}

// fieldDropper is a [BarValidator] that can keep a bar without its invalid
// fields, as [Validator.DropFields] does.
type fieldDropper interface {
	DropFields(b pricefill.Bar) (pricefill.Bar, []pricefill.Violation)
}

// A Verdict is what [CheckSeries] made of one bar.
type Verdict struct {
	// Bar is the bar as judged: without the fields dropped.
	Bar pricefill.Bar
	// Dropped has a violation for each field dropped from a bar kept
	// (see [Validator.DropFields]); nil when none was.
	Dropped []pricefill.Violation
	// Err is nil for a bar kept, else why it is rejected: what the
	// validator returned, or for a duplicate a *[pricefill.InvalidBarError]
	// of RuleDuplicateDate.
	Err error
}

// A Checked is what [CheckSeries] made of a series: every bar of the
// series is in Kept or in Rejected.
type Checked struct {
	// Kept are the bars kept, one a date, in date order, without the
	// fields dropped.
	Kept []pricefill.Bar
	// Dropped has a Verdict for each bar of Kept that lost fields: the bar
	// as kept, with a violation a field.
	Dropped []Verdict
	// Rejected are the bars rejected: those the validator rejected, in the
	// order of the series, then the duplicates, in date order.
	Rejected []Verdict
}

// CheckSeries judges the bars of series s, fetched for range r, at time
// now, by the asset's calendar cal, which it hands to v. First each bar on
// its own: a validator with a DropFields method (as [Validator] has) drops
// the fields the bar can do without, then v.Validate judges the rest. Then
// the dates: of the bars v accepts, one per date is kept, the last, by the
// rule of [pricefill.Series.Dedupe], and the others are rejected with
// [RuleDuplicateDate]. s is left as it was.
func CheckSeries(v BarValidator, now time.Time, r pricefill.Range, cal calendar.Calendar, s *pricefill.Series) Checked {
	dropper, _ := v.(fieldDropper)
	var c Checked
	accepted := pricefill.Series{Asset: s.Asset, Bars: make([]pricefill.Bar, 0, len(s.Bars))}
	var drops map[time.Time][]pricefill.Violation // by date: the last bar of a date is the one kept
	for _, b := range s.Bars {
		var dropped []pricefill.Violation
		if dropper != nil {
			b, dropped = dropper.DropFields(b)
		}
		if err := v.Validate(now, r, s.Asset, cal, b); err != nil {
			c.Rejected = append(c.Rejected, Verdict{Bar: b, Err: err})
			continue
		}
		accepted.Bars = append(accepted.Bars, b)
		switch {
		case dropped != nil:
			if drops == nil {
				drops = make(map[time.Time][]pricefill.Violation)
			}
			drops[b.Date] = dropped
		case drops != nil:
			delete(drops, b.Date)
		}
	}
	for _, b := range accepted.Dedupe() {
		c.Rejected = append(c.Rejected, Verdict{Bar: b, Err: &pricefill.InvalidBarError{
			Bar:        b,
			Violations: []pricefill.Violation{dateViolation(RuleDuplicateDate, calendar.DayOf(b.Date))},
		}})
	}
	c.Kept = accepted.Bars
	if len(drops) > 0 {
		for _, b := range c.Kept {
			if d, ok := drops[b.Date]; ok {
				c.Dropped = append(c.Dropped, Verdict{Bar: b, Dropped: d})
			}
		}
	}
	return c
}
