package calendar

import "time"

// ASX is the calendar of the Australian Securities Exchange (MIC XASX), in
// Sydney: Yahoo's .AX listings. Its zone is Australia/Sydney (UTC+10,
// UTC+11 in the southern summer).
//
// A weekday is a trading day unless it is one of the exchange's national
// holidays:
//
//	New Year's Day       January 1; on a weekend, the Monday after
//	Australia Day        January 26; on a weekend, the Monday after (from
//	                     1994); 1990 to 1992 the Monday on or after it;
//	                     none in 1993
//	Good Friday          two days before Easter Sunday
//	Easter Monday        the day after Easter Sunday
//	Anzac Day            April 25; on a weekend, no holiday
//	King's Birthday      second Monday of June (Queen's Birthday to 2022)
//	Christmas Day        December 25
//	Boxing Day           December 26
//
// Christmas Day and Boxing Day on a weekend move to the next weekdays the
// other one does not take: Christmas on a Saturday closes Monday 27 and
// Tuesday 28, on a Sunday Monday 26 and Tuesday 27. State holidays (the
// New South Wales Bank Holiday in August, Labour Days, the Melbourne Cup)
// are trading days.
//
// On top come the special full-day closures since 1990 (its Closures):
// New Year's Eve 1990, a Monday; 1999-12-31, when the exchange did not
// trade so that brokers could finish their year-end processing before the
// year 2000; Anzac Day 2010, a Sunday, observed on the Monday; Easter
// Tuesday 2011, when Anzac Day fell on Easter Monday; and 2022-09-22, the
// National Day of Mourning for Queen Elizabeth II. An outage that stopped
// trading after a late open (2016-09-19) left a trading day.
//
// Continuous trading ends at 16:00 Sydney time, but the closing price is
// set by the closing single price auction at 16:10, which ends at a random
// moment within a minute: its SessionEnd is 16:12, the first minute at
// which the day's bar is final. From 2010 the last trading day before
// Christmas Day and the last trading day of the year close early, with the
// auction at 14:10, so the session ends at 14:12.
//
// The rules come from the exchange's trading calendars (its yearly notices
// "Trading Days, Business Days & Settlement Activity" and the trading
// calendar pages of asx.com.au) and, for the 1990s, its announcements,
// such as "ASX Trading December 1999 and Y2K"; testdata/xasx/SOURCE.md
// lists each source and the years it covers.
var ASX = newExchange(&exchange{
	name:     "Australian Securities Exchange",
	mic:      "XASX",
	suffix:   "AX",
	zone:     "Australia/Sydney",
	std:      10 * time.Hour,
	closeH:   16,
	closeM:   12,
	first:    1990,
	holidays: asxHolidays,
	closures: []Closure{
		{Date: date(1990, time.December, 31), Why: "New Year's Eve holiday"},
		{Date: date(1999, time.December, 31), Why: "no trading on the last day of 1999, for the year 2000 change-over"},
		{Date: date(2010, time.April, 26), Why: "Anzac Day, a Sunday, observed on the Monday"},
		{Date: date(2011, time.April, 26), Why: "Easter Tuesday, as Anzac Day fell on Easter Monday"},
		{Date: date(2022, time.September, 22), Why: "National Day of Mourning for Queen Elizabeth II"},
	},
	early: asxEarly,
})

// asxEarlyFirstYear is the first year of the ASX's early closes.
const asxEarlyFirstYear = 2010

// asxHolidays appends the ASX's holidays of year y to dst.
func asxHolidays(dst []Day, y int) []Day {
	dst = append(dst, substitute(civilDay(y, time.January, 1)))
	switch australia := civilDay(y, time.January, 26); {
	case y >= 1994:
		dst = append(dst, substitute(australia))
	case y <= 1992:
		dst = append(dst, australia+Day((time.Monday-australia.weekday()+7)%7))
	}
	e := easter(y)
	dst = append(dst, e-2, e+1)
	if anzac := civilDay(y, time.April, 25); !anzac.weekend() {
		dst = append(dst, anzac)
	}
	christmas, boxing := christmasBoxing(y)
	return append(dst, nthWeekday(y, time.June, time.Monday, 2), christmas, boxing)
}

// asxEarly appends the ASX's early closes of year y to dst: the last
// weekdays before Christmas Day and before New Year's Day, at 14:12.
func asxEarly(dst []EarlyClose, y int) []EarlyClose {
	if y < asxEarlyFirstYear {
		return dst
	}
	for _, d := range [...]Day{civilDay(y, time.December, 24), civilDay(y, time.December, 31)} {
		for d.weekend() {
			d--
		}
		dst = append(dst, EarlyClose{Date: d.Time(), Hour: 14, Minute: 12})
	}
	return dst
}
