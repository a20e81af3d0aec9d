package calendar

import (
	"slices"
	"time"
)

// HKEX is the calendar of the Stock Exchange of Hong Kong (Hong Kong
// Exchanges and Clearing, MIC XHKG, Yahoo suffix .HK), Asia/Hong_Kong
// time (UTC+8, no daylight saving time).
//
// A weekday is a trading day unless it is a general holiday of Hong Kong,
// as the General Holidays Ordinance (Cap. 149) sets them and the
// government gazettes them each year, or a special closure:
//
//	New Year                  January 1
//	Lunar New Year            the first three days of the lunar year
//	Ching Ming Festival        April 4 or 5
//	Good Friday, Holy Saturday, Easter Monday
//	Labour Day                May 1, from 1999
//	Buddha's Birthday         8th day of the 4th lunar month, from 1999
//	Tuen Ng Festival          5th day of the 5th lunar month
//	HKSAR Establishment Day   July 1, from 1997
//	Mid-Autumn Festival       the day after the 15th of the 8th lunar month
//	National Day              October 1, from 1997 (and October 2 in 1997 and 1998)
//	Chung Yeung Festival      9th day of the 9th lunar month
//	Christmas                 December 25 and the first weekday after it
//	Queen's Birthday          a Monday in June, 1990 to 1996
//	Liberation Day            last Monday of August, 1990 to 1996
//
// A holiday that falls on a Sunday, or on another holiday, moves to the
// next day that is neither; a Saturday holiday stays where it is, so the
// exchange gains no day off. The exceptions are the ordinance's own:
// Christmas on a Saturday makes Monday the 27th the first weekday after
// it; when one of the three Lunar New Year days is a Sunday, the day
// before the Lunar New Year was the substitute until 2011 (a weekday
// only when the new year fell on a Friday or a Saturday) and the fourth
// day of the new year is since 2012; and when the day after Mid-Autumn
// was a Sunday, from 1983 to 2010 the festival itself (a Saturday) was
// the holiday, while from 2011 on it is the Monday. The Queen's Birthday
// was the Monday after the Queen's official birthday (a Saturday of June
// chosen each year), moved to the Tuesday in 1991 and 1994, when Tuen Ng
// was on that Monday. The lunar holidays come from a table of their
// Gregorian dates, 1990 through 2030; after 2030 the calendar knows
// only the solar and Easter holidays and treats the lunar ones as
// trading days, the safe side.
//
// On top of these come the special closures since 1990, every one with
// its reason (see [ExchangeCalendar.Closures]): the one-off general
// holidays of the 1997 handover, the millennium (1999-12-31) and the war
// anniversary (2015-09-03), and the days when typhoon signal No. 8 or
// above, or the black rainstorm warning, was still in force at noon,
// which cancels a whole day's trading. A signal lowered before noon
// cancels only the morning: those days are trading days. Since
// 2024-09-23 the exchange trades through severe weather.
//
// The regular close was 16:00 until 2008-05-23; 16:10 (a random close
// between 16:08 and 16:10 after a closing auction) from 2008-05-26 to
// 2009-03-20; 16:00 again from 2009-03-23; 16:10 from 2016-07-25, when
// the closing auction returned. On Christmas Eve, New Year's Eve and
// Lunar New Year's Eve, when they are trading days, only the morning
// session trades: the close was 12:30 (12:40 during the first closing
// auction), 12:00 from 2011-03-07, when the morning session was moved to
// end at noon, and 12:10 since 2016-07-25.
//
// The rules are those of the General Holidays Ordinance and the yearly
// lists of general holidays on www.gov.hk; the closing times and the
// weather closures are those of HKEX's news releases and its trading-hours
// and severe-weather pages on www.hkex.com.hk. The tests hold the
// calendar to a list of closed days assembled from these, 1990 through
// 2026 (testdata/xhkg/SOURCE.md says where each part comes from).
var HKEX = newExchange(&exchange{
	name:   "Hong Kong Exchanges and Clearing",
	mic:    "XHKG",
	suffix: "HK",
	zone:   "Asia/Hong_Kong",
	std:    8 * time.Hour,
	closeH: 16, closeM: 0,
	closeChanges: []closeChange{
		{civilDay(2008, time.May, 26), 16, 10},
		{civilDay(2009, time.March, 23), 16, 0},
		{civilDay(2016, time.July, 25), 16, 10},
	},
	first:    1990,
	holidays: hkexHolidays,
	closures: hkexClosures,
	early:    hkexEarly,
})

