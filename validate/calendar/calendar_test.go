package calendar_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/validate/calendar"
	"pgregory.net/rapid"
)

// TestNYSEAgreesWithPublishedClosures compares the calendar, day by day
// from 1990 through 2028, with the closures the exchange published, which
// testdata holds as transcribed, not as computed by this package.
func TestNYSEAgreesWithPublishedClosures(t *testing.T) {
	t.Parallel()
	// The list holds dates alone, with the sources in its header.
	const list = "testdata/nyse_closed_1990_2028.txt"
	checkClosedDays(t, calendar.NYSE, list, readDateList(t, list, false), 1990, 2028, 8, 13)
}

// TestNYSEHolidayRules checks each rule and its edges, with the reason.
func TestNYSEHolidayRules(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		date string
		open bool
		why  string
	}{
		// New Year's Day.
		{"2024-01-01", false, "New Year's Day"},
		{"2023-01-02", false, "New Year's Day on a Sunday, observed Monday"},
		{"2021-12-31", true, "New Year's Day 2022 on a Saturday: not observed on the Friday before"},
		{"2010-12-31", true, "New Year's Day 2011 on a Saturday: not observed"},
		{"2004-12-31", true, "New Year's Day 2005 on a Saturday: not observed"},
		{"1999-12-31", true, "New Year's Day 2000 on a Saturday: not observed (early close)"},
		{"2032-12-31", true, "New Year's Day 2033 on a Saturday: not observed"},
		{"2017-01-02", false, "New Year's Day on a Sunday, observed Monday"},
		// Martin Luther King Jr. Day, from 1998.
		{"1997-01-20", true, "third Monday of January 1997, before the NYSE kept MLK Day"},
		{"1998-01-19", false, "Martin Luther King Jr. Day, first kept in 1998"},
		{"2024-01-15", false, "Martin Luther King Jr. Day"},
		// Washington's Birthday.
		{"1990-02-19", false, "Washington's Birthday"},
		{"2026-02-16", false, "Washington's Birthday"},
		{"2026-02-23", true, "fourth Monday of February"},
		// Good Friday.
		{"2023-04-07", false, "Good Friday"},
		{"2008-03-21", false, "Good Friday, early Easter (March 23)"},
		{"2011-04-22", false, "Good Friday, late Easter (April 24)"},
		{"2038-04-23", false, "Good Friday, latest Easter (April 25)"},
		{"2100-03-26", false, "Good Friday 2100 (Easter March 28)"},
		{"2023-04-10", true, "Easter Monday"},
		// Memorial Day.
		{"2024-05-27", false, "Memorial Day, last Monday of May"},
		{"2021-05-31", false, "Memorial Day, last Monday of May on the 31st"},
		{"2021-05-24", true, "the Monday before Memorial Day"},
		// Juneteenth, from 2022.
		{"2021-06-18", true, "Juneteenth 2021 (Saturday), before the NYSE kept it"},
		{"2022-06-20", false, "Juneteenth on a Sunday, observed Monday"},
		{"2022-06-17", true, "Juneteenth 2022 is not observed the Friday before"},
		{"2023-06-19", false, "Juneteenth"},
		{"2027-06-18", false, "Juneteenth on a Saturday, observed Friday"},
		// Independence Day.
		{"2020-07-03", false, "Independence Day on a Saturday, observed Friday"},
		{"2021-07-05", false, "Independence Day on a Sunday, observed Monday"},
		{"2024-07-04", false, "Independence Day"},
		{"2013-07-03", true, "the day before Independence Day (early close)"},
		// Labor Day, Thanksgiving.
		{"2024-09-02", false, "Labor Day"},
		{"2024-11-28", false, "Thanksgiving Day"},
		{"2024-11-29", true, "the day after Thanksgiving (early close)"},
		// Christmas.
		{"2021-12-24", false, "Christmas on a Saturday, observed Friday"},
		{"2022-12-26", false, "Christmas on a Sunday, observed Monday"},
		{"2024-12-25", false, "Christmas"},
		{"2024-12-24", true, "Christmas Eve (early close)"},
		{"2025-12-24", true, "Christmas Eve 2025: federal offices closed, the exchange closed early"},
		{"2025-12-26", true, "2025-12-26: federal offices closed, the exchange did not"},
		// Special closures.
		{"1994-04-27", false, "funeral of President Nixon"},
		{"1994-04-26", true, "the day before Nixon's funeral"},
		{"2001-09-10", true, "the day before 9/11"},
		{"2001-09-11", false, "9/11"},
		{"2001-09-12", false, "9/11"},
		{"2001-09-13", false, "9/11"},
		{"2001-09-14", false, "9/11"},
		{"2001-09-17", true, "reopening after 9/11"},
		{"2004-06-11", false, "national day of mourning, President Reagan"},
		{"2007-01-02", false, "national day of mourning, President Ford"},
		{"2007-01-03", true, "the day after Ford's day of mourning"},
		{"2012-10-29", false, "Hurricane Sandy"},
		{"2012-10-30", false, "Hurricane Sandy"},
		{"2012-10-31", true, "reopening after Hurricane Sandy"},
		{"2018-12-05", false, "national day of mourning, President G. H. W. Bush"},
		{"2025-01-09", false, "national day of mourning, President Carter"},
		{"2025-01-10", true, "the day after Carter's day of mourning"},
		{"1996-01-08", true, "blizzard of 1996: late open and early close, not closed"},
		{"1990-12-27", true, "Con Edison transformer fire: late open, not closed"},
		// Weekends.
		{"2024-03-09", false, "Saturday"},
		{"2024-03-10", false, "Sunday"},
		// Outside 1990-2100, by the rules.
		{"1989-12-25", false, "Christmas 1989, by rule"},
		{"2101-07-04", false, "Independence Day 2101, by rule"},
		{"2101-12-26", false, "Christmas 2101 on a Sunday, observed Monday, by rule"},
		{"2105-01-01", false, "New Year's Day 2105, by rule"},
		{"2105-01-02", true, "the day after New Year's Day 2105"},
	} {
		d := date(tc.date)
		y, m, dd := d.Date()
		// A calendar day whatever the time of day or location.
		for _, at := range []time.Time{
			d,
			time.Date(y, m, dd, 23, 59, 59, 0, time.UTC),
			time.Date(y, m, dd, 0, 0, 1, 0, zone(t, "America/New_York")),
			time.Date(y, m, dd, 23, 30, 0, 0, zone(t, "Asia/Tokyo")),
		} {
			if got := calendar.NYSE.IsTradingDay(at); got != tc.open {
				t.Errorf("NYSE.IsTradingDay(%s) = %v, want %v: %s", at, got, tc.open, tc.why)
			}
		}
		got := calendar.NYSE.TradingDays(d, d)
		if want := tc.open; (len(got) == 1) != want || (want && !got[0].Equal(d)) {
			t.Errorf("NYSE.TradingDays(%s, %[1]s) = %v: %s", tc.date, dates(got), tc.why)
		}
	}
}

