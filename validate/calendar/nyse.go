package calendar

import (
	"sync"
	"time"
)

// NYSECalendar is the trading calendar of the New York Stock Exchange (the
// NYSE, Nasdaq and the other US equity exchanges keep the same holidays).
// [NYSE] is its value.
//
// A weekday is a trading day unless it is one of the exchange's full-day
// holidays, as NYSE Rule 7.2 sets them:
//
//	New Year's Day              January 1
//	Martin Luther King Jr. Day  third Monday of January, from 1998
//	Washington's Birthday       third Monday of February
//	Good Friday                 two days before Easter Sunday
//	Memorial Day                last Monday of May
//	Juneteenth                  June 19, from 2022
//	Independence Day            July 4
//	Labor Day                   first Monday of September
//	Thanksgiving Day            fourth Thursday of November
//	Christmas Day               December 25
//
// A holiday on a Sunday is observed on the Monday after, one on a Saturday
// on the Friday before, except New Year's Day: when January 1 is a
// Saturday no holiday is observed (2021-12-31 and 2010-12-31 were trading
// days). On top of these come the exchange's special full-day closures
// (national days of mourning, 9/11, Hurricane Sandy), every one since
// 1990. Early-close days (the day after Thanksgiving, Christmas Eve, the
// day before Independence Day) are trading days.
//
// The calendar covers 1990 through 2100: it agrees with the exchange's
// record from 1990 to the end of 2026 and with its published schedule for
// 2027 and 2028, and follows the rules beyond; a special closure announced
// later must be added to it. Before 1990 it applies the same rules,
// without that era's special closures.
type NYSECalendar struct{}

// NYSE is the calendar of US listings.
var NYSE NYSECalendar

var _ SessionCalendar = NYSE

// nyseCloseHour is the hour of the NYSE's regular close, 16:00 New York time.
const nyseCloseHour = 16

// IsTradingDay reports whether the NYSE holds a session on the calendar
// date of t.
func (NYSECalendar) IsTradingDay(t time.Time) bool { return nyseOpen(DayOf(t)) }

// TradingDays returns the NYSE's trading days from the date of from to the
// date of to, both included, in order, as midnight UTC.
func (NYSECalendar) TradingDays(from, to time.Time) []time.Time {
	return tradingDays(DayOf(from), DayOf(to), nyseOpen)
}

// Location returns America/New_York. Where the system has no time zone
// database (and the program does not import time/tzdata), it returns
// Eastern Standard Time all year round, UTC-5: a clock that is never
// ahead of New York's, so that sessions are judged over an hour late in
// summer, never early.
func (NYSECalendar) Location() *time.Location { return newYork() }

// SessionEnd returns 16:00 New York time on the calendar date of d. That
// is the regular close; on an early-close day (13:00) the validator still
// waits until 16:00, which costs at most a few hours of delay and never
// lets a still-moving bar through.
func (NYSECalendar) SessionEnd(d time.Time) time.Time {
	y, m, dd := d.Date()
	return time.Date(y, m, dd, nyseCloseHour, 0, 0, 0, newYork())
}

var newYork = sync.OnceValue(func() *time.Location {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		return time.FixedZone("EST", -5*60*60)
	}
	return loc
})

