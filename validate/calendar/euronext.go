package calendar

import "time"

// EuronextParis is the calendar of Euronext Paris, the market of French
// listings (Yahoo suffix .PA), in Europe/Paris: the Paris Bourse (SBF)
// until it merged into Euronext in 2000. Its tables start in 1990.
//
// Since 2002 the Euronext markets share one set of holidays, and a weekday
// is a trading day unless it is one of them:
//
//	New Year's Day   January 1
//	Good Friday      two days before Easter Sunday
//	Easter Monday    the day after Easter Sunday
//	Labour Day       May 1
//	Christmas Day    December 25
//	Boxing Day       December 26
//
// Before 2002 Paris kept its own: the six above, except Boxing Day in 1996
// and 1997, and besides them
//
//	Whit Monday      50 days after Easter Sunday
//	Bastille Day     July 14
//	New Year's Eve   December 31, through 1995 and from 1998
//
// A holiday on a Saturday or a Sunday is not moved to a weekday. The
// market calendar of 1998 closed it on five more days, its special
// closures: Victory Day (05-08), Ascension Day (05-21), the bridge day
// before Bastille Day (07-13), Armistice Day (11-11) and Christmas Eve
// (12-24).
//
// Trading ends with a closing auction whose prices are set at 17:35 Paris
// time, the session end. On December 24 and 31 the market closes early,
// continuous trading ending at 14:00 and the closing auction at 14:05
// (listed from 2002; before, those days end at the regular close).
//
// The rules come from Euronext's "Trading hours & holidays" page and its
// yearly holiday-calendar press releases (www.euronext.com), and for the
// years before 2002 from the notices and market calendars of the SBF and
// Euronext Paris (1996 to 2002) as archived by the Internet Archive; the
// years before 1996 keep the rules of 1995's calendar as known, see the
// package's test data.
var EuronextParis = newExchange(&exchange{
	name:     "Euronext Paris",
	mic:      "XPAR",
	suffix:   "PA",
	zone:     "Europe/Paris",
	std:      time.Hour,
	closeH:   17,
	closeM:   35,
	first:    1990,
	holidays: parisHolidays,
	closures: []Closure{
		{Date: date(1998, time.May, 8), Why: "Victory Day, market calendar of 1998"},
		{Date: date(1998, time.May, 21), Why: "Ascension Day, market calendar of 1998"},
		{Date: date(1998, time.July, 13), Why: "bridge day before Bastille Day, market calendar of 1998"},
		{Date: date(1998, time.November, 11), Why: "Armistice Day, market calendar of 1998"},
		{Date: date(1998, time.December, 24), Why: "Christmas Eve, market calendar of 1998"},
	},
	early: euronextEarly,
})

// EuronextAmsterdam is the calendar of Euronext Amsterdam, the market of
// Dutch listings (Yahoo suffix .AS), in Europe/Amsterdam: the Amsterdam
// Exchanges (AEX) until they merged into Euronext in 2000. Its tables
// start in 1990.
//
// Since 2002 it keeps the Euronext holidays of [EuronextParis]. Before,
// besides those six, it closed on
//
//	Queen's Day      April 30
//	Ascension Day    39 days after Easter Sunday, through 2000
//	Whit Monday      50 days after Easter Sunday
//	New Year's Eve   December 31
//
// A holiday on a Saturday or a Sunday is not moved to a weekday. It has
// had no special full-day closures since 1990.
//
// Its closing times are those of Euronext Paris: 17:35 Amsterdam time,
// and 14:05 on December 24 and 31 (listed from 2002).
//
// The rules come from Euronext's "Trading hours & holidays" page and its
// yearly holiday-calendar press releases (www.euronext.com); the years
// before 2002 follow the AEX holidays as the published calendars
// libraries record them, see the package's test data.
var EuronextAmsterdam = newExchange(&exchange{
	name:     "Euronext Amsterdam",
	mic:      "XAMS",
	suffix:   "AS",
	zone:     "Europe/Amsterdam",
	std:      time.Hour,
	closeH:   17,
	closeM:   35,
	first:    1990,
	holidays: amsterdamHolidays,
	early:    euronextEarly,
})

// euronextHolidays appends the holidays the Euronext markets share, those
// of every year since 2002, to dst.
func euronextHolidays(dst []Day, y int) []Day {
	e := easter(y)
	return append(dst,
		civilDay(y, time.January, 1),
		e-2,
		e+1,
		civilDay(y, time.May, 1),
		civilDay(y, time.December, 25),
		civilDay(y, time.December, 26),
	)
}

// parisHolidays appends Euronext Paris's holidays of year y to dst.
func parisHolidays(dst []Day, y int) []Day {
	if y >= 2002 {
		return euronextHolidays(dst, y)
	}
	e := easter(y)
	dst = append(dst,
		civilDay(y, time.January, 1),
		e-2,
		e+1,
		civilDay(y, time.May, 1),
		e+50,
		civilDay(y, time.July, 14),
		civilDay(y, time.December, 25),
	)
	if y != 1996 && y != 1997 {
		dst = append(dst, civilDay(y, time.December, 26), civilDay(y, time.December, 31))
	}
	return dst
}

// amsterdamHolidays appends Euronext Amsterdam's holidays of year y to dst.
func amsterdamHolidays(dst []Day, y int) []Day {
	dst = euronextHolidays(dst, y)
	if y >= 2002 {
		return dst
	}
	e := easter(y)
	dst = append(dst, civilDay(y, time.April, 30), e+50, civilDay(y, time.December, 31))
	if y <= 2000 {
		dst = append(dst, e+39)
	}
	return dst
}

// euronextEarly appends the early closes of year y, December 24 and 31
// from 2002, to dst.
func euronextEarly(dst []EarlyClose, y int) []EarlyClose {
	if y < 2002 {
		return dst
	}
	for _, d := range [...]Day{civilDay(y, time.December, 24), civilDay(y, time.December, 31)} {
		if !d.weekend() {
			dst = append(dst, EarlyClose{Date: d.Time(), Hour: 14, Minute: 5})
		}
	}
	return dst
}
