package calendar

import "time"

// LSE is the calendar of the London Stock Exchange (MIC XLON), the
// exchange of London listings (Yahoo suffix .L), in Europe/London time.
//
// A weekday is a trading day unless it is a bank holiday of England and
// Wales, on which the exchange does not trade:
//
//	New Year's Day          January 1
//	Good Friday             two days before Easter Sunday
//	Easter Monday           the day after Easter Sunday
//	Early May bank holiday  first Monday of May
//	Spring bank holiday     last Monday of May
//	Summer bank holiday     last Monday of August
//	Christmas Day           December 25
//	Boxing Day              December 26
//
// A holiday on a Saturday or a Sunday moves to the next weekday that is
// not a holiday itself: New Year's Day to Monday January 2 or 3; when
// Christmas Day is a Saturday, the holidays are Monday 27 and Tuesday 28;
// when it is a Sunday, Monday 26 and Tuesday 27; when Boxing Day is a
// Saturday, it moves to Monday 28. Some years the government moved a bank
// holiday by proclamation:
//
//	1995  Early May bank holiday on Monday May 8 (50th anniversary of VE Day), not May 1
//	2002  Spring bank holiday on Tuesday June 4 (Golden Jubilee), not May 27
//	2012  Spring bank holiday on Monday June 4 (Diamond Jubilee), not May 28
//	2020  Early May bank holiday on Friday May 8 (75th anniversary of VE Day), not May 4
//	2022  Spring bank holiday on Thursday June 2 (Platinum Jubilee), not May 30
//
// On top come the extra bank holidays, on which the exchange was closed
// too (see [ExchangeCalendar.Closures]): the millennium (1999-12-31), the
// Golden Jubilee (2002-06-03), the wedding of Prince William and Catherine
// Middleton (2011-04-29), the Diamond Jubilee (2012-06-05), the Platinum
// Jubilee (2022-06-03), the state funeral of Queen Elizabeth II
// (2022-09-19) and the coronation of King Charles III (2023-05-08). The
// bank holidays of Scotland and Northern Ireland (January 2, St Andrew's
// Day, St Patrick's Day, the Twelfth) are trading days.
//
// Continuous trading ends at 16:30 London time, and the closing auction
// that sets the day's close runs from 16:30 to 16:35 and ends at a random
// moment within the next 30 seconds: a bar is final at 16:36, which
// SessionEnd returns. On Christmas Eve and New Year's Eve the markets
// close from 12:30 (final at 12:36); when either is a Saturday or a
// Sunday, the Friday before closes early instead. New Year's Eve 1999 was
// a bank holiday, not an early close.
//
// The rules are the bank holidays of England and Wales as the UK
// government publishes them (gov.uk, "UK bank holidays"), which the
// exchange keeps, and the exchange's own notices of its business days and
// of its Christmas and New Year trading hours (londonstockexchange.com and
// lseg.com, "Business days" and "Trading hours"). The calendar is exact
// from 1990 through 2026, follows the published bank holidays of 2027 and
// the rules after that; an extra bank holiday announced later must be
// added to it. Before 1990 it applies the same rules, without that era's
// extra bank holidays.
var LSE = newExchange(&exchange{
	name:     "London Stock Exchange",
	mic:      "XLON",
	suffix:   "L",
	zone:     "Europe/London",
	std:      0,
	closeH:   16,
	closeM:   36,
	first:    1990,
	holidays: lseHolidays,
	closures: []Closure{
		{Date: date(1999, time.December, 31), Why: "millennium bank holiday"},
		{Date: date(2002, time.June, 3), Why: "Golden Jubilee of Queen Elizabeth II"},
		{Date: date(2011, time.April, 29), Why: "wedding of Prince William and Catherine Middleton"},
		{Date: date(2012, time.June, 5), Why: "Diamond Jubilee of Queen Elizabeth II"},
		{Date: date(2022, time.June, 3), Why: "Platinum Jubilee of Queen Elizabeth II"},
		{Date: date(2022, time.September, 19), Why: "state funeral of Queen Elizabeth II"},
		{Date: date(2023, time.May, 8), Why: "coronation of King Charles III"},
	},
	early: lseEarlyCloses,
})

// lseHolidays appends the bank holidays of England and Wales of year y, as
// observed, to dst. Each falls within year y: New Year's Day moves at most
// to January 3, Christmas and Boxing Day at most to December 28.
func lseHolidays(dst []Day, y int) []Day {
	e := easter(y)
	earlyMay := nthWeekday(y, time.May, time.Monday, 1)
	switch y {
	case 1995, 2020:
		earlyMay = civilDay(y, time.May, 8) // VE Day
	}
	spring := lastWeekday(y, time.May, time.Monday)
	switch y {
	case 2002, 2012:
		spring = civilDay(y, time.June, 4)
	case 2022:
		spring = civilDay(y, time.June, 2)
	}
	christmas := substitute(civilDay(y, time.December, 25))
	boxing := substitute(civilDay(y, time.December, 26))
	if boxing == christmas {
		boxing++
	}
	return append(dst,
		substitute(civilDay(y, time.January, 1)),
		e-2,
		e+1,
		earlyMay,
		spring,
		lastWeekday(y, time.August, time.Monday),
		christmas,
		boxing,
	)
}

// lseEarlyCloses appends the LSE's early closes of year y to dst: 12:30 on
// Christmas Eve and New Year's Eve, or on the Friday before either when it
// falls on a weekend.
func lseEarlyCloses(dst []EarlyClose, y int) []EarlyClose {
	dst = append(dst, EarlyClose{Date: previousWeekday(civilDay(y, time.December, 24)).Time(), Hour: 12, Minute: 36})
	if y != 1999 { // the millennium bank holiday
		dst = append(dst, EarlyClose{Date: previousWeekday(civilDay(y, time.December, 31)).Time(), Hour: 12, Minute: 36})
	}
	return dst
}
