package calendar_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/pricefill/pricefill/validate/calendar"
)

// TestHKEXAgreesWithPublishedClosures compares the calendar, day by day
// from 1990 through 2026, with the closed days assembled in
// testdata/xhkg/closed.txt from the published record.
func TestHKEXAgreesWithPublishedClosures(t *testing.T) {
	t.Parallel()
	checkClosedList(t, calendar.HKEX, "xhkg", 1990, 2026, 11, 18)

	closed := readClosedList(t, "xhkg")
	// Every special closure is a closed day of the list.
	for _, c := range calendar.HKEX.Closures() {
		if _, ok := closed[c.Date]; !ok || c.Why == "" {
			t.Errorf("closure %s (%q) is not in testdata", c.Date.Format(time.DateOnly), c.Why)
		}
	}
}

// TestHKEXNamedDays shows the rules on a few days.
func TestHKEXNamedDays(t *testing.T) {
	t.Parallel()
	tests := []struct {
		day  string
		open bool
		why  string
	}{
		{"1990-04-13", false, "Good Friday"},
		{"1990-04-16", false, "Easter Monday"},
		{"1990-05-02", true, "Buddha's Birthday, a holiday only from 1999"},
		{"1990-06-18", false, "Queen's Birthday"},
		{"1990-08-27", false, "Liberation Day, last Monday of August, until 1996"},
		{"1991-02-14", false, "Lunar New Year on a Friday: the day before it, until 2011"},
		{"1991-06-18", false, "Queen's Birthday moved off Tuen Ng"},
		{"1993-10-01", false, "the day following Mid-Autumn (no National Day before 1997)"},
		{"1997-07-01", false, "HKSAR Establishment Day"},
		{"1997-07-02", false, "the handover"},
		{"1999-12-31", false, "millennium"},
		{"2011-12-26", false, "Christmas on a Sunday: Monday"},
		{"2011-12-27", false, "and the first weekday after it"},
		{"2010-12-27", false, "Christmas on a Saturday: Monday 27th, the first weekday after"},
		{"2012-10-02", false, "the day after Mid-Autumn is October 1: National Day moves"},
		{"2013-02-13", false, "third day of Lunar New Year on a Sunday: the fourth day"},
		{"2015-04-07", false, "Ching Ming on Easter Sunday: Easter Monday moves"},
		{"2015-09-03", false, "war anniversary"},
		{"2018-09-17", true, "Mangkhut: signal No. 8 lowered before trading"},
		{"2022-09-12", false, "the day after Mid-Autumn on a Sunday: Monday, since 2011"},
		{"1995-09-11", true, "the day after Mid-Autumn on a Sunday: none, until 2010"},
		{"2023-09-08", false, "black rainstorm"},
		{"2023-10-09", true, "Koinu: signal lowered before noon, afternoon traded"},
		{"2026-04-06", false, "the day following Ching Ming (Easter Sunday)"},
		{"2026-04-07", false, "the day following Easter Monday"},
	}
	for _, tt := range tests {
		if got := calendar.HKEX.IsTradingDay(date(tt.day)); got != tt.open {
			t.Errorf("HKEX.IsTradingDay(%s) = %v, want %v: %s", tt.day, got, tt.open, tt.why)
		}
	}
}

// TestHKEXSessionEnd checks the regular close of each era, the half days
// and a day either side of the changes of other zones' clocks (Hong Kong
// has no daylight saving time: the close stays put in UTC).
func TestHKEXSessionEnd(t *testing.T) {
	t.Parallel()
	checkSessionEnds(t, calendar.HKEX, "Asia/Hong_Kong", []sessionEnd{
		{"1995-06-01", "1995-06-01T08:00:00Z", "regular close, 16:00"},
		{"2008-05-23", "2008-05-23T08:00:00Z", "the last 16:00 close before the closing auction"},
		{"2008-05-26", "2008-05-26T08:10:00Z", "first closing auction, 16:10"},
		{"2009-03-20", "2009-03-20T08:10:00Z", "the last day of the first closing auction"},
		{"2009-03-23", "2009-03-23T08:00:00Z", "closing auction withdrawn, 16:00"},
		{"2016-07-22", "2016-07-22T08:00:00Z", "the last 16:00 close"},
		{"2016-07-25", "2016-07-25T08:10:00Z", "closing auction again, 16:10"},
		{"2024-03-08", "2024-03-08T08:10:00Z", "before New York's clocks change on the 10th"},
		{"2024-03-11", "2024-03-11T08:10:00Z", "after New York's clocks change"},
		{"2024-10-25", "2024-10-25T08:10:00Z", "before London's clocks change on the 27th"},
		{"2024-10-28", "2024-10-28T08:10:00Z", "after London's clocks change"},
		// Half days.
		{"1990-12-24", "1990-12-24T04:30:00Z", "Christmas Eve, 12:30"},
		{"2008-12-24", "2008-12-24T04:40:00Z", "Christmas Eve with the closing auction, 12:40"},
		{"2010-12-31", "2010-12-31T04:30:00Z", "New Year's Eve, 12:30"},
		{"2013-12-24", "2013-12-24T04:00:00Z", "Christmas Eve, 12:00"},
		{"2008-02-06", "2008-02-06T04:30:00Z", "Lunar New Year's Eve, 12:30"},
		{"2024-12-24", "2024-12-24T04:10:00Z", "Christmas Eve, 12:10"},
		{"2025-01-28", "2025-01-28T04:10:00Z", "Lunar New Year's Eve, 12:10"},
		{"2025-12-31", "2025-12-31T04:10:00Z", "New Year's Eve, 12:10"},
	})
}

func ExampleHKEX() {
	days := calendar.HKEX.TradingDays(
		time.Date(2025, time.January, 27, 0, 0, 0, 0, time.UTC),
		time.Date(2025, time.February, 4, 0, 0, 0, 0, time.UTC))
	for _, d := range days {
		fmt.Println(d.Format("2006-01-02 Mon"), calendar.HKEX.SessionEnd(d).Format("15:04"))
	}
	fmt.Println(calendar.HKEX.Name(), calendar.HKEX.MIC())
	// Output:
	// 2025-01-27 Mon 16:10
	// 2025-01-28 Tue 12:10
	// 2025-02-03 Mon 16:10
	// 2025-02-04 Tue 16:10
	// Hong Kong Exchanges and Clearing XHKG
}
