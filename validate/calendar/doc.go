// Package calendar tells which days an exchange trades and when its
// sessions end, and from that which days of a symbol's stored data are
// missing: the trading calendars ([NYSE], the nine of [Exchanges],
// [Weekdays]), the router that
// chooses one for a listing ([For]), sessions and their closing times
// ([Session], [LastSessionOver]), the [Gaps] a gap-aware backfill fetches,
// and [Completeness].
//
//	what                      where
//	is date d a trading day   Calendar.IsTradingDay, Calendar.TradingDays
//	which calendar            For, or a ForFunc of your own
//	is d's session over       Session, LastSessionOver (SessionCalendar)
//	what is missing           Gaps, then Merge to save requests
//	how much is stored        Completeness
//
// Every date is a calendar date: a [time.Time] argument stands for its own
// year, month and day, whatever its time of day or location, and every
// date returned is midnight UTC, as [pricefill.DateOf] makes dates.
//
// # The calendars
//
// [NYSE] is the calendar of US listings (the NYSE, Nasdaq and the other US
// equity exchanges keep the same holidays). Its holidays are computed from
// the rules the exchange sets for them: New Year's Day, Martin Luther King
// Jr. Day (from 1998), Washington's Birthday, Good Friday, Memorial Day,
// Juneteenth (from 2022), Independence Day, Labor Day, Thanksgiving Day
// and Christmas Day, moved off weekends as the exchange observes them.
// On top come its special full-day closures since 1990 (national days of
// mourning, 9/11, Hurricane Sandy), taken from the exchange's history of
// market closings and its announcements. The tests hold the calendar to a
// list of closed days transcribed from the exchange's published record,
// 1990 through 2026, and its published schedule for 2027 and 2028
// (testdata/nyse_closed_1990_2028.txt says where each part comes from).
//
// Nine more exchanges have a calendar of their own, an [ExchangeCalendar]
// each, with its zone, its regular close (when its closing auction has set
// the day's close), its early closes and every special full-day closure
// since its first year, each with its reason ([ExchangeCalendar.Closures]):
//
//	calendar            suffix  zone               close (local)       since
//	LSE                 .L      Europe/London      16:36, 12:36 early  1990
//	Xetra               .DE     Europe/Berlin      17:36, 14:06 early  1990 (Frankfurt before Xetra)
//	EuronextParis       .PA     Europe/Paris       17:35, 14:05 early  1990
//	EuronextAmsterdam   .AS     Europe/Amsterdam   17:35, 14:05 early  1990
//	SIX                 .SW     Europe/Zurich      17:30               1996 (SWX's electronic era)
//	TSE                 .T      Asia/Tokyo         15:00, 15:30 from 2024-11-05  2000
//	HKEX                .HK     Asia/Hong_Kong     16:00 or 16:10 by era, half days  1990
//	ASX                 .AX     Australia/Sydney   16:12, 14:12 early  1990
//	TSX                 .TO     America/Toronto    16:00, 13:00 early  1990
//
// Each one's doc says where its rules come from: the holiday rules the
// exchange publishes (and the public holidays it keeps), its notices of
// special closures and trading hours. Their tests hold each to a list of
// closed weekdays from its first year through 2026, assembled from the
// exchange's published calendars and notices and cross-checked against
// other records; testdata/<mic>/SOURCE.md says, year by year, what each
// list rests on and where the sources disagreed.
//
// [Weekdays] stands for the exchanges that have no calendar here: every
// Monday to Friday is a trading day. It is the safe side for a listing
// whose holidays are not known: it never rejects a bar the exchange really
// traded, at the cost of expecting bars on its holidays. The backfill
// runner's report names the symbols it judged by it.
//
// [For] routes a listing to one of them, by the symbol's exchange suffix
// (OCDO.L, 7203.T) or else the provider's time zone, telling suffixes
// from share classes (BRK.B is a US listing).
//
// # Sessions: when a bar is final
//
// Providers serve a still-moving bar for the current session, so a bar is
// final only once its session is over. "Today" is told in the exchange's
// own zone: at 23:30 in New York it is still the same day there, though
// UTC has moved on. A [SessionCalendar] knows its zone and its closing
// time: [NYSE].SessionEnd is 16:00 New York time (20:00 or 21:00 UTC, as
// daylight saving time goes), also on early-close days, a few hours late
// but never early; an ExchangeCalendar's is its close of that day, early
// closes included, so that a Sydney bar is final minutes after Sydney's
// close. For a plain Calendar, such as Weekdays, a session is
// over when its date is over in the asset's zone
// ([pricefill.Asset].Timezone); when that is unknown too, when the date is
// over everywhere on earth. [Session] tells the zone and the end of one
// session; [LastSessionOver] the latest date whose session is over.
//
// # Gaps and completeness
//
// [Gaps] lists the trading days of a range that the stored dates lack, as
// spans to fetch: a run of missing days broken only by weekends and
// holidays is one span. [Merge] joins spans a few stored days apart into
// one request, since a request under a rate limit costs more than a few
// rows fetched again. [Completeness] is the stored share of a range's
// trading days, in percent. All three take the calendar as an argument.
//
// # A calendar of your own
//
// An exchange's calendar is a type with the two methods of [Calendar];
// with the two of [SessionCalendar] too (its time zone and the end of a
// session) bars are final at its close rather than at local midnight:
//
//	type lseCalendar struct{}
//
//	func (lseCalendar) IsTradingDay(t time.Time) bool { … }
//	func (lseCalendar) TradingDays(from, to time.Time) []time.Time { … }
//	func (lseCalendar) Location() *time.Location { return london }
//	func (lseCalendar) SessionEnd(d time.Time) time.Time {
//		y, m, dd := d.Date()
//		return time.Date(y, m, dd, 16, 30, 0, 0, london)
//	}
//
// Route its listings to it with a [ForFunc] that falls back on [For], and
// give that to the backfill runner's WithCalendarFor option. The runner
// then uses that one calendar for everything: the days it asks a provider
// for, the completeness it reports, and the validator's trading-day and
// session rules, so that the three never disagree:
//
//	calFor := func(a pricefill.Asset) calendar.Calendar {
//		if a.Timezone == "Europe/London" || strings.HasSuffix(a.Symbol, ".L") {
//			return lseCalendar{}
//		}
//		return calendar.For(a)
//	}
//	r, err := backfill.New(fetcher, store, backfill.WithCalendarFor(calFor))
//
// A user of package validate on its own hands the calendar to each check.
package calendar
