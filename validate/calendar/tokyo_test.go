package calendar_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/validate/calendar"
)

var _ calendar.SessionCalendar = calendar.TSE

// TestTSEAgreesWithClosedDays compares the calendar, day by day from 2000
// through 2027, with the closed weekdays of the exchange's record.
func TestTSEAgreesWithClosedDays(t *testing.T) {
	t.Parallel()
	checkClosedList(t, calendar.TSE, "xtks", 2000, 2027, 12, 20)
}

// TestTSEHolidayRules shows each rule on a few days, with the reason.
func TestTSEHolidayRules(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		date string
		open bool
		why  string
	}{
		// The New Year holidays.
		{"2024-01-02", false, "New Year holidays (exchange holiday)"},
		{"2024-01-03", false, "New Year holidays (exchange holiday)"},
		{"2024-01-04", true, "the first trading day of 2024"},
		{"2024-12-31", false, "New Year holidays (exchange holiday)"},
		{"2024-12-30", true, "the last trading day of 2024"},
		// Holidays moved to Mondays, and the ones that stayed.
		{"2000-01-10", false, "Coming of Age Day, second Monday of January from 2000"},
		{"2000-01-14", true, "not January 15 any more"},
		{"2002-07-19", true, "the day before Marine Day 2002, July 20 (a Saturday): no substitute"},
		{"2003-07-21", false, "Marine Day, third Monday of July from 2003"},
		{"2002-09-16", false, "Respect for the Aged Day, September 15 (a Sunday), substitute Monday"},
		{"2003-09-15", false, "Respect for the Aged Day, third Monday of September from 2003"},
		// The Emperor's Birthday.
		{"2018-12-24", false, "Emperor's Birthday, December 23 (a Sunday), substitute Monday"},
		{"2019-12-23", true, "no Emperor's Birthday in 2019"},
		{"2020-02-24", false, "Emperor's Birthday, February 23 (a Sunday), substitute Monday"},
		{"2021-02-23", false, "Emperor's Birthday"},
		// Equinoxes.
		{"2012-09-21", true, "the day before the Autumnal Equinox of 2012 (a Saturday)"},
		{"2016-09-22", false, "Autumnal Equinox Day on the 22nd"},
		{"2025-03-20", false, "Vernal Equinox Day"},
		{"2027-03-22", false, "Vernal Equinox Day, March 21 (a Sunday), substitute Monday"},
		// Golden Week: the citizens' holiday, then Greenery Day, and the
		// substitute holiday that skips holidays (from 2007).
		{"2006-05-04", false, "citizens' holiday between Constitution Day and Children's Day"},
		{"2008-05-06", false, "May 4, Greenery Day, a Sunday: the substitute skips May 5"},
		{"2009-05-06", false, "May 3 a Sunday: the substitute skips May 4 and 5"},
		{"2003-05-06", true, "May 4 2003, a Sunday, was no holiday: no substitute"},
		// Silver Week: citizens' holidays in September.
		{"2009-09-22", false, "citizens' holiday between Respect for the Aged Day and the equinox"},
		{"2015-09-22", false, "citizens' holiday between Respect for the Aged Day and the equinox"},
		{"2026-09-22", false, "citizens' holiday between Respect for the Aged Day and the equinox"},
		{"2020-09-23", true, "the day after the Autumnal Equinox of 2020"},
		// Mountain Day and the Olympic moves.
		{"2015-08-11", true, "before Mountain Day, from 2016"},
		{"2016-08-11", false, "Mountain Day"},
		{"2020-07-23", false, "Marine Day moved for the Olympics"},
		{"2020-07-24", false, "Sports Day moved for the Olympics"},
		{"2020-07-20", true, "third Monday of July 2020, no Marine Day"},
		{"2020-08-10", false, "Mountain Day moved for the Olympics"},
		{"2020-08-11", true, "August 11 2020, no Mountain Day"},
		{"2020-10-12", true, "second Monday of October 2020, no Sports Day"},
		{"2021-08-09", false, "Mountain Day moved to August 8 (a Sunday), substitute Monday"},
		{"2021-10-11", true, "second Monday of October 2021, no Sports Day"},
		{"2022-10-10", false, "Sports Day, second Monday of October"},
		// The imperial succession of 2019: ten days closed.
		{"2019-04-26", true, "the last trading day before the ten days"},
		{"2019-04-30", false, "Abdication Day, a citizens' holiday"},
		{"2019-05-01", false, "Accession Day, by special law"},
		{"2019-05-02", false, "a citizens' holiday"},
		{"2019-05-07", true, "the first trading day after the ten days"},
		{"2019-10-22", false, "Enthronement Ceremony Day, by special law"},
		// The 2020 outage, the one special closure.
		{"2020-09-30", true, "the day before the outage"},
		{"2020-10-01", false, "equity trading system failure, trading halted all day"},
		{"2020-10-02", true, "trading resumed"},
		{"2005-11-01", true, "2005 system failure: late open at 13:30, not closed"},
		{"2011-03-11", true, "the Great East Japan Earthquake: the exchange traded"},
		// Beyond the tables, by the rules.
		{"2101-01-03", false, "New Year holidays 2101, by rule"},
		{"2105-05-04", false, "Greenery Day 2105, by rule"},
		{"2105-05-06", false, "May 3 2105 a Sunday: the substitute skips May 4 and 5, by rule"},
		{"2106-05-06", true, "the day after Children's Day 2106"},
		{"1999-12-31", false, "December 31, by rule"},
	} {
		d := date(tc.date)
		y, m, dd := d.Date()
		for _, at := range []time.Time{
			d,
			time.Date(y, m, dd, 0, 0, 1, 0, zone(t, "Asia/Tokyo")),
			time.Date(y, m, dd, 23, 59, 59, 0, zone(t, "America/New_York")),
		} {
			if got := calendar.TSE.IsTradingDay(at); got != tc.open {
				t.Errorf("TSE.IsTradingDay(%s) = %v, want %v: %s", at, got, tc.open, tc.why)
			}
		}
		got := calendar.TSE.TradingDays(d, d)
		if (len(got) == 1) != tc.open || (tc.open && !got[0].Equal(d)) {
			t.Errorf("TSE.TradingDays(%s, %[1]s) = %v: %s", tc.date, dates(got), tc.why)
		}
	}
}

