package calendar

import (
	"strings"
	"time"

	"github.com/pricefill/pricefill"
)

// A Calendar tells an exchange's trading days. Its dates are calendar days:
// a [time.Time] argument stands for its own year, month and day, whatever
// its time of day or location.
type Calendar interface {
	// IsTradingDay reports whether the exchange holds a session on the
	// calendar date of t. Early-close days are trading days.
	IsTradingDay(t time.Time) bool
	// TradingDays returns the trading days from the date of from to the
	// date of to, both included, in order, each as midnight UTC; none
	// when to is before from.
	TradingDays(from, to time.Time) []time.Time
}

// A SessionCalendar is a [Calendar] that also knows its exchange's time zone
// and when its sessions end, so that a bar is final at the close (see
// [Session]). For a plain Calendar the time zone is the asset's, and a
// session ends only when its calendar date does.
type SessionCalendar interface {
	Calendar
	// Location returns the exchange's time zone, in which "today" is told.
	Location() *time.Location
	// SessionEnd returns the instant after which the session of the
	// calendar date of d is over, whatever closing time the exchange had
	// that day: the regular close, never earlier. It must lie within two
	// days after the start of d in UTC.
	SessionEnd(d time.Time) time.Time
}

// WeekdayCalendar is the calendar of an exchange whose holidays are not
// known: every Monday to Friday is a trading day. [Weekdays] is its value.
type WeekdayCalendar struct{}

// Weekdays is the calendar for exchanges without a calendar of their own in
// this package: it rejects weekends only and expects a bar on every
// weekday.
var Weekdays WeekdayCalendar

var _ Calendar = Weekdays

// IsTradingDay reports whether the date of t is a Monday to Friday.
func (WeekdayCalendar) IsTradingDay(t time.Time) bool { return !DayOf(t).weekend() }

// TradingDays returns the weekdays from the date of from to the date of
// to, both included, as midnight UTC.
func (WeekdayCalendar) TradingDays(from, to time.Time) []time.Time {
	return tradingDays(DayOf(from), DayOf(to), func(d Day) bool { return !d.weekend() })
}

// tradingDays returns the days from a to b, both included, for which open
// reports true, as midnight UTC.
func tradingDays(a, b Day, open func(Day) bool) []time.Time {
	if b < a {
		return nil
	}
	out := make([]time.Time, 0, (b-a+1)*5/7+2)
	for d := a; d <= b; d++ {
		if open(d) {
			out = append(out, d.Time())
		}
	}
	return out
}

// A ForFunc chooses the calendar of an asset; it must not return nil.
// [For] is the default; the backfill runner takes another one with its
// WithCalendarFor option, and uses it for everything it does by calendar.
type ForFunc func(a pricefill.Asset) Calendar

// For returns the calendar of a listing: [NYSE] for US listings, the
// exchange's own for the exchanges this package has (see [Exchanges]), and
// [Weekdays] for the others. In order:
//
//   - a symbol with '=' (a currency or future on Yahoo, such as EURUSD=X)
//     is no stock listing: Weekdays;
//   - else the Yahoo market suffix after the last dot of the symbol, in
//     any letter case, when it is one of an exchange here: .L (LSE), .DE
//     (Xetra), .PA and .AS (Euronext Paris and Amsterdam), .SW (SIX), .T
//     (Tokyo), .HK (Hong Kong), .AX (ASX), .TO (Toronto);
//   - else the exchange time zone from the provider: a US zone
//     (America/New_York, America/Chicago, US/Eastern, …) means NYSE, the
//     zone of an exchange here (Europe/London, Asia/Tokyo, …) that
//     exchange's calendar, unless the symbol has the suffix of another
//     exchange; any other zone Weekdays;
//   - else any other exchange suffix means Weekdays: NOVO-B.CO, ENI.MI and
//     the other Yahoo market suffixes, listed in the GnuCash manual's
//     table "Yahoo Codes for Exchanges and Markets";
//   - else NYSE. That includes share classes (BRK.B, BF.B, HEI.A, LBRD.K),
//     which are not exchange suffixes, and Stooq's .US.
//
// A few class letters are also exchange suffixes: .L (London), .T (Tokyo),
// .F (Frankfurt), .V (TSX Venture); a US share class .L or .T would get
// London's or Tokyo's calendar. Weekdays is the safe side where no
// calendar is known: it never rejects a bar the exchange really traded,
// while a wrong calendar would drop the bars of its holidays.
func For(a pricefill.Asset) Calendar {
	if strings.IndexByte(a.Symbol, '=') >= 0 {
		return Weekdays
	}
	c, hasSuffix := exchangeSuffix(a.Symbol)
	if c != nil {
		return c
	}
	switch {
	case a.Timezone != "":
		if usZone(a.Timezone) {
			return NYSE
		}
		if c, ok := byZone[a.Timezone]; ok && !hasSuffix {
			return c
		}
		return Weekdays
	case hasSuffix:
		return Weekdays
	}
	return NYSE
}

