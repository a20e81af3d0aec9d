package calendar_test

import (
	"fmt"
	"testing"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/validate/calendar"
)

func TestXetraAgreesWithClosedList(t *testing.T) {
	t.Parallel()
	checkClosedList(t, calendar.Xetra, "xetr", 1990, 2026, 3, 15)
}

func TestXetraSessionEnd(t *testing.T) {
	t.Parallel()
	checkSessionEnds(t, calendar.Xetra, "Europe/Berlin", []sessionEnd{
		{"2024-06-12", "2024-06-12T15:36:00Z", "regular close in summer, 17:36 CEST"},
		{"2024-01-10", "2024-01-10T16:36:00Z", "regular close in winter, 17:36 CET"},
		{"2024-03-28", "2024-03-28T16:36:00Z", "Thursday before the change to CEST (2024-03-31)"},
		{"2024-04-02", "2024-04-02T15:36:00Z", "Tuesday after the change to CEST"},
		{"2024-10-25", "2024-10-25T15:36:00Z", "Friday before the change to CET (2024-10-27)"},
		{"2024-10-28", "2024-10-28T16:36:00Z", "Monday after the change to CET"},
		{"2024-12-30", "2024-12-30T13:06:00Z", "last trading day of 2024, early close 14:06 CET"},
		{"2018-12-28", "2018-12-28T13:06:00Z", "last trading day of 2018 (December 31 a Monday)"},
		{"2022-12-30", "2022-12-30T13:06:00Z", "last trading day of 2022 (December 31 a Saturday)"},
		{"2018-12-27", "2018-12-27T16:36:00Z", "the day before the last trading day: regular"},
		{"2009-12-30", "2009-12-30T16:36:00Z", "before 2010 no early close is listed"},
	})
}

func TestXetraHolidayRules(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		date string
		open bool
		why  string
	}{
		{"1990-04-13", false, "Good Friday"},
		{"1990-04-16", false, "Easter Monday"},
		{"1990-10-03", false, "the first Day of German Unity"},
		{"1994-11-16", false, "Day of Repentance and Prayer, a holiday through 1994"},
		{"1995-11-22", true, "Day of Repentance and Prayer, no longer a holiday"},
		{"1999-05-13", false, "Ascension Day, closed through 1999"},
		{"1999-06-03", false, "Corpus Christi, a holiday in Hesse, closed through 1999"},
		{"2000-06-01", true, "Ascension Day 2000: the first holiday trading"},
		{"2000-06-22", true, "Corpus Christi 2000: traded"},
		{"2000-10-03", false, "tenth Day of German Unity: a special closure"},
		{"2001-10-03", true, "Day of German Unity: traded from 2001 through 2013"},
		{"2007-05-28", false, "Whit Monday 2007: closed with New York and London"},
		{"2008-05-12", true, "Whit Monday 2008: traded"},
		{"2014-10-03", false, "Day of German Unity, closed from 2014 through 2021"},
		{"2015-05-25", false, "Whit Monday, closed from 2015 through 2021"},
		{"2017-10-31", false, "500th anniversary of the Reformation"},
		{"2022-06-06", true, "Whit Monday: traded again from 2022"},
		{"2022-10-03", true, "Day of German Unity: traded again from 2022"},
		{"2024-12-24", false, "Christmas Eve"},
		{"2024-12-31", false, "New Year's Eve"},
		{"2027-12-31", false, "New Year's Eve, by the published calendar of 2027"},
		{"2028-04-14", false, "Good Friday, by the published calendar of 2028"},
		{"2017-01-02", true, "New Year's Day on a Sunday: not moved"},
	} {
		if got := calendar.Xetra.IsTradingDay(date(tc.date)); got != tc.open {
			t.Errorf("Xetra.IsTradingDay(%s) = %v, want %v: %s", tc.date, got, tc.open, tc.why)
		}
	}
	if got := len(calendar.Xetra.Closures()); got != 3 {
		t.Errorf("Xetra.Closures(): %d, want 3", got)
	}
}

func ExampleXetra() {
	// Whitsun week 2021, when Xetra still closed on Whit Monday.
	for _, d := range calendar.Xetra.TradingDays(pricefill.Date(2021, 5, 22), pricefill.Date(2021, 5, 26)) {
		fmt.Println(d.Format("2006-01-02 Mon"))
	}
	fmt.Println(calendar.Xetra.IsTradingDay(pricefill.Date(2022, 6, 6))) // Whit Monday 2022 traded
	fmt.Println(calendar.Xetra.SessionEnd(pricefill.Date(2024, 12, 30)).Format("15:04 MST"))
	// Output:
	// 2021-05-25 Tue
	// 2021-05-26 Wed
	// true
	// 14:06 CET
}