// nyseClosures are the NYSE's full-day closures since 1990 other than its
// holidays. Sources: the NYSE's history of market closings
// (Stocks.NYSE-Closings.pdf), as transcribed in pandas_market_calendars
// (holidays_nyse.py) and exchange_calendars (XNYS); for 2025-01-09, ICE's
// announcement of 2024-12-30, "The New York Stock Exchange Will Close
// Markets on January 9 to Honor the Passing of Former President Jimmy
// Carter". Not closures, though listed there: the blizzard of 1996-01-08
// (late open, early close), the Con Edison late open of 1990-12-27, the
// moments of silence of 2001 to 2006, the early closes; nor 2025-12-24 and
// 2025-12-26, when federal offices closed but the exchange did not. The
// 1985 closure for Hurricane Gloria is before 1990.
var nyseClosures = [...]struct {
	y   int
	m   time.Month
	d   int
	why string
}{
	{1994, time.April, 27, "funeral of President Richard Nixon"},
	{2001, time.September, 11, "terrorist attacks of 9/11"},
	{2001, time.September, 12, "terrorist attacks of 9/11"},
	{2001, time.September, 13, "terrorist attacks of 9/11"},
	{2001, time.September, 14, "terrorist attacks of 9/11"},
	{2004, time.June, 11, "national day of mourning, President Ronald Reagan"},
	{2007, time.January, 2, "national day of mourning, President Gerald Ford"},
	{2012, time.October, 29, "Hurricane Sandy"},
	{2012, time.October, 30, "Hurricane Sandy"},
	{2018, time.December, 5, "national day of mourning, President George H. W. Bush"},
	{2025, time.January, 9, "national day of mourning, President Jimmy Carter"},
}

// The NYSE's closed weekdays from 1990 through 2100 are precomputed into
// a bit set, one bit a day, so that IsTradingDay costs a few nanoseconds.
const (
	nyseFirstYear = 1990
	nyseLastYear  = 2100
)

var nyseClosed = func() *dayTable {
	extra := make([]Day, len(nyseClosures))
	for i, c := range nyseClosures {
		extra[i] = civilDay(c.y, c.m, c.d)
	}
	return newDayTable(nyseFirstYear, nyseLastYear, nyseHolidays, extra)
}()

// nyseOpen reports whether d is an NYSE trading day.
func nyseOpen(d Day) bool { return !d.weekend() && !nyseClosed.closed(d) }

// nyseHolidays appends the NYSE's holidays of year y, as observed, to dst.
// Every observed date falls in year y itself: the only holiday that could
// move across a year's end, New Year's Day on a Saturday, is not observed.
func nyseHolidays(dst []Day, y int) []Day {
	switch nyd := civilDay(y, time.January, 1); nyd.weekday() {
	case time.Saturday:
	case time.Sunday:
		dst = append(dst, nyd+1)
	default:
		dst = append(dst, nyd)
	}
	if y >= 1998 {
		dst = append(dst, nthWeekday(y, time.January, time.Monday, 3))
	}
	dst = append(dst,
		nthWeekday(y, time.February, time.Monday, 3),
		easter(y)-2,
		lastWeekday(y, time.May, time.Monday),
	)
	if y >= 2022 {
		dst = append(dst, observed(civilDay(y, time.June, 19)))
	}
	return append(dst,
		observed(civilDay(y, time.July, 4)),
		nthWeekday(y, time.September, time.Monday, 1),
		nthWeekday(y, time.November, time.Thursday, 4),
		observed(civilDay(y, time.December, 25)),
	)
}

// observed moves a holiday on a Saturday to the Friday before and one on a
// Sunday to the Monday after.
func observed(d Day) Day {
	switch d.weekday() {
	case time.Saturday:
		return d - 1
	case time.Sunday:
		return d + 1
	}
	return d
}

// nthWeekday returns the n-th (from 1) weekday wd of month m of year y.
func nthWeekday(y int, m time.Month, wd time.Weekday, n int) Day {
	first := civilDay(y, m, 1)
	return first + Day((wd-first.weekday()+7)%7) + Day(7*(n-1))
}

// lastWeekday returns the last weekday wd of month m of year y.
func lastWeekday(y int, m time.Month, wd time.Weekday) Day {
	last := civilDay(y, m+1, 1) - 1 // m < December here
	return last - Day((last.weekday()-wd+7)%7)
}

// easter returns Easter Sunday of year y in the Gregorian calendar, by the
// anonymous algorithm (Meeus/Jones/Butcher).
func easter(y int) Day {
	a := y % 19
	b, c := y/100, y%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	dd := (h+l-7*m+114)%31 + 1
	return civilDay(y, time.Month(month), dd)
}