func TestTradingDays(t *testing.T) {
	t.Parallel()
	ny := zone(t, "America/New_York")
	tokyo := zone(t, "Asia/Tokyo")
	for _, tc := range []struct {
		name     string
		cal      calendar.Calendar
		from, to time.Time
		want     []string
	}{
		{"Christmas week 2024", calendar.NYSE, date("2024-12-21"), date("2024-12-29"),
			[]string{"2024-12-23", "2024-12-24", "2024-12-26", "2024-12-27"}},
		{"Christmas week 2024, weekdays", calendar.Weekdays, date("2024-12-21"), date("2024-12-29"),
			[]string{"2024-12-23", "2024-12-24", "2024-12-25", "2024-12-26", "2024-12-27"}},
		{"own dates of zoned times", calendar.NYSE,
			time.Date(2024, 12, 23, 23, 0, 0, 0, ny),   // 04:00 UTC on the 24th
			time.Date(2024, 12, 26, 1, 0, 0, 0, tokyo), // 16:00 UTC on the 25th
			[]string{"2024-12-23", "2024-12-24", "2024-12-26"}},
		{"one day", calendar.NYSE, date("2024-12-24"), date("2024-12-24"), []string{"2024-12-24"}},
		{"a holiday", calendar.NYSE, date("2024-12-25"), date("2024-12-25"), []string{}},
		{"a weekend", calendar.Weekdays, date("2024-12-28"), date("2024-12-29"), []string{}},
		{"backwards", calendar.NYSE, date("2024-12-27"), date("2024-12-23"), []string{}},
		{"9/11 week", calendar.NYSE, date("2001-09-10"), date("2001-09-17"), []string{"2001-09-10", "2001-09-17"}},
	} {
		got := tc.cal.TradingDays(tc.from, tc.to)
		if !slices.Equal(dates(got), tc.want) {
			t.Errorf("%s: TradingDays = %v, want %v", tc.name, dates(got), tc.want)
		}
		for _, d := range got {
			if d.Location() != time.UTC || !d.Equal(pricefill.DateOf(d)) {
				t.Errorf("%s: TradingDays gave %s, not midnight UTC", tc.name, d)
			}
		}
	}
}