// hkexClosures are the special full-day closures of HKEX since 1990.
var hkexClosures = []Closure{
	{Date: date(1992, time.July, 22), Why: "typhoon signal No. 8 (Cary)"},
	{Date: date(1993, time.September, 17), Why: "typhoon signal No. 8 (Becky)"},
	{Date: date(1997, time.June, 30), Why: "Queen's Birthday, the last, the day before the handover"},
	{Date: date(1997, time.July, 2), Why: "the day following HKSAR Establishment Day, 1997 only"},
	{Date: date(1997, time.August, 18), Why: "Sino-Japanese War Victory Day, 1997 only"},
	{Date: date(1998, time.August, 17), Why: "Sino-Japanese War Victory Day, 1998 only"},
	{Date: date(1999, time.September, 16), Why: "typhoon signal No. 8 (York)"},
	{Date: date(1999, time.December, 31), Why: "millennium: an additional general holiday"},
	{Date: date(2001, time.July, 6), Why: "typhoon signal No. 8 (Utor)"},
	{Date: date(2001, time.July, 25), Why: "typhoon signal No. 8 (Yutu)"},
	{Date: date(2008, time.August, 6), Why: "typhoon signal No. 8 (Kammuri)"},
	{Date: date(2008, time.August, 22), Why: "typhoon signal No. 8 (Nuri)"},
	{Date: date(2011, time.September, 29), Why: "typhoon signal No. 8 (Nesat)"},
	{Date: date(2013, time.August, 14), Why: "typhoon signal No. 8 (Utor)"},
	{Date: date(2015, time.September, 3), Why: "70th anniversary of the victory in the War of Resistance, a general holiday"},
	{Date: date(2016, time.August, 2), Why: "typhoon signal No. 8 (Nida)"},
	{Date: date(2016, time.October, 21), Why: "typhoon signal No. 8 (Haima)"},
	{Date: date(2017, time.August, 23), Why: "typhoon signal No. 10 (Hato)"},
	{Date: date(2020, time.October, 13), Why: "typhoon signal No. 8 (Nangka)"},
	{Date: date(2021, time.October, 13), Why: "typhoon signal No. 8 (Kompasu)"},
	{Date: date(2023, time.July, 17), Why: "typhoon signal No. 8 (Talim)"},
	{Date: date(2023, time.September, 1), Why: "typhoon signal No. 8 and No. 10 (Saola)"},
	{Date: date(2023, time.September, 8), Why: "black rainstorm warning"},
	{Date: date(2024, time.September, 6), Why: "typhoon signal No. 8 (Yagi)"},
}

