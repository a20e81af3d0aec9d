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

// For returns the calendar of a listing: [NYSE] for US listings and
// [Weekdays] for the others. In order:
//
//   - a symbol with '=' (a currency or future on Yahoo, such as EURUSD=X)
//     is no stock listing: Weekdays;
//   - else the exchange time zone from the provider decides: a US zone
//     (America/New_York, America/Chicago, US/Eastern, …) means NYSE, any
//     other zone Weekdays;
//   - else an exchange suffix after the last dot of the symbol means
//     Weekdays: OCDO.L, 7203.T, BHP.AX, SAP.DE, NOVO-B.CO, SHOP.TO and the
//     other Yahoo market suffixes, listed in the GnuCash manual's table
//     "Yahoo Codes for Exchanges and Markets";
//   - else NYSE. That includes share classes (BRK.B, BF.B, HEI.A, LBRD.K),
//     which are not exchange suffixes, and Stooq's .US.
//
// A few class letters are also exchange suffixes: .L (London), .T (Tokyo),
// .F (Frankfurt), .V (TSX Venture), so McCormick's voting shares MKC.V get
// Weekdays unless the provider gives their time zone. When in doubt
// Weekdays is the safe side: it never rejects a bar the exchange really
// traded, while a wrong NYSE calendar would drop every bar of a foreign
// listing on a US holiday.
func For(a pricefill.Asset) Calendar {
	switch {
	case strings.IndexByte(a.Symbol, '=') >= 0:
		return Weekdays
	case a.Timezone != "":
		if usZone(a.Timezone) {
			return NYSE
		}
		return Weekdays
	case exchangeSuffix(a.Symbol):
		return Weekdays
	}
	return NYSE
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
// any letter case.
func exchangeSuffix(sym string) bool {
	i := strings.LastIndexByte(sym, '.')
	if i < 0 || len(sym)-i-1 > 3 {
		return false
	}
	var buf [3]byte
	n := copy(buf[:], sym[i+1:])
	for j := range n {
		if c := buf[j]; 'a' <= c && c <= 'z' {
			buf[j] = c - 'a' + 'A'
		}
	}
	_, ok := exchangeSuffixes[string(buf[:n])]
	return ok
}
