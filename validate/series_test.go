package validate_test

import (
	"math"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/validate"
	"github.com/pricefill/pricefill/validate/calendar"
)

// verdicts returns each verdict as its date, close and rules.
func verdicts(vs []validate.Verdict) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Bar.Date.Format(time.DateOnly) + " " + strconv.FormatFloat(v.Bar.Close, 'g', -1, 64)
		var rules []pricefill.Rule
		for _, d := range v.Dropped {
			rules = append(rules, "dropped:"+d.Rule)
		}
		if v.Err != nil {
			for _, vi := range violationsOf(v.Err) {
				rules = append(rules, vi.Rule)
			}
		}
		for _, r := range rules {
			out[i] += " " + string(r)
		}
	}
	return out
}

func violationsOf(err error) []pricefill.Violation {
	if ib, ok := err.(*pricefill.InvalidBarError); ok {
		return ib.Violations
	}
	return []pricefill.Violation{{Rule: "not an InvalidBarError"}}
}

// TestCheckSeries: each bar is judged by the calendar handed over, fields
// are dropped first, and of the valid bars of one date the last is kept,
// the others rejected as duplicate_date; an invalid later bar does not
// displace a valid one.
func TestCheckSeries(t *testing.T) {
	t.Parallel()
	v := newValidator(t)
	bar := func(day string, close float64) pricefill.Bar {
		b := validBar(date(day))
		b.Low, b.Open, b.High, b.Close = 0.5, 1, 100, close
		return b
	}
	nanAdj := bar("2024-07-05", 3)
	nanAdj.AdjClose = math.NaN()
	negVolume := bar("2024-07-03", 13)
	negVolume.Volume = -1
	s := &pricefill.Series{Asset: aapl, Bars: []pricefill.Bar{
		bar("2024-07-02", 1),
		bar("2024-07-03", 11),
		nanAdj,
		bar("2024-07-04", 4), // Independence Day: a trading day by Weekdays only
		bar("2024-07-03", 12),
		negVolume,
		bar("2024-07-06", 6), // Saturday
	}}
	before := slices.Clone(s.Bars)
	for _, tc := range []struct {
		cal            calendar.Calendar
		kept, rejected []string
	}{
		{
			cal:      calendar.NYSE,
			kept:     []string{"2024-07-02 1", "2024-07-03 12", "2024-07-05 3 dropped:adj_close_invalid"},
			rejected: []string{"2024-07-04 4 not_trading_day", "2024-07-03 13 volume_negative", "2024-07-06 6 not_trading_day", "2024-07-03 11 duplicate_date"},
		},
		{
			cal:      calendar.Weekdays,
			kept:     []string{"2024-07-02 1", "2024-07-03 12", "2024-07-04 4", "2024-07-05 3 dropped:adj_close_invalid"},
			rejected: []string{"2024-07-03 13 volume_negative", "2024-07-06 6 not_trading_day", "2024-07-03 11 duplicate_date"},
		},
	} {
		c := validate.CheckSeries(v, later, every, tc.cal, s)
		if diff := cmp.Diff(tc.kept, verdicts(kept(c))); diff != "" {
			t.Errorf("%T: kept (-want +got):\n%s", tc.cal, diff)
		}
		if diff := cmp.Diff(tc.rejected, verdicts(c.Rejected)); diff != "" {
			t.Errorf("%T: rejected (-want +got):\n%s", tc.cal, diff)
		}
	}
	if diff := cmp.Diff(before, s.Bars, cmp.Comparer(func(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) })); diff != "" {
		t.Errorf("CheckSeries changed the series (-before +after):\n%s", diff)
	}
}

// TestCheckSeriesWithoutDropFields: a validator without DropFields judges
// the bar as it came.
func TestCheckSeriesWithoutDropFields(t *testing.T) {
	t.Parallel()
	v := newValidator(t)
	onlyValidate := struct{ validate.BarValidator }{v}
	b := validBar(date("2024-07-05"))
	b.AdjClose = -1
	c := validate.CheckSeries(onlyValidate, later, every, calendar.NYSE, &pricefill.Series{Asset: aapl, Bars: []pricefill.Bar{b}})
	if len(c.Kept) != 0 || len(c.Dropped) != 0 || len(c.Rejected) != 1 || violationsOf(c.Rejected[0].Err)[0].Rule != validate.RuleAdjCloseInvalid {
		t.Errorf("kept %v, rejected %v; want the bar rejected for %s", verdicts(kept(c)), verdicts(c.Rejected), validate.RuleAdjCloseInvalid)
	}
}

// kept returns the verdicts of the bars c kept, with the fields each lost.
func kept(c validate.Checked) []validate.Verdict {
	dropped := make(map[time.Time][]pricefill.Violation, len(c.Dropped))
	for _, d := range c.Dropped {
		dropped[d.Bar.Date] = d.Dropped
	}
	out := make([]validate.Verdict, len(c.Kept))
	for i, b := range c.Kept {
		out[i] = validate.Verdict{Bar: b, Dropped: dropped[b.Date]}
	}
	return out
}
