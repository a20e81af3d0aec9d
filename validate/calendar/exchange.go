package calendar

import (
	"sync"
	"time"
)

// An ExchangeCalendar is the calendar of one exchange by its rules: its
// time zone, its regular close, its full-day holidays by rule (Easter-based
// days, holidays moved off the weekend, …), the special full-day closures
// it announced (each dated, with its reason) and its early closes. The
// exchanges' calendars of this package are its values, such as [LSE]; see
// the package documentation for where each one's rules come from.
//
// Its tables cover its first year (1990, or the start of the exchange's
// electronic era) through 2100; before and after, it applies the rules
// without the special closures. It is safe for concurrent use.
type ExchangeCalendar struct{ x *exchange }

var _ SessionCalendar = ExchangeCalendar{}

// An exchange is what an ExchangeCalendar is built from.
type exchange struct {
	name string // the exchange's name, such as "London Stock Exchange"
	mic  string // its market identifier code (ISO 10383), such as "XLON"
	// suffix is its Yahoo market suffix, such as "L", by which [For]
	// routes listings to it.
	suffix string
	zone   string // its IANA time zone
	// std is the zone's standard offset from UTC, the fallback where the
	// system has no time zone database: a clock never ahead of the
	// exchange's, so that sessions are judged late, never early.
	std time.Duration
	// close is the regular close, local time, as hours and minutes.
	closeH, closeM int
	// closeChanges are the later regular closes, in date order, where the
	// exchange changed its trading hours: from its day on, each replaces
	// closeH and closeM.
	closeChanges []closeChange
	// first is the first year of the tables.
	first int
	// holidays appends the full-day holidays of year y, as observed, to
	// dst. They must fall within year y.
	holidays func(dst []Day, y int) []Day
	// closures are the special full-day closures since first.
	closures []Closure
	// early appends the early closes of year y to dst.
	early func(dst []EarlyClose, y int) []EarlyClose

	once   sync.Once // builds tables on first use
	tables *exchangeTables
	loc    func() *time.Location
}

// A Closure is a special full-day closure of an exchange: a weekday that
// its rules make a trading day, on which it did not trade.
type Closure struct {
	Date time.Time // midnight UTC of the calendar date
	Why  string
}

// A closeChange is a change of an exchange's regular close: from the day
// from on, its sessions close at hour:minute, local time.
type closeChange struct {
	from         Day
	hour, minute int
}

// An EarlyClose is a trading day on which an exchange closes before its
// regular close.
type EarlyClose struct {
	Date   time.Time // midnight UTC of the calendar date
	Hour   int       // the close, local time
	Minute int
}

// lastTableYear is the last year of every exchange's tables.
const lastTableYear = 2100

type exchangeTables struct {
	closed *dayTable
	early  map[Day][2]int // hour, minute
}

// newExchange returns the calendar of x. Its tables are built on first
// use: a program pays only for the exchanges it meets.
func newExchange(x *exchange) ExchangeCalendar {
	x.loc = sync.OnceValue(func() *time.Location {
		loc, err := time.LoadLocation(x.zone)
		if err != nil {
			return time.FixedZone(x.mic, int(x.std/time.Second))
		}
		return loc
	})
	return ExchangeCalendar{x}
}

// table returns x's tables, built on the first call.
func (x *exchange) table() *exchangeTables {
	x.once.Do(func() {
		extra := make([]Day, len(x.closures))
		for i, c := range x.closures {
			extra[i] = DayOf(c.Date)
		}
		t := &exchangeTables{closed: newDayTable(x.first, lastTableYear, x.holidays, extra), early: map[Day][2]int{}}
		if x.early != nil {
			var buf []EarlyClose
			for y := x.first; y <= lastTableYear; y++ {
				for _, e := range x.early(buf[:0], y) {
					t.early[DayOf(e.Date)] = [2]int{e.Hour, e.Minute}
				}
			}
		}
		x.tables = t
	})
	return x.tables
}

// Name returns the exchange's name, such as "London Stock Exchange".
func (c ExchangeCalendar) Name() string { return c.x.name }

// MIC returns the exchange's market identifier code, such as "XLON".
func (c ExchangeCalendar) MIC() string { return c.x.mic }

// Suffix returns the exchange's Yahoo market suffix, such as "L" (as in
// OCDO.L), by which [For] routes listings to it.
func (c ExchangeCalendar) Suffix() string { return c.x.suffix }

// IsTradingDay reports whether the exchange holds a session on the
// calendar date of t.
func (c ExchangeCalendar) IsTradingDay(t time.Time) bool { return c.open(DayOf(t)) }