// hkexLunar holds the Gregorian dates (month*100 + day) of Hong Kong's
// lunar holidays and Ching Ming, by year from hkexLunarFirst: Lunar New
// Year's Day, Ching Ming, Buddha's Birthday, Tuen Ng, the Mid-Autumn
// Festival itself (the holiday is the day after) and Chung Yeung.
var hkexLunar = [...][6]int{
	{127, 405, 502, 528, 1003, 1026}, // 1990
	{215, 405, 521, 616, 922, 1016},  // 1991
	{204, 404, 510, 605, 911, 1004},  // 1992
	{123, 405, 528, 624, 930, 1023},  // 1993
	{210, 405, 518, 613, 920, 1013},  // 1994
	{131, 405, 507, 602, 909, 1101},  // 1995
	{219, 404, 524, 620, 927, 1020},  // 1996
	{207, 405, 514, 609, 916, 1010},  // 1997
	{128, 405, 503, 530, 1005, 1028}, // 1998
	{216, 405, 522, 618, 924, 1017},  // 1999
	{205, 404, 511, 606, 912, 1006},  // 2000
	{124, 405, 430, 625, 1001, 1025}, // 2001
	{212, 405, 519, 615, 921, 1014},  // 2002
	{201, 405, 508, 604, 911, 1004},  // 2003
	{122, 404, 526, 622, 928, 1022},  // 2004
	{209, 405, 515, 611, 918, 1011},  // 2005
	{129, 405, 505, 531, 1006, 1030}, // 2006
	{218, 405, 524, 619, 925, 1019},  // 2007
	{207, 404, 512, 608, 914, 1007},  // 2008
	{126, 404, 502, 528, 1003, 1026}, // 2009
	{214, 405, 521, 616, 922, 1016},  // 2010
	{203, 405, 510, 606, 912, 1005},  // 2011
	{123, 404, 428, 623, 930, 1023},  // 2012
	{210, 404, 517, 612, 919, 1013},  // 2013
	{131, 405, 506, 602, 908, 1002},  // 2014
	{219, 405, 525, 620, 927, 1021},  // 2015
	{208, 404, 514, 609, 915, 1009},  // 2016
	{128, 404, 503, 530, 1004, 1028}, // 2017
	{216, 405, 522, 618, 924, 1017},  // 2018
	{205, 405, 512, 607, 913, 1007},  // 2019
	{125, 404, 430, 625, 1001, 1025}, // 2020
	{212, 404, 519, 614, 921, 1014},  // 2021
	{201, 405, 508, 603, 910, 1004},  // 2022
	{122, 405, 526, 622, 929, 1023},  // 2023
	{210, 404, 515, 610, 917, 1011},  // 2024
	{129, 404, 505, 531, 1006, 1029}, // 2025
	{217, 405, 524, 619, 925, 1018},  // 2026
	{206, 405, 513, 609, 915, 1008},  // 2027
	{126, 404, 502, 528, 1003, 1026}, // 2028
	{213, 404, 520, 616, 922, 1016},  // 2029
	{203, 405, 509, 605, 912, 1005},  // 2030
}

const hkexLunarFirst = 1990

// hkexLunarDays returns the lunar dates of year y as days, and whether
// the table has them.
func hkexLunarDays(y int) (lny, chingMing, buddha, tuenNg, midAutumn, chungYeung Day, ok bool) {
	i := y - hkexLunarFirst
	if i < 0 || i >= len(hkexLunar) {
		return 0, 0, 0, 0, 0, 0, false
	}
	d := func(md int) Day { return civilDay(y, time.Month(md/100), md%100) }
	r := hkexLunar[i]
	return d(r[0]), d(r[1]), d(r[2]), d(r[3]), d(r[4]), d(r[5]), true
}

