package calendar

import "time"

// SIX is the calendar of SIX Swiss Exchange, the market of Swiss listings
// (Yahoo suffix .SW), in Europe/Zurich: the SWX Swiss Exchange until 2008.
// Its tables start in 1996, the first full year of SWX's electronic
// trading, which replaced the floors of Zurich, Geneva and Basel; before,
// the calendar applies the rules of 1996 back to 1990 as known.
//
// A weekday is a trading day unless it is one of these holidays:
//
//	New Year's Day       January 1
//	Berchtold's Day      January 2, except 2002
//	Good Friday          two days before Easter Sunday
//	Easter Monday        the day after Easter Sunday
//	Labour Day           May 1
//	Ascension Day        39 days after Easter Sunday, except 2002
//	Whit Monday          50 days after Easter Sunday, except 2002
//	Swiss National Day   August 1, through 2000 and from 2006
//	Christmas Eve        December 24, except 1996 and 1997
//	Christmas Day        December 25
//	St Stephen's Day     December 26
//	New Year's Eve       December 31, except 1996 and 1997
//
// A holiday on a Saturday or a Sunday is not moved to a weekday. From
// 2001-06-25 to the end of 2002, the SWX traded equities on the Swiss
// public holidays that were not TARGET holidays, as virt-x did; it
// closed again on Berchtold's Day, Ascension Day and Whit Monday from
// 2003, and on National Day from 2006. Its one special full-day closure
// since 1996 is 2000-01-03, for the year-2000 changeover. It has no early
// closes.
//
// Trading in shares ends with a closing auction from 17:20 to 17:30
// Zurich time, when the closing prices are set; the session end is 17:30
// (the Trading-At-Last phase that follows, to 17:40, trades at the
// closing price and does not change it).
//
// The rules come from SIX's trading and settlement calendar
// (www.six-group.com) and, for 1998 to 2006, from the SWX's notices and
// trading calendars (among them "Change in SWX trading hours and trading
// calendar, effective 25 June 2001"), as archived by the Internet Archive.
var SIX = newExchange(&exchange{
	name:     "SIX Swiss Exchange",
	mic:      "XSWX",
	suffix:   "SW",
	zone:     "Europe/Zurich",
	std:      time.Hour,
	closeH:   17,
	closeM:   30,
	first:    1996,
	holidays: sixHolidays,
	closures: []Closure{
		{Date: date(2000, time.January, 3), Why: "year-2000 changeover"},
	},
})

// sixHolidays appends SIX's holidays of year y to dst.
func sixHolidays(dst []Day, y int) []Day {
	e := easter(y)
	dst = append(dst, civilDay(y, time.January, 1), e-2, e+1, civilDay(y, time.May, 1))
	if y != 2002 {
		dst = append(dst, civilDay(y, time.January, 2), e+39, e+50)
	}
	if y <= 2000 || y >= 2006 {
		dst = append(dst, civilDay(y, time.August, 1))
	}
	if y != 1996 && y != 1997 {
		dst = append(dst, civilDay(y, time.December, 24), civilDay(y, time.December, 31))
	}
	return append(dst, civilDay(y, time.December, 25), civilDay(y, time.December, 26))
}
