package calendar

import "time"

// Xetra is the calendar of Deutsche Börse's Xetra, the market of German
// listings (Yahoo suffix .DE), in Europe/Berlin. Before Xetra opened, on
// 1997-11-28, it is the calendar of the Frankfurt Stock Exchange
// (Frankfurter Wertpapierbörse) whose trading days Xetra kept; its tables
// start in 1990.
//
// A weekday is a trading day unless it is one of these holidays:
//
//	New Year's Day        January 1
//	Good Friday           two days before Easter Sunday
//	Easter Monday         the day after Easter Sunday
//	Labour Day            May 1
//	Ascension Day         39 days after Easter Sunday, through 1999
//	Whit Monday           50 days after Easter Sunday, through 1999
//	                      and from 2015 through 2021
//	Corpus Christi        60 days after Easter Sunday, through 1999
//	Day of Repentance     the Wednesday before November 23, through 1994
//	Day of German Unity   October 3, through 1999 and from 2014 through 2021
//	Christmas Eve         December 24
//	Christmas Day         December 25
//	Boxing Day            December 26
//	New Year's Eve        December 31
//
// A holiday on a Saturday or a Sunday is not moved to a weekday. Until
// 1999 the exchange closed on the public holidays of Hesse; from 2000 it
// traded on Ascension Day, Whit Monday, Corpus Christi and the Day of
// German Unity, as London and New York did. It closed again on Whit Monday
// and German Unity Day for a few years, and has traded on both since 2022.
// The Day of Repentance stopped being a public holiday after 1994.
//
// On top of these come its special full-day closures: the tenth Day of
// German Unity (2000-10-03), Whit Monday 2007 (2007-05-28, when New York
// and London were closed too) and the 500th Reformation Day (2017-10-31).
//
// Trading ends with a closing auction whose call phase starts at 17:30
// and ends at a random moment just after 17:35, when the closing prices
// are set; the session end is therefore 17:36 Berlin time. On the last trading day of the year the closing auction
// starts at 14:00, and the session ends at 14:06 (the early closes are
// listed from 2010). Before Xetra and for the floor these were other
// hours; the calendar uses today's.
//
// The rules come from Deutsche Börse's trading calendars on
// www.xetra.com and www.deutsche-boerse-cash-market.com ("Trading
// calendar and trading hours", which lists the coming years) and from its
// announcements as reported by the Handelsblatt (trading on the four
// holidays from 2000, the closure of 2000-10-03, Whit Monday 2007); the
// years before 2000 follow the public holidays of Hesse.
var Xetra = newExchange(&exchange{
	name:     "Xetra",
	mic:      "XETR",
	suffix:   "DE",
	zone:     "Europe/Berlin",
	std:      time.Hour,
	closeH:   17,
	closeM:   36,
	first:    1990,
	holidays: xetraHolidays,
	closures: []Closure{
		{Date: date(2000, time.October, 3), Why: "tenth Day of German Unity"},
		{Date: date(2007, time.May, 28), Why: "Whit Monday, with New York and London closed"},
		{Date: date(2017, time.October, 31), Why: "500th anniversary of the Reformation"},
	},
	early: xetraEarly,
})

// xetraHolidays appends Xetra's holidays of year y to dst.
func xetraHolidays(dst []Day, y int) []Day {
	e := easter(y)
	dst = append(dst,
		civilDay(y, time.January, 1),
		e-2,
		e+1,
		civilDay(y, time.May, 1),
	)
	if y <= 1999 {
		dst = append(dst, e+39, e+60)
	}
	if y <= 1999 || (y >= 2015 && y <= 2021) {
		dst = append(dst, e+50)
	}
	if y <= 1994 {
		nov22 := civilDay(y, time.November, 22)
		dst = append(dst, nov22-Day((nov22.weekday()-time.Wednesday+7)%7))
	}
	if (y >= 1990 && y <= 1999) || (y >= 2014 && y <= 2021) {
		dst = append(dst, civilDay(y, time.October, 3))
	}
	return append(dst,
		civilDay(y, time.December, 24),
		civilDay(y, time.December, 25),
		civilDay(y, time.December, 26),
		civilDay(y, time.December, 31),
	)
}

// xetraEarly appends Xetra's early close of year y to dst: the last
// weekday before December 31, from 2010.
func xetraEarly(dst []EarlyClose, y int) []EarlyClose {
	if y < 2010 {
		return dst
	}
	d := civilDay(y, time.December, 30)
	for d.weekend() {
		d--
	}
	return append(dst, EarlyClose{Date: d.Time(), Hour: 14, Minute: 6})
}
