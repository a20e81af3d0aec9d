package calendar

import "time"

// TSX is the calendar of the Toronto Stock Exchange (MIC XTSE): Yahoo's
// .TO listings. Its zone is America/Toronto (UTC-5, UTC-4 in summer).
//
// A weekday is a trading day unless it is one of the exchange's holidays,
// those of Ontario and of Canada's federal calendar that TMX Group keeps:
//
//	New Year's Day     January 1; on a weekend, the Monday after
//	Family Day         third Monday of February, from 2008
//	Good Friday        two days before Easter Sunday
//	Victoria Day       the Monday before May 25
//	Canada Day         July 1; on a weekend, the Monday after
//	Civic Holiday      first Monday of August
//	Labour Day         first Monday of September
//	Thanksgiving Day   second Monday of October
//	Christmas Day      December 25
//	Boxing Day         December 26
//
// Christmas Day and Boxing Day on a weekend move to the next weekdays the
// other one does not take: Christmas on a Saturday closes Monday 27 and
// Tuesday 28, on a Sunday Monday 26 and Tuesday 27. Other federal days are
// trading days: Remembrance Day, the National Day for Truth and
// Reconciliation (a banking holiday only), and the day of Queen Elizabeth
// II's funeral, 2022-09-19, when TMX kept its markets open.
//
// The one special full-day closure since 1990 (its Closures) is
// 2001-09-12, after the attacks of September 11. On 2001-09-11 itself the
// exchange opened on time and halted an hour later; on 2008-12-17 and
// 2018-04-27 outages stopped trading after the open: those are trading
// days, with a bar. US holidays and US days of mourning are trading days
// too.
//
// The regular close is 16:00 Toronto time, when the closing call sets the
// closing price. From 2010 Christmas Eve on a weekday closes early, at
// 13:00; on a weekend there is no early close the day before.
//
// The rules come from TMX Group's published holiday schedules (the trading
// calendar pages of tsx.com and its yearly "TMX Group Holiday Operating
// Schedule" notices) and its operational notices; testdata/xtse/SOURCE.md
// lists each source and the years it covers.
var TSX = newExchange(&exchange{
	name:     "Toronto Stock Exchange",
	mic:      "XTSE",
	suffix:   "TO",
	zone:     "America/Toronto",
	std:      -5 * time.Hour,
	closeH:   16,
	first:    1990,
	holidays: tsxHolidays,
	closures: []Closure{
		{Date: date(2001, time.September, 12), Why: "markets closed after the terrorist attacks of September 11"},
	},
	early: tsxEarly,
})

// The first years of Family Day and of the TSX's early closes.
const (
	tsxFamilyDayFirstYear = 2008
	tsxEarlyFirstYear     = 2010
)

// tsxHolidays appends the TSX's holidays of year y to dst.
func tsxHolidays(dst []Day, y int) []Day {
	dst = append(dst, substitute(civilDay(y, time.January, 1)))
	if y >= tsxFamilyDayFirstYear {
		dst = append(dst, nthWeekday(y, time.February, time.Monday, 3))
	}
	victoria := civilDay(y, time.May, 24)
	victoria -= Day((victoria.weekday() - time.Monday + 7) % 7)
	christmas, boxing := christmasBoxing(y)
	return append(dst,
		easter(y)-2,
		victoria,
		substitute(civilDay(y, time.July, 1)),
		nthWeekday(y, time.August, time.Monday, 1),
		nthWeekday(y, time.September, time.Monday, 1),
		nthWeekday(y, time.October, time.Monday, 2),
		christmas, boxing,
	)
}

// tsxEarly appends the TSX's early close of year y to dst: Christmas Eve
// on a weekday, at 13:00.
func tsxEarly(dst []EarlyClose, y int) []EarlyClose {
	if eve := civilDay(y, time.December, 24); y >= tsxEarlyFirstYear && !eve.weekend() {
		dst = append(dst, EarlyClose{Date: eve.Time(), Hour: 13})
	}
	return dst
}