// TestTSESessionEnd checks the closing times: 15:00 until 2024-11-01,
// 15:30 from 2024-11-05, the half days of the first and last trading days
// until 2009-01-05 and the early halt of 2006-01-18. Japan keeps no
// daylight saving time, so the close in UTC does not move when New York's
// or London's clocks do.
func TestTSESessionEnd(t *testing.T) {
	t.Parallel()
	checkSessionEnds(t, calendar.TSE, "Asia/Tokyo", []sessionEnd{
		{"2024-11-01", "2024-11-01T06:00:00Z", "the last day of the 15:00 close"},
		{"2024-11-05", "2024-11-05T06:30:00Z", "the first day of the 15:30 close"},
		{"2025-06-02", "2025-06-02T06:30:00Z", "a regular day"},
		{"2012-06-01", "2012-06-01T06:00:00Z", "a regular day"},
		{"2000-01-04", "2000-01-04T02:00:00Z", "first trading day of 2000, a half day"},
		{"2003-01-06", "2003-01-06T02:00:00Z", "first trading day of 2003 (January 4 a Saturday), a half day"},
		{"2007-12-28", "2007-12-28T02:00:00Z", "last trading day of 2007 (December 30 a Sunday), a half day"},
		{"2008-12-30", "2008-12-30T02:00:00Z", "the last half day of a year's last trading day"},
		{"2009-01-05", "2009-01-05T02:00:00Z", "the last half day of a year's first trading day"},
		{"2009-12-30", "2009-12-30T06:00:00Z", "the last trading day of 2009, a full day"},
		{"2010-01-04", "2010-01-04T06:00:00Z", "the first trading day of 2010, a full day"},
		{"2006-01-18", "2006-01-18T05:40:00Z", "trading halted at 14:40 (the Livedoor sell-off)"},
		{"2006-01-19", "2006-01-19T06:00:00Z", "the regular close again"},
		// Around the US change of 2024-03-10 and the EU one of 2024-03-31.
		{"2024-03-08", "2024-03-08T06:00:00Z", "before US daylight saving time"},
		{"2024-03-11", "2024-03-11T06:00:00Z", "after US daylight saving time"},
		{"2024-03-29", "2024-03-29T06:00:00Z", "before EU summer time"},
		{"2024-04-01", "2024-04-01T06:00:00Z", "after EU summer time"},
		// And around the autumn changes, after the 15:30 close began.
		{"2025-10-24", "2025-10-24T06:30:00Z", "before the EU's return to winter time"},
		{"2025-10-27", "2025-10-27T06:30:00Z", "after the EU's return to winter time"},
		{"2025-11-04", "2025-11-04T06:30:00Z", "after the US's return to standard time"},
	})
}