// TradingDays returns the exchange's trading days from the date of from to
// the date of to, both included, in order, as midnight UTC.
func (c ExchangeCalendar) TradingDays(from, to time.Time) []time.Time {
	closed := c.x.table().closed
	return tradingDays(DayOf(from), DayOf(to), func(d Day) bool { return !d.weekend() && !closed.closed(d) })
}

// Location returns the exchange's time zone. Where the system has no time
// zone database (and the program does not import time/tzdata), it returns
// the zone's standard time all year round: a clock never ahead of the
// exchange's, so that sessions are judged late in summer, never early.
func (c ExchangeCalendar) Location() *time.Location { return c.x.loc() }

// SessionEnd returns the close of the session of the calendar date of d,
// in the exchange's time zone: the early close on an early-close day, the
// regular close otherwise.
func (c ExchangeCalendar) SessionEnd(d time.Time) time.Time {
	day := DayOf(d)
	h, m := c.x.closeH, c.x.closeM
	for _, ch := range c.x.closeChanges {
		if day >= ch.from {
			h, m = ch.hour, ch.minute
		}
	}
	if e, ok := c.x.table().early[day]; ok {
		h, m = e[0], e[1]
	}
	y, mo, dd := day.civil()
	return time.Date(y, mo, dd, h, m, 0, 0, c.Location())
}

// Closures returns the exchange's special full-day closures, in date
// order.
func (c ExchangeCalendar) Closures() []Closure { return append([]Closure(nil), c.x.closures...) }

func (c ExchangeCalendar) open(d Day) bool { return !d.weekend() && !c.x.table().closed.closed(d) }

// A dayTable holds the closed weekdays of a range of years, one bit a day,
// so that asking costs a few nanoseconds.
type dayTable struct {
	start, end Day
	bits       []uint64
	holidays   func(dst []Day, y int) []Day // for the years outside the table
}

// newDayTable returns the table of the years first through last: the
// holidays of each year and the extra days.
func newDayTable(first, last int, holidays func(dst []Day, y int) []Day, extra []Day) *dayTable {
	t := &dayTable{start: civilDay(first, time.January, 1), end: civilDay(last, time.December, 31), holidays: holidays}
	t.bits = make([]uint64, (t.end-t.start)/64+1)
	var buf [32]Day
	for y := first; y <= last; y++ {
		for _, d := range holidays(buf[:0], y) {
			t.set(d)
		}
	}
	for _, d := range extra {
		t.set(d)
	}
	return t
}

func (t *dayTable) set(d Day) {
	if d < t.start || d > t.end {
		return
	}
	i := d - t.start
	t.bits[i/64] |= 1 << (i % 64)
}

// closed reports whether d is closed: by the table within its years, by
// the holidays of d's year outside them.
func (t *dayTable) closed(d Day) bool {
	if d >= t.start && d <= t.end {
		i := d - t.start
		return t.bits[i/64]&(1<<(i%64)) != 0
	}
	y, _, _ := d.civil()
	var buf [32]Day
	for _, h := range t.holidays(buf[:0], y) {
		if h == d {
			return true
		}
	}
	return false
}

// date returns midnight UTC of a calendar date, for the tables of closures
// and early closes.
func date(y int, m time.Month, d int) time.Time { return civilDay(y, m, d).Time() }

// substitute moves a holiday on a Saturday or a Sunday to the Monday after.
func substitute(d Day) Day {
	switch d.weekday() {
	case time.Saturday:
		return d + 2
	case time.Sunday:
		return d + 1
	}
	return d
}

// previousWeekday moves a day on a Saturday or a Sunday to the Friday
// before, as for an early close due on a weekend.
func previousWeekday(d Day) Day {
	switch d.weekday() {
	case time.Saturday:
		return d - 1
	case time.Sunday:
		return d - 2
	}
	return d
}

// christmasBoxing returns Christmas Day and Boxing Day of year y as the
// exchanges that keep both observe them: a day on a weekend moves to the
// next weekday the other one does not take. Christmas on a Friday gives
// Friday 25 and Monday 28; on a Saturday, Monday 27 and Tuesday 28; on a
// Sunday, Monday 26 (Boxing Day) and Tuesday 27.
func christmasBoxing(y int) (christmas, boxing Day) {
	christmas = substitute(civilDay(y, time.December, 25))
	boxing = substitute(civilDay(y, time.December, 26))
	if boxing == christmas {
		boxing++
	}
	return christmas, boxing
}
