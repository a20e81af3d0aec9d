package calendar

import (
	"slices"
	"time"
)

// TSE is the calendar of the Tokyo Stock Exchange (XTKS), where Japanese
// shares are listed (7203.T), in Japan Standard Time (Asia/Tokyo, UTC+9,
// with no daylight saving time).
//
// A weekday is a trading day unless it is one of the exchange's New Year
// holidays, December 31 to January 3, or a holiday under the National
// Holidays Act as the Act stood in that year:
//
//	New Year's Day             January 1
//	Coming of Age Day          second Monday of January
//	National Foundation Day    February 11
//	Emperor's Birthday         December 23 until 2018, February 23 from 2020
//	Vernal Equinox Day         the day of the March equinox, March 20 or 21
//	Showa Day                  April 29 (Greenery Day until 2006)
//	Constitution Memorial Day  May 3
//	Greenery Day               May 4, from 2007
//	Children's Day             May 5
//	Marine Day                 July 20 until 2002, third Monday of July from 2003
//	Mountain Day               August 11, from 2016
//	Respect for the Aged Day   September 15 until 2002, third Monday of September from 2003
//	Autumnal Equinox Day       the day of the September equinox, September 22 or 23
//	Sports Day                 second Monday of October (Health and Sports Day until 2019)
//	Culture Day                November 3
//	Labour Thanksgiving Day    November 23
//
// Two rules add days to these. A holiday on a Sunday gives a substitute
// holiday: the Monday after until 2006, and from 2007 the first day after
// it that is not a holiday itself (May 6 when May 3 or May 4 is a
// Sunday). A day between two holidays is a holiday too, the citizens'
// holiday: May 4 every year until 2006, and September 22 in 2009, 2015
// and 2026, between Respect for the Aged Day and the Autumnal Equinox.
//
// Some years differ. In 2019, the year of the imperial succession, May 1
// (the new Emperor's accession) and October 22 (his enthronement
// ceremony) were holidays by a special law, which made April 30 and May 2
// citizens' holidays, and there was no Emperor's Birthday. For the Tokyo
// Olympics, Marine Day, Sports Day and Mountain Day moved to July 23,
// July 24 and August 10 in 2020, and to July 22, July 23 and August 8 in
// 2021. The equinox days are fixed each February for the year after, from
// the astronomical ephemeris; the calendar computes them by the
// approximation that gives every published date from 1980 on.
//
// The exchange's one full-day closure since 2000 beyond its holidays is
// 2020-10-01, when a hardware failure of its trading system halted
// trading in every stock for the whole day; see [ExchangeCalendar.Closures].
//
// Sessions run 9:00 to 11:30 and 12:30 to the close: 15:00 until
// 2024-11-01, 15:30 from 2024-11-05, when the exchange lengthened its
// trading hours. It closes early on no scheduled day now; until 2009 the
// first and the last trading day of the year were half days that ended
// with the morning session at 11:00 (the last such days were 2008-12-30
// and 2009-01-05), and on 2006-01-18 it halted trading at 14:40, twenty
// minutes early, when its system neared its capacity.
//
// The rules are those of the Japan Exchange Group's market holiday and
// trading hours pages and notices (jpx.co.jp) and, for the national
// holidays, of the Cabinet Office's list of them ("National Holidays",
// cao.go.jp). The tests hold the calendar to a list of every closed
// weekday from 2000 through 2027 assembled from those lists, the last
// year as published in advance (testdata/xtks/SOURCE.md says how).
// Beyond, it follows the rules; a closure, a holiday created by law or a
// moved holiday announced later must be added to it. The calendar
// starts in 2000; before, it applies the rules of 2000.
var TSE = newExchange(&exchange{
	name:   "Tokyo Stock Exchange",
	mic:    "XTKS",
	suffix: "T",
	zone:   "Asia/Tokyo",
	std:    9 * time.Hour,
	closeH: 15,
	closeM: 0,
	closeChanges: []closeChange{
		{from: civilDay(2024, time.November, 5), hour: 15, minute: 30},
	},
	first:    2000,
	holidays: tokyoHolidays,
	closures: []Closure{
		{Date: date(2020, time.October, 1), Why: "equity trading system failure, trading halted all day"},
	},
	early: tokyoEarlyCloses,
})

