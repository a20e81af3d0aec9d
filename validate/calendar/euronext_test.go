package calendar_test

import (
	"fmt"
	"testing"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/validate/calendar"
)

func TestEuronextParisAgreesWithClosedList(t *testing.T) {
	t.Parallel()
	checkClosedList(t, calendar.EuronextParis, "xpar", 1990, 2026, 2, 14)
}

func TestEuronextAmsterdamAgreesWithClosedList(t *testing.T) {
	t.Parallel()
	checkClosedList(t, calendar.EuronextAmsterdam, "xams", 1990, 2026, 2, 12)
}

func TestEuronextSessionEnd(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		c    calendar.ExchangeCalendar
		zone string
	}{{calendar.EuronextParis, "Europe/Paris"}, {calendar.EuronextAmsterdam, "Europe/Amsterdam"}} {
		checkSessionEnds(t, tc.c, tc.zone, []sessionEnd{
			{"2024-06-12", "2024-06-12T15:35:00Z", "regular close in summer, 17:35 CEST"},
			{"2024-01-10", "2024-01-10T16:35:00Z", "regular close in winter, 17:35 CET"},
			{"2025-03-28", "2025-03-28T16:35:00Z", "Friday before the change to CEST (2025-03-30)"},
			{"2025-03-31", "2025-03-31T15:35:00Z", "Monday after the change to CEST"},
			{"2025-10-24", "2025-10-24T15:35:00Z", "Friday before the change to CET (2025-10-26)"},
			{"2025-10-27", "2025-10-27T16:35:00Z", "Monday after the change to CET"},
			{"2024-12-24", "2024-12-24T13:05:00Z", "Christmas Eve, early close 14:05 CET"},
			{"2024-12-31", "2024-12-31T13:05:00Z", "New Year's Eve, early close 14:05 CET"},
			{"2002-12-31", "2002-12-31T13:05:00Z", "the first New Year's Eve of the Euronext calendar"},
			{"2024-12-23", "2024-12-23T16:35:00Z", "the day before Christmas Eve: regular"},
			{"2001-12-24", "2001-12-24T16:35:00Z", "before 2002 no early close is listed"},
		})
	}
}

func TestEuronextHolidayRules(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		c    calendar.ExchangeCalendar
		date string
		open bool
		why  string
	}{
		{calendar.EuronextParis, "1990-04-13", false, "Good Friday"},
		{calendar.EuronextParis, "1990-06-04", false, "Whit Monday, a Paris holiday through 2001"},
		{calendar.EuronextParis, "2001-07-13", true, "the day before Bastille Day: traded"},
		{calendar.EuronextParis, "2000-07-14", false, "Bastille Day, a Paris holiday through 2001"},
		{calendar.EuronextParis, "1996-12-26", true, "Boxing Day 1996: a session"},
		{calendar.EuronextParis, "1997-12-31", true, "New Year's Eve 1997: a session"},
		{calendar.EuronextParis, "1998-05-21", false, "Ascension Day 1998, market calendar of 1998"},
		{calendar.EuronextParis, "1999-05-13", true, "Ascension Day 1999: traded"},
		{calendar.EuronextParis, "1999-12-31", false, "New Year's Eve 1999"},
		{calendar.EuronextParis, "2002-05-20", true, "Whit Monday 2002: the Euronext calendar"},
		{calendar.EuronextParis, "2002-07-15", true, "Bastille Day 2002 on a Sunday; the Monday trades"},
		{calendar.EuronextParis, "2003-07-14", true, "Bastille Day 2003: traded"},
		{calendar.EuronextParis, "2024-12-26", false, "Boxing Day"},
		{calendar.EuronextAmsterdam, "2001-04-30", false, "Queen's Day, an Amsterdam holiday through 2001"},
		{calendar.EuronextAmsterdam, "2002-04-30", true, "Queen's Day 2002: the Euronext calendar"},
		{calendar.EuronextAmsterdam, "2000-06-01", false, "Ascension Day, closed through 2000"},
		{calendar.EuronextAmsterdam, "2001-05-24", true, "Ascension Day 2001: traded"},
		{calendar.EuronextAmsterdam, "2001-06-04", false, "Whit Monday, closed through 2001"},
		{calendar.EuronextAmsterdam, "2001-12-31", false, "New Year's Eve, closed through 2001"},
		{calendar.EuronextAmsterdam, "2002-12-31", true, "New Year's Eve 2002: an early close"},
		{calendar.EuronextAmsterdam, "2023-04-27", true, "King's Day: traded"},
		{calendar.EuronextAmsterdam, "2028-05-01", false, "Labour Day"},
	} {
		if got := tc.c.IsTradingDay(date(tc.date)); got != tc.open {
			t.Errorf("%s.IsTradingDay(%s) = %v, want %v: %s", tc.c.MIC(), tc.date, got, tc.open, tc.why)
		}
	}
}

func ExampleEuronextParis() {
	fmt.Println(calendar.EuronextParis.IsTradingDay(pricefill.Date(2001, 7, 13)))  // before Bastille Day
	fmt.Println(calendar.EuronextParis.IsTradingDay(pricefill.Date(2024, 12, 26))) // Boxing Day
	fmt.Println(calendar.EuronextAmsterdam.SessionEnd(pricefill.Date(2024, 12, 24)).Format("15:04 MST"))
	// Output:
	// true
	// false
	// 14:05 CET
}
