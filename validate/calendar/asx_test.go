package calendar_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/validate/calendar"
)

var _ calendar.SessionCalendar = calendar.ASX

func TestASXAgreesWithClosedList(t *testing.T) {
	t.Parallel()
	checkClosedList(t, calendar.ASX, "xasx", 1990, 2026, 6, 10)
}

func TestASXSessionEnd(t *testing.T) {
	t.Parallel()
	checkSessionEnds(t, calendar.ASX, "Australia/Sydney", []sessionEnd{
		{"2024-07-01", "2024-07-01T06:12:00Z", "regular close, after the 16:10 auction, AEST"},
		{"2024-01-15", "2024-01-15T05:12:00Z", "regular close, AEDT"},
		{"2024-04-05", "2024-04-05T05:12:00Z", "Friday before daylight saving time ends, AEDT"},
		{"2024-04-08", "2024-04-08T06:12:00Z", "Monday after daylight saving time ends, AEST"},
		{"2024-10-04", "2024-10-04T06:12:00Z", "Friday before daylight saving time starts, AEST"},
		{"2024-10-07", "2024-10-07T05:12:00Z", "Monday after daylight saving time starts (NSW Labour Day, a trading day), AEDT"},
		{"2024-12-24", "2024-12-24T03:12:00Z", "last trading day before Christmas: early close"},
		{"2024-12-31", "2024-12-31T03:12:00Z", "last trading day of the year: early close"},
		{"2022-12-23", "2022-12-23T03:12:00Z", "Christmas Eve on a Saturday: the Friday closes early"},
		{"2022-12-30", "2022-12-30T03:12:00Z", "New Year's Eve on a Saturday: the Friday closes early"},
		{"2023-12-29", "2023-12-29T03:12:00Z", "New Year's Eve on a Sunday: the Friday closes early"},
		{"2022-12-28", "2022-12-28T05:12:00Z", "between Christmas and New Year: a regular close"},
		{"2010-12-24", "2010-12-24T03:12:00Z", "first year of early closes"},
		{"2009-12-24", "2009-12-24T05:12:00Z", "before 2010: no early close"},
	})
}

func TestASXNamedDays(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		day  string
		open bool
		why  string
	}{
		{"1990-04-13", false, "Good Friday"},
		{"1990-04-16", false, "Easter Monday"},
		{"1990-01-26", true, "Australia Day 1990 was kept on the Monday after"},
		{"1990-01-29", false, "Australia Day 1990, the Monday after January 26"},
		{"1993-01-26", true, "Australia Day 1993: no closure"},
		{"1990-12-31", false, "New Year's Eve holiday 1990"},
		{"1999-12-31", false, "year 2000 change-over"},
		{"2000-01-03", false, "New Year's Day 2000 on a Saturday, observed Monday"},
		{"2004-04-26", true, "Anzac Day on a Sunday: no holiday"},
		{"2010-04-26", false, "Anzac Day 2010 on a Sunday, observed Monday"},
		{"2011-04-26", false, "Easter Tuesday 2011: Anzac Day fell on Easter Monday"},
		{"2015-04-27", true, "Anzac Day on a Saturday: no holiday"},
		{"2021-04-26", true, "Anzac Day on a Sunday: no holiday"},
		{"2014-01-27", false, "Australia Day on a Sunday, observed Monday"},
		{"2022-01-03", false, "New Year's Day on a Saturday, observed Monday"},
		{"2021-12-27", false, "Christmas on a Saturday: Monday"},
		{"2021-12-28", false, "Boxing Day on a Sunday: Tuesday"},
		{"2016-12-27", false, "Christmas on a Sunday: Tuesday"},
		{"2020-12-28", false, "Boxing Day on a Saturday: Monday"},
		{"2022-09-22", false, "National Day of Mourning for Queen Elizabeth II"},
		{"2023-06-12", false, "King's Birthday"},
		{"2017-08-07", true, "NSW Bank Holiday: a trading day"},
		{"2016-09-19", true, "outage after a late open: a trading day"},
	} {
		if got := calendar.ASX.IsTradingDay(date(c.day)); got != c.open {
			t.Errorf("ASX.IsTradingDay(%s) = %v, want %v: %s", c.day, got, c.open, c.why)
		}
	}
	got := calendar.ASX.Closures()
	if len(got) != 5 || !slices.IsSortedFunc(got, func(a, b calendar.Closure) int { return a.Date.Compare(b.Date) }) {
		t.Errorf("ASX.Closures() = %v, want the 5 closures in date order", got)
	}
	if n, m := calendar.ASX.Name(), calendar.ASX.MIC(); n != "Australian Securities Exchange" || m != "XASX" {
		t.Errorf("ASX is %q (%s)", n, m)
	}
}

func ExampleASX() {
	// Christmas 2021 fell on a Saturday, Boxing Day on a Sunday.
	for _, d := range calendar.ASX.TradingDays(pricefill.Date(2021, 12, 23), pricefill.Date(2022, 1, 4)) {
		fmt.Println(d.Format("2006-01-02 Mon"), calendar.ASX.SessionEnd(d).Format("15:04 MST"))
	}
	// Output:
	// 2021-12-23 Thu 16:12 AEDT
	// 2021-12-24 Fri 14:12 AEDT
	// 2021-12-29 Wed 16:12 AEDT
	// 2021-12-30 Thu 16:12 AEDT
	// 2021-12-31 Fri 14:12 AEDT
	// 2022-01-04 Tue 16:12 AEDT
}