// tokyoHolidays appends the TSE's holidays of year y to dst: the New Year
// holidays, the national holidays and the substitute and citizens'
// holidays they give.
func tokyoHolidays(dst []Day, y int) []Day {
	var buf [24]Day
	nat := japanHolidays(buf[:0], y)
	isNat := func(d Day) bool { return slices.Contains(nat, d) }
	dst = append(dst, civilDay(y, time.January, 2), civilDay(y, time.January, 3), civilDay(y, time.December, 31))
	dst = append(dst, nat...)
	for _, h := range nat {
		if h.weekday() == time.Sunday {
			s := h + 1
			for y >= 2007 && isNat(s) {
				s++
			}
			dst = append(dst, s)
		}
		if d := h + 1; !isNat(d) && isNat(d+1) {
			dst = append(dst, d) // a citizens' holiday
		}
	}
	return dst
}

// japanHolidays appends the national holidays of year y, by the National
// Holidays Act as it stood in y (or in 2000, for earlier years), to dst,
// without the substitute and citizens' holidays.
func japanHolidays(dst []Day, y int) []Day {
	monday := func(m time.Month, n int) Day { return nthWeekday(y, m, time.Monday, n) }
	day := func(m time.Month, d int) Day { return civilDay(y, m, d) }
	dst = append(dst,
		day(time.January, 1),
		monday(time.January, 2),
		day(time.February, 11),
		vernalEquinox(y),
		day(time.April, 29),
		day(time.May, 3),
		day(time.May, 5),
		autumnalEquinox(y),
		day(time.November, 3),
		day(time.November, 23),
	)
	switch {
	case y <= 2018:
		dst = append(dst, day(time.December, 23))
	case y >= 2020:
		dst = append(dst, day(time.February, 23))
	}
	if y >= 2007 {
		dst = append(dst, day(time.May, 4))
	}
	switch y {
	case 2019:
		dst = append(dst, day(time.May, 1), day(time.October, 22))
	case 2020: // the Tokyo Olympics
		return append(dst, day(time.July, 23), day(time.July, 24), day(time.August, 10), monday(time.September, 3))
	case 2021:
		return append(dst, day(time.July, 22), day(time.July, 23), day(time.August, 8), monday(time.September, 3))
	}
	if y <= 2002 {
		dst = append(dst, day(time.July, 20), day(time.September, 15))
	} else {
		dst = append(dst, monday(time.July, 3), monday(time.September, 3))
	}
	if y >= 2016 {
		dst = append(dst, day(time.August, 11))
	}
	return append(dst, monday(time.October, 2))
}

// vernalEquinox and autumnalEquinox return the days of the equinoxes in
// Japan by the approximation that agrees with every date the Cabinet
// Office published from 1980 on; its constants change in 2100, which is
// not a leap year. Outside 1980 to 2150 they return the day of the
// nearest of those years in the same month.
func vernalEquinox(y int) Day { return equinox(y, time.March, 20843100, 21851000) }

func autumnalEquinox(y int) Day { return equinox(y, time.September, 23248800, 24248800) }

// equinox returns the day in month m of year y given, in millionths of a
// day, by c + 0.242194(y-1980) - floor((y-1980)/4), where c is c1980
// before 2100 and c2100 after.
func equinox(y int, m time.Month, c1980, c2100 int) Day {
	c := c1980
	if y >= 2100 {
		c = c2100
	}
	n := min(max(y, 1980), 2150) - 1980
	return civilDay(y, m, (c+242194*n)/1000000-n/4)
}

// tokyoEarlyCloses appends the TSE's early closes of year y to dst: the
// half days of the first and the last trading day of each year until
// 2009-01-05, and the early halt of 2006-01-18.
func tokyoEarlyCloses(dst []EarlyClose, y int) []EarlyClose {
	if y > 2009 {
		return dst
	}
	var buf [32]Day
	hols := tokyoHolidays(buf[:0], y)
	open := func(d Day) bool { return !d.weekend() && !slices.Contains(hols, d) }
	half := func(d Day) EarlyClose { return EarlyClose{Date: d.Time(), Hour: 11} }
	d := civilDay(y, time.January, 4)
	for !open(d) {
		d++
	}
	dst = append(dst, half(d))
	if y == 2009 {
		return dst // the last day of 2009 was a full day
	}
	d = civilDay(y, time.December, 30)
	for !open(d) {
		d--
	}
	dst = append(dst, half(d))
	if y == 2006 {
		dst = append(dst, EarlyClose{Date: date(2006, time.January, 18), Hour: 14, Minute: 40})
	}
	return dst
}
