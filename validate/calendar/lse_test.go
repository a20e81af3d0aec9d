package calendar_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/validate/calendar"
)

var _ calendar.SessionCalendar = calendar.LSE

// TestLSEAgreesWithPublishedClosures holds the calendar, day by day from
// 1990 through 2026, to the closed weekdays of testdata/xlon/closed.txt,
// assembled from the published bank holidays and the exchange's sessions
// (testdata/xlon/SOURCE.md), not computed by this package.
func TestLSEAgreesWithPublishedClosures(t *testing.T) {
	t.Parallel()
	checkClosedList(t, calendar.LSE, "xlon", 1990, 2026, 8, 11)
}

// TestLSEPublished2027 checks the bank holidays of 2027 that gov.uk
// already publishes, which the rules must produce.
func TestLSEPublished2027(t *testing.T) {
	t.Parallel()
	want := []string{"2027-01-01", "2027-03-26", "2027-03-29", "2027-05-03", "2027-05-31", "2027-08-30", "2027-12-27", "2027-12-28"}
	var got []string
	for d := pricefill.Date(2027, 1, 1); d.Year() == 2027; d = d.AddDate(0, 0, 1) {
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday && !calendar.LSE.IsTradingDay(d) {
			got = append(got, d.Format(time.DateOnly))
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("closed weekdays of 2027 (-want +got):\n%s", diff)
	}
}

func TestLSERules(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		date string
		open bool
		why  string
	}{
		{"1990-04-13", false, "Good Friday"},
		{"1990-04-16", false, "Easter Monday"},
		{"1993-01-01", false, "New Year's Day on a Friday"},
		{"1994-01-03", false, "New Year's Day on a Saturday moves to Monday"},
		{"1995-05-01", true, "Early May bank holiday moved to VE Day"},
		{"1995-05-08", false, "VE Day, 50th anniversary"},
		{"1999-12-27", false, "Christmas Day on a Saturday: Monday and Tuesday"},
		{"1999-12-28", false, "Christmas Day on a Saturday: Monday and Tuesday"},
		{"1999-12-31", false, "millennium bank holiday"},
		{"2000-01-03", false, "New Year's Day on a Saturday"},
		{"2002-05-27", true, "Spring bank holiday moved to June 4"},
		{"2002-06-03", false, "Golden Jubilee"},
		{"2002-06-04", false, "Spring bank holiday, moved"},
		{"2004-12-28", false, "Boxing Day on a Sunday moves to Tuesday"},
		{"2011-04-29", false, "royal wedding"},
		{"2012-05-28", true, "Spring bank holiday moved to June 4"},
		{"2012-06-05", false, "Diamond Jubilee"},
		{"2015-12-28", false, "Boxing Day on a Saturday moves to Monday"},
		{"2020-05-04", true, "Early May bank holiday moved to VE Day"},
		{"2020-05-08", false, "VE Day, 75th anniversary, a Friday"},
		{"2022-05-30", true, "Spring bank holiday moved to June 2"},
		{"2022-06-02", false, "Spring bank holiday, moved"},
		{"2022-06-03", false, "Platinum Jubilee"},
		{"2022-09-19", false, "state funeral of Queen Elizabeth II"},
		{"2022-12-27", false, "Christmas Day on a Sunday: Monday and Tuesday"},
		{"2024-01-02", true, "Scotland's 2 January is not a London holiday"},
		{"2023-05-08", false, "coronation of King Charles III"},
		{"2024-03-18", true, "St Patrick's Day (substitute) is Northern Ireland's"},
		{"2024-12-24", true, "Christmas Eve closes early, but trades"},
	} {
		d := date(tc.date)
		if got := calendar.LSE.IsTradingDay(d); got != tc.open {
			t.Errorf("IsTradingDay(%s) = %v, want %v: %s", tc.date, got, tc.open, tc.why)
		}
	}
	if got := len(calendar.LSE.Closures()); got != 7 {
		t.Errorf("%d closures, want 7", got)
	}
	if calendar.LSE.Name() != "London Stock Exchange" || calendar.LSE.MIC() != "XLON" {
		t.Errorf("Name, MIC = %q, %q", calendar.LSE.Name(), calendar.LSE.MIC())
	}
}

func TestLSESessionEnd(t *testing.T) {
	t.Parallel()
	checkSessionEnds(t, calendar.LSE, "Europe/London", []sessionEnd{
		{"2024-07-10", "2024-07-10T15:36:00Z", "regular close, summer time"},
		{"2024-01-10", "2024-01-10T16:36:00Z", "regular close, winter"},
		{"2024-03-29", "2024-03-29T16:36:00Z", "Friday before summer time starts (March 31)"},
		{"2024-04-01", "2024-04-01T15:36:00Z", "Monday after summer time starts"},
		{"2024-10-25", "2024-10-25T15:36:00Z", "Friday before summer time ends (October 27)"},
		{"2024-10-28", "2024-10-28T16:36:00Z", "Monday after summer time ends"},
		{"2024-12-24", "2024-12-24T12:36:00Z", "Christmas Eve, early close"},
		{"2024-12-31", "2024-12-31T12:36:00Z", "New Year's Eve, early close"},
		{"2023-12-22", "2023-12-22T12:36:00Z", "Christmas Eve on a Sunday: the Friday before"},
		{"2023-12-29", "2023-12-29T12:36:00Z", "New Year's Eve on a Sunday: the Friday before"},
		{"2022-12-23", "2022-12-23T12:36:00Z", "Christmas Eve on a Saturday: the Friday before"},
		{"2022-12-30", "2022-12-30T12:36:00Z", "New Year's Eve on a Saturday: the Friday before"},
		{"1990-12-24", "1990-12-24T12:36:00Z", "early close in the first year"},
		{"1999-12-24", "1999-12-24T12:36:00Z", "Christmas Eve 1999"},
		{"2023-12-27", "2023-12-27T16:36:00Z", "regular close between the early closes"},
	})
	// The time of day and zone of the argument do not matter, only its date.
	late := time.Date(2024, 12, 24, 23, 30, 0, 0, zone(t, "Europe/London"))
	if got := calendar.LSE.SessionEnd(late).UTC().Format(time.RFC3339); got != "2024-12-24T12:36:00Z" {
		t.Errorf("SessionEnd(%v) = %s", late, got)
	}
}

func ExampleLSE() {
	// Christmas week 2022: Christmas Day a Sunday, so its holidays are
	// Monday and Tuesday; Friday the 23rd closes early.
	for _, d := range calendar.LSE.TradingDays(pricefill.Date(2022, 12, 19), pricefill.Date(2022, 12, 30)) {
		end := calendar.LSE.SessionEnd(d)
		fmt.Println(d.Format("2006-01-02 Mon"), end.Format("15:04 MST"))
	}
	fmt.Println(calendar.LSE.IsTradingDay(pricefill.Date(2023, 5, 8))) // the coronation
	// Output:
	// 2022-12-19 Mon 16:36 GMT
	// 2022-12-20 Tue 16:36 GMT
	// 2022-12-21 Wed 16:36 GMT
	// 2022-12-22 Thu 16:36 GMT
	// 2022-12-23 Fri 12:36 GMT
	// 2022-12-28 Wed 16:36 GMT
	// 2022-12-29 Thu 16:36 GMT
	// 2022-12-30 Fri 12:36 GMT
	// false
}