// Exchanges returns the exchanges' calendars of this package other than
// the NYSE's, in the order of the package documentation.
func Exchanges() []ExchangeCalendar {
	return []ExchangeCalendar{LSE, Xetra, EuronextParis, EuronextAmsterdam, SIX, TSE, HKEX, ASX, TSX}
}

// bySuffix and byZone route listings to the exchanges' calendars, by
// each one's Yahoo suffix and time zone.
var bySuffix, byZone = routes()

func routes() (bySuffix, byZone map[string]Calendar) {
	bySuffix, byZone = make(map[string]Calendar), make(map[string]Calendar)
	for _, c := range Exchanges() {
		bySuffix[c.x.suffix], byZone[c.x.zone] = c, c
	}
	return bySuffix, byZone
}

// usZone reports whether the IANA zone name is one of the United States'.
func usZone(name string) bool {
	switch name {
	case "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
		"America/Los_Angeles", "America/Anchorage", "America/Detroit", "America/Boise",
		"America/Juneau", "America/Adak", "Pacific/Honolulu",
		"EST", "EST5EDT", "CST6CDT", "MST", "MST7MDT", "PST8PDT":
		return true
	}
	return strings.HasPrefix(name, "US/") ||
		strings.HasPrefix(name, "America/Indiana/") ||
		strings.HasPrefix(name, "America/Kentucky/") ||
		strings.HasPrefix(name, "America/North_Dakota/")
}

// exchangeSuffixes are Yahoo's market suffixes for exchanges outside the
// United States (GnuCash manual, "Yahoo Codes for Exchanges and Markets",
// and Yahoo's list of exchanges).
var exchangeSuffixes = map[string]struct{}{
	// Americas
	"BA": {}, "SA": {}, "MX": {}, "SN": {}, "TO": {}, "V": {}, "CN": {}, "NE": {},
	// Europe
	"L": {}, "IL": {}, "PA": {}, "AS": {}, "BR": {}, "LS": {}, "NX": {}, "MI": {},
	"MC": {}, "DE": {}, "F": {}, "BE": {}, "BM": {}, "DU": {}, "HM": {}, "HA": {},
	"MU": {}, "SG": {}, "SW": {}, "VI": {}, "CO": {}, "ST": {}, "OL": {}, "HE": {},
	"IC": {}, "TL": {}, "RG": {}, "VS": {}, "IR": {}, "AT": {}, "WA": {}, "PR": {},
	"BD": {}, "IS": {}, "ME": {}, "RO": {},
	// Middle East and Africa
	"TA": {}, "JO": {}, "SR": {}, "QA": {}, "CA": {}, "KW": {}, "AE": {},
	// Asia and Pacific
	"T": {}, "HK": {}, "SS": {}, "SZ": {}, "KS": {}, "KQ": {}, "TW": {}, "TWO": {},
	"SI": {}, "NS": {}, "BO": {}, "JK": {}, "KL": {}, "BK": {}, "AX": {}, "NZ": {},
}

// exchangeSuffix reports whether sym ends in a non-US exchange suffix, in
// any letter case, and returns the calendar of that exchange when this
// package has it.
func exchangeSuffix(sym string) (Calendar, bool) {
	i := strings.LastIndexByte(sym, '.')
	if i < 0 || len(sym)-i-1 > 3 {
		return nil, false
	}
	var buf [3]byte
	n := copy(buf[:], sym[i+1:])
	for j := range n {
		if c := buf[j]; 'a' <= c && c <= 'z' {
			buf[j] = c - 'a' + 'A'
		}
	}
	if c, ok := bySuffix[string(buf[:n])]; ok {
		return c, true
	}
	_, ok := exchangeSuffixes[string(buf[:n])]
	return nil, ok
}