// TestTradingDaysSplit: TradingDays(a, c) is TradingDays(a, b) followed by
// TradingDays(b+1, c), each day a trading day, in order, midnight UTC.
func TestTradingDaysSplit(t *testing.T) {
	t.Parallel()
	first, last := date("1980-01-01"), date("2115-12-31")
	span := int(last.Sub(first).Hours() / 24)
	rapid.Check(t, func(t *rapid.T) {
		cal := rapid.SampledFrom([]calendar.Calendar{calendar.NYSE, calendar.Weekdays}).Draw(t, "cal")
		a := first.AddDate(0, 0, rapid.IntRange(0, span).Draw(t, "a"))
		c := a.AddDate(0, 0, rapid.IntRange(0, 3000).Draw(t, "c-a"))
		b := a.AddDate(0, 0, rapid.IntRange(0, int(c.Sub(a).Hours()/24)).Draw(t, "b-a"))

		whole := cal.TradingDays(a, c)
		joined := append(cal.TradingDays(a, b), cal.TradingDays(b.AddDate(0, 0, 1), c)...)
		if !slices.Equal(whole, joined) {
			t.Fatalf("TradingDays(%s, %s) has %d days, split at %s %d",
				a.Format(time.DateOnly), c.Format(time.DateOnly), len(whole), b.Format(time.DateOnly), len(joined))
		}
		n := 0
		for d := a; !d.After(c); d = d.AddDate(0, 0, 1) {
			if !cal.IsTradingDay(d) {
				continue
			}
			if n >= len(whole) || !whole[n].Equal(d) || whole[n].Location() != time.UTC {
				t.Fatalf("TradingDays(%s, %s): day %d is not %s", a.Format(time.DateOnly), c.Format(time.DateOnly), n, d.Format(time.DateOnly))
			}
			n++
		}
		if n != len(whole) {
			t.Fatalf("TradingDays(%s, %s) has %d days, IsTradingDay says %d", a.Format(time.DateOnly), c.Format(time.DateOnly), len(whole), n)
		}
	})
}

func TestWeekdays(t *testing.T) {
	t.Parallel()
	for d := date("2024-07-01"); d.Before(date("2024-07-15")); d = d.AddDate(0, 0, 1) {
		wd := d.Weekday()
		if got, want := calendar.Weekdays.IsTradingDay(d), wd != time.Saturday && wd != time.Sunday; got != want {
			t.Errorf("Weekdays.IsTradingDay(%s, a %s) = %v, want %v", d.Format(time.DateOnly), wd, got, want)
		}
	}
}