// hkexHolidays appends Hong Kong's general holidays of year y that fall
// on weekdays, as observed, to dst.
func hkexHolidays(dst []Day, y int) []Day {
	var h hkexYear
	lny, chingMing, buddha, tuenNg, midAutumn, chungYeung, lunar := hkexLunarDays(y)

	h.move(civilDay(y, time.January, 1))
	if lunar {
		switch wd := lny.weekday(); {
		case wd == time.Sunday && y >= 2012:
			h.add(lny+1, lny+2, lny+3)
		case wd == time.Sunday:
			h.add(lny-1, lny+1, lny+2)
		case wd == time.Saturday && y >= 2012:
			h.add(lny, lny+2, lny+3)
		case wd == time.Saturday:
			h.add(lny-1, lny, lny+2)
		case wd == time.Friday && y >= 2012:
			h.add(lny, lny+1, lny+3)
		case wd == time.Friday:
			h.add(lny-1, lny, lny+1)
		default:
			h.add(lny, lny+1, lny+2)
		}
	}
	e := easter(y)
	h.add(e-2, e-1)
	h.move(e + 1)
	if lunar {
		h.move(chingMing)
	}
	if y >= 1999 {
		h.move(civilDay(y, time.May, 1))
		if lunar {
			h.move(buddha)
		}
	}
	if y <= 1996 {
		h.move(hkexQueensBirthday[y-hkexLunarFirst])
	}
	if lunar {
		h.move(tuenNg)
	}
	if y >= 1997 {
		h.move(civilDay(y, time.July, 1))
	}
	if y <= 1996 {
		h.add(lastWeekday(y, time.August, time.Monday))
	}
	if lunar {
		switch after := midAutumn + 1; {
		case after.weekday() != time.Sunday:
			h.add(after)
		case y >= 2011:
			h.move(after)
		default:
			h.add(midAutumn) // the Saturday
		}
		h.move(chungYeung)
	}
	if y >= 1997 {
		h.move(civilDay(y, time.October, 1))
		if y <= 1998 {
			h.add(civilDay(y, time.October, 2))
		}
	}
	christmas := civilDay(y, time.December, 25)
	h.move(christmas)
	h.move(christmas + 1)

	for _, d := range h.days {
		if !d.weekend() {
			dst = append(dst, d)
		}
	}
	return dst
}

// hkexQueensBirthday are the Mondays of the Queen's Birthday, after the
// Queen's official birthday, 1990 through 1996.
var hkexQueensBirthday = [...]Day{
	civilDay(1990, time.June, 18),
	civilDay(1991, time.June, 17),
	civilDay(1992, time.June, 15),
	civilDay(1993, time.June, 14),
	civilDay(1994, time.June, 13),
	civilDay(1995, time.June, 19),
	civilDay(1996, time.June, 17),
}

// hkexYear collects the general holidays of a year, Saturdays and
// Sundays included, so that a holiday moved off a Sunday or off another
// holiday finds the next free day.
type hkexYear struct{ days []Day }

// add adds holidays that stay where they are.
func (h *hkexYear) add(ds ...Day) { h.days = append(h.days, ds...) }

// move adds a holiday on d, or, when d is a Sunday or already a holiday,
// on the next day that is neither.
func (h *hkexYear) move(d Day) {
	for d.weekday() == time.Sunday || slices.Contains(h.days, d) {
		d++
	}
	h.days = append(h.days, d)
}

// hkexEarly appends the half days of year y to dst: Christmas Eve, New
// Year's Eve and Lunar New Year's Eve, when they are trading days.
func hkexEarly(dst []EarlyClose, y int) []EarlyClose {
	eves := []Day{civilDay(y, time.December, 24), civilDay(y, time.December, 31)}
	if lny, _, _, _, _, _, ok := hkexLunarDays(y); ok {
		eves = append(eves, lny-1)
	}
	var buf [32]Day
	holidays := hkexHolidays(buf[:0], y)
	for _, d := range eves {
		if d.weekend() || slices.Contains(holidays, d) || hkexClosed(d) {
			continue
		}
		h, m := hkexHalfDayClose(d)
		dst = append(dst, EarlyClose{Date: d.Time(), Hour: h, Minute: m})
	}
	return dst
}

// hkexHalfDayClose returns the close of a half day d.
func hkexHalfDayClose(d Day) (int, int) {
	switch {
	case d >= civilDay(2016, time.July, 25):
		return 12, 10
	case d >= civilDay(2011, time.March, 7):
		return 12, 0
	case d >= civilDay(2008, time.May, 26) && d < civilDay(2009, time.March, 23):
		return 12, 40
	}
	return 12, 30
}

// hkexClosed reports whether d is one of hkexClosures.
func hkexClosed(d Day) bool {
	for _, c := range hkexClosures {
		if DayOf(c.Date) == d {
			return true
		}
	}
	return false
}
