package calendar_test

import (
	"fmt"
	"testing"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/validate/calendar"
)

func TestSIXAgreesWithClosedList(t *testing.T) {
	t.Parallel()
	checkClosedList(t, calendar.SIX, "xswx", 1996, 2026, 4, 13)
}

func TestSIXSessionEnd(t *testing.T) {
	t.Parallel()
	checkSessionEnds(t, calendar.SIX, "Europe/Zurich", []sessionEnd{
		{"2024-06-12", "2024-06-12T15:30:00Z", "regular close in summer, 17:30 CEST"},
		{"2024-01-10", "2024-01-10T16:30:00Z", "regular close in winter, 17:30 CET"},
		{"2023-03-24", "2023-03-24T16:30:00Z", "Friday before the change to CEST (2023-03-26)"},
		{"2023-03-27", "2023-03-27T15:30:00Z", "Monday after the change to CEST"},
		{"2023-10-27", "2023-10-27T15:30:00Z", "Friday before the change to CET (2023-10-29)"},
		{"2023-10-30", "2023-10-30T16:30:00Z", "Monday after the change to CET"},
		{"2024-12-23", "2024-12-23T16:30:00Z", "the day before Christmas Eve: no early close"},
		{"2024-12-30", "2024-12-30T16:30:00Z", "the last trading day of the year: no early close"},
	})
}

func TestSIXHolidayRules(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		date string
		open bool
		why  string
	}{
		{"1996-01-02", false, "Berchtold's Day"},
		{"1996-12-24", true, "Christmas Eve 1996: traded"},
		{"1997-12-31", true, "New Year's Eve 1997: traded"},
		{"1998-12-24", false, "Christmas Eve, closed from 1998"},
		{"2000-01-03", false, "year-2000 changeover"},
		{"2000-08-01", false, "Swiss National Day, closed through 2000"},
		{"2001-05-24", false, "Ascension Day 2001, before the calendar of 2001-06-25"},
		{"2001-08-01", true, "Swiss National Day 2001: traded, as virt-x"},
		{"2002-01-02", true, "Berchtold's Day 2002: traded"},
		{"2002-05-09", true, "Ascension Day 2002: traded"},
		{"2002-05-20", true, "Whit Monday 2002: traded"},
		{"2003-01-02", false, "Berchtold's Day, closed again from 2003"},
		{"2003-05-29", false, "Ascension Day, closed again from 2003"},
		{"2005-08-01", true, "Swiss National Day 2005: traded"},
		{"2006-08-01", false, "Swiss National Day, closed again from 2006"},
		{"2024-05-09", false, "Ascension Day"},
		{"2024-12-31", false, "New Year's Eve"},
		{"2028-01-03", true, "Berchtold's Day 2028 on a Sunday: not moved"},
	} {
		if got := calendar.SIX.IsTradingDay(date(tc.date)); got != tc.open {
			t.Errorf("SIX.IsTradingDay(%s) = %v, want %v: %s", tc.date, got, tc.open, tc.why)
		}
	}
}

func ExampleSIX() {
	fmt.Println(calendar.SIX.IsTradingDay(pricefill.Date(2024, 1, 2))) // Berchtold's Day
	fmt.Println(calendar.SIX.SessionEnd(pricefill.Date(2024, 7, 31)).Format("15:04 MST"))
	// Output:
	// false
	// 17:30 CEST
}