func TestFor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		symbol, tz string
		want       calendar.Calendar
	}{
		{"AAPL", "", calendar.NYSE},
		{"AAPL", "America/New_York", calendar.NYSE},
		{"BRK.B", "", calendar.NYSE},
		{"BF.B", "", calendar.NYSE},
		{"BF-B", "", calendar.NYSE},
		{"HEI.A", "", calendar.NYSE},
		{"LBRD.K", "", calendar.NYSE},
		{"^GSPC", "", calendar.NYSE},
		{"AAPL.US", "", calendar.NYSE},
		{"CME", "America/Chicago", calendar.NYSE},
		{"ABC", "US/Eastern", calendar.NYSE},
		{"ABC", "America/Indiana/Indianapolis", calendar.NYSE},
		{"MKC.V", "America/New_York", calendar.NYSE},
		{"OCDO.L", "", calendar.LSE},
		{"ocdo.l", "", calendar.LSE},
		{"BT-A.L", "", calendar.LSE},
		{"7203.T", "", calendar.TSE},
		{"BHP.AX", "", calendar.ASX},
		{"SAP.DE", "", calendar.Xetra},
		{"NOVO-B.CO", "", calendar.Weekdays},
		{"SHOP.TO", "", calendar.TSX},
		{"2330.TWO", "", calendar.Weekdays},
		{"MKC.V", "", calendar.Weekdays},
		{"OCDO.L", "Europe/London", calendar.LSE},
		{"SHOP", "America/Toronto", calendar.TSX},
		{"XYZ", "Asia/Tokyo", calendar.TSE},
		{"MC.PA", "", calendar.EuronextParis},
		{"ASML.AS", "Europe/Amsterdam", calendar.EuronextAmsterdam},
		{"NESN.SW", "", calendar.SIX},
		{"0005.HK", "", calendar.HKEX},
		{"XYZ", "Asia/Hong_Kong", calendar.HKEX},
		{"VOD.L", "America/New_York", calendar.LSE},
		{"SAP.F", "Europe/Berlin", calendar.Weekdays},
		{"SAP", "Europe/Berlin", calendar.Xetra},
		{"ENI.MI", "Europe/Rome", calendar.Weekdays},
		{"ZZZ", "Europe/Madrid", calendar.Weekdays},
		{"EURUSD=X", "", calendar.Weekdays},
		{"ES=F", "America/New_York", calendar.Weekdays},
	} {
		got := calendar.For(pricefill.Asset{Symbol: tc.symbol, Timezone: tc.tz})
		if got != tc.want {
			t.Errorf("For(%q, zone %q) = %s, want %s", tc.symbol, tc.tz, calName(got), calName(tc.want))
		}
	}
}

// TestForRoutesEveryExchange: each exchange's calendar is the one of its
// suffix, and of its time zone for a symbol without a suffix.
func TestForRoutesEveryExchange(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, c := range calendar.Exchanges() {
		if seen[c.Suffix()] || seen[c.Location().String()] {
			t.Errorf("%s: suffix %q or zone %s taken by another exchange", c.MIC(), c.Suffix(), c.Location())
		}
		seen[c.Suffix()], seen[c.Location().String()] = true, true
		for _, a := range []pricefill.Asset{{Symbol: "X." + c.Suffix()}, {Symbol: "X", Timezone: c.Location().String()}} {
			if got := calendar.For(a); got != calendar.Calendar(c) {
				t.Errorf("For(%+v) = %s, want %s", a, calName(got), c.MIC())
			}
		}
	}
	if n := len(seen); n != 18 {
		t.Errorf("%d suffixes and zones, want 18 (nine exchanges)", n)
	}
}

// calName names a calendar in a failure message.
func calName(c calendar.Calendar) string {
	if x, ok := c.(calendar.ExchangeCalendar); ok {
		return x.MIC()
	}
	return fmt.Sprintf("%T", c)
}