// TestTSEHalfDays checks the half days against the closed days of the
// record: from 2000 to 2008 the first and the last trading day of each
// year closed at 11:00, and 2009-01-05; every other day of those years
// closed at 15:00 but 2006-01-18.
func TestTSEHalfDays(t *testing.T) {
	t.Parallel()
	closed := readClosedList(t, "xtks")
	open := func(d time.Time) bool {
		_, c := closed[d]
		return d.Weekday() != time.Saturday && d.Weekday() != time.Sunday && !c
	}
	half := make(map[time.Time]bool)
	for y := 2000; y <= 2009; y++ {
		first := time.Date(y, time.January, 4, 0, 0, 0, 0, time.UTC)
		for !open(first) {
			first = first.AddDate(0, 0, 1)
		}
		half[first] = true
		last := time.Date(y, time.December, 30, 0, 0, 0, 0, time.UTC)
		for !open(last) {
			last = last.AddDate(0, 0, -1)
		}
		half[last] = y < 2009
	}
	for d := date("2000-01-01"); d.Year() <= 2010; d = d.AddDate(0, 0, 1) {
		if !open(d) {
			continue
		}
		end := calendar.TSE.SessionEnd(d)
		want := "15:00"
		switch {
		case half[d]:
			want = "11:00"
		case d.Equal(date("2006-01-18")):
			want = "14:40"
		}
		if got := end.Format("15:04"); got != want {
			t.Errorf("TSE.SessionEnd(%s) closes at %s, want %s", d.Format(time.DateOnly), got, want)
		}
	}
}

// TestTSEClosures checks the list of special closures, with its reason.
func TestTSEClosures(t *testing.T) {
	t.Parallel()
	got := calendar.TSE.Closures()
	if len(got) != 1 || !got[0].Date.Equal(date("2020-10-01")) || !strings.Contains(got[0].Why, "system failure") {
		t.Errorf("TSE.Closures() = %v, want the 2020-10-01 system failure alone", got)
	}
	got[0].Why = "changed"
	if calendar.TSE.Closures()[0].Why == "changed" {
		t.Error("TSE.Closures() returns the calendar's own slice")
	}
	if calendar.TSE.Name() != "Tokyo Stock Exchange" || calendar.TSE.MIC() != "XTKS" {
		t.Errorf("TSE is %q (%s)", calendar.TSE.Name(), calendar.TSE.MIC())
	}
}

func ExampleTSE() {
	// Golden Week 2019, the Emperor's succession: ten days closed.
	for _, d := range calendar.TSE.TradingDays(pricefill.Date(2019, 4, 25), pricefill.Date(2019, 5, 8)) {
		fmt.Println(d.Format("2006-01-02 Mon"))
	}
	fmt.Println(calendar.TSE.IsTradingDay(pricefill.Date(2020, 10, 1))) // the system failure
	fmt.Println(calendar.TSE.SessionEnd(pricefill.Date(2024, 11, 1)).Format("15:04 MST"))
	fmt.Println(calendar.TSE.SessionEnd(pricefill.Date(2024, 11, 5)).Format("15:04 MST"))
	// Output:
	// 2019-04-25 Thu
	// 2019-04-26 Fri
	// 2019-05-07 Tue
	// 2019-05-08 Wed
	// false
	// 15:00 JST
	// 15:30 JST
}
