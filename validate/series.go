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

// CheckSeries judges the bars of series s, fetched for range r, at time
// now, by the asset's calendar cal, which it hands to v. First each bar on
// its own: a validator with a DropFields method (as [Validator] has) drops
// the fields the bar can do without, then v.Validate judges the rest. Then
// the dates: of the bars v accepts, one per date is kept, the last, by the
// rule of [pricefill.Series.Dedupe], and the others are rejected with
// [RuleDuplicateDate].
//
// It returns the bars kept, in date order, and the bars rejected: those v
// rejected, in the order of s.Bars, then the duplicates, in date order.
// Every bar of s is in exactly one of the two. s is left as it was.
func CheckSeries(v BarValidator, now time.Time, r pricefill.Range, cal calendar.Calendar, s *pricefill.Series) (kept, rejected []Verdict) {
	dropper, _ := v.(fieldDropper)
	accepted := pricefill.Series{Asset: s.Asset, Bars: make([]pricefill.Bar, 0, len(s.Bars))}
	var drops map[pricefill.Bar][]pricefill.Violation
	for _, b := range s.Bars {
		var dropped []pricefill.Violation
		if dropper != nil {
			b, dropped = dropper.DropFields(b)
		}
		if err := v.Validate(now, r, s.Asset, cal, b); err != nil {
			rejected = append(rejected, Verdict{Bar: b, Err: err})
			continue
		}
		accepted.Bars = append(accepted.Bars, b)
		if dropped != nil || drops != nil {
			if drops == nil {
				drops = make(map[pricefill.Bar][]pricefill.Violation)
			}
			// Of equal bars, the last is the one kept: its drops win.
			drops[b] = dropped
		}
	}
	for _, b := range accepted.Dedupe() {
		rejected = append(rejected, Verdict{Bar: b, Err: &pricefill.InvalidBarError{
			Bar:        b,
			Violations: []pricefill.Violation{dateViolation(RuleDuplicateDate, calendar.DayOf(b.Date))},
		}})
	}
	kept = make([]Verdict, len(accepted.Bars))
	for i, b := range accepted.Bars {
		kept[i] = Verdict{Bar: b, Dropped: drops[b]}
	}
	return kept, rejected
}
