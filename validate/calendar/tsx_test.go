package calendar_test

import (
	"fmt"
	"testing"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/validate/calendar"
)

var _ calendar.SessionCalendar = calendar.TSX

func TestTSXAgreesWithClosedList(t *testing.T) {
	t.Parallel()
	checkClosedList(t, calendar.TSX, "xtse", 1990, 2026, 8, 11)
}

func TestTSXSessionEnd(t *testing.T) {
	t.Parallel()
	checkSessionEnds(t, calendar.TSX, "America/Toronto", []sessionEnd{
		{"2024-01-15", "2024-01-15T21:00:00Z", "regular close, EST"},
		{"2024-07-02", "2024-07-02T20:00:00Z", "regular close, EDT"},
		{"2024-03-08", "2024-03-08T21:00:00Z", "Friday before daylight saving time starts, EST"},
		{"2024-03-11", "2024-03-11T20:00:00Z", "Monday after daylight saving time starts, EDT"},
		{"2024-11-01", "2024-11-01T20:00:00Z", "Friday before daylight saving time ends, EDT"},
		{"2024-11-04", "2024-11-04T21:00:00Z", "Monday after daylight saving time ends, EST"},
		{"2024-12-24", "2024-12-24T18:00:00Z", "Christmas Eve: early close at 13:00"},
		{"2025-12-24", "2025-12-24T18:00:00Z", "Christmas Eve: early close at 13:00"},
		{"2024-12-31", "2024-12-31T21:00:00Z", "New Year's Eve: a regular close"},
		{"2023-12-22", "2023-12-22T21:00:00Z", "Christmas Eve on a Sunday: no early close on the Friday"},
		{"2010-12-24", "2010-12-24T18:00:00Z", "first year of early closes"},
		{"2009-12-24", "2009-12-24T21:00:00Z", "before 2010: no early close"},
	})
}

func TestTSXNamedDays(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		day  string
		open bool
		why  string
	}{
		{"1990-04-13", false, "Good Friday"},
		{"1990-04-16", true, "Easter Monday: a trading day"},
		{"1990-07-02", false, "Canada Day on a Sunday, observed Monday"},
		{"2017-07-03", false, "Canada Day on a Saturday, observed Monday"},
		{"2007-02-19", true, "before Family Day (2008)"},
		{"2008-02-18", false, "first Family Day"},
		{"2009-05-18", false, "Victoria Day: the Monday before May 25 (May 24 a Sunday)"},
		{"2010-05-24", false, "Victoria Day: May 24 itself, a Monday"},
		{"2024-08-05", false, "Civic Holiday"},
		{"2024-11-11", true, "Remembrance Day: a trading day"},
		{"2022-01-03", false, "New Year's Day on a Saturday, observed Monday"},
		{"2021-12-27", false, "Christmas on a Saturday: Monday"},
		{"2021-12-28", false, "Boxing Day on a Sunday: Tuesday"},
		{"2015-12-28", false, "Boxing Day on a Saturday: Monday"},
		{"2001-09-11", true, "opened on time and halted an hour later: a trading day"},
		{"2001-09-12", false, "closed after the attacks of September 11"},
		{"2001-09-13", true, "reopened"},
		{"2004-06-11", true, "US day of mourning for Ronald Reagan: open"},
		{"2008-12-17", true, "outage after the open: a trading day"},
		{"2012-10-29", true, "Hurricane Sandy closed New York, not Toronto"},
		{"2022-09-19", true, "Queen Elizabeth II's funeral: TMX stayed open"},
		{"2022-09-30", true, "National Day for Truth and Reconciliation: banks only"},
		{"2025-01-09", true, "US day of mourning for Jimmy Carter: open"},
	} {
		if got := calendar.TSX.IsTradingDay(date(c.day)); got != c.open {
			t.Errorf("TSX.IsTradingDay(%s) = %v, want %v: %s", c.day, got, c.open, c.why)
		}
	}
	if got := calendar.TSX.Closures(); len(got) != 1 || !got[0].Date.Equal(date("2001-09-12")) {
		t.Errorf("TSX.Closures() = %v, want 2001-09-12 alone", got)
	}
	if n, m := calendar.TSX.Name(), calendar.TSX.MIC(); n != "Toronto Stock Exchange" || m != "XTSE" {
		t.Errorf("TSX is %q (%s)", n, m)
	}
}

func ExampleTSX() {
	// Christmas 2021 fell on a Saturday and New Year's Day 2022 too.
	for _, d := range calendar.TSX.TradingDays(pricefill.Date(2021, 12, 23), pricefill.Date(2022, 1, 4)) {
		fmt.Println(d.Format("2006-01-02 Mon"), calendar.TSX.SessionEnd(d).Format("15:04 MST"))
	}
	// Output:
	// 2021-12-23 Thu 16:00 EST
	// 2021-12-24 Fri 13:00 EST
	// 2021-12-29 Wed 16:00 EST
	// 2021-12-30 Thu 16:00 EST
	// 2021-12-31 Fri 16:00 EST
	// 2022-01-04 Tue 16:00 EST
}
