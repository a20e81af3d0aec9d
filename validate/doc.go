// Package validate decides which bars may be stored, and which bars to
// expect: the [Validator], the trading calendars ([NYSE], [Weekdays]),
// [Completeness], and the [Gaps] of a symbol's stored data that a
// gap-aware backfill fetches.
//
// # Rules
//
// [Validator.Validate] checks one bar of an asset against the range that
// was fetched, at a time now, and returns nil or a
// *[pricefill.InvalidBarError] listing every rule the bar breaks, each
// with the field and its value. Count rejects by Violation.Rule:
//
//	rule                   field                   broken when
//	symbol_missing         symbol                  the symbol is empty
//	symbol_mismatch        symbol                  the symbol is not the asset's (when the asset names one)
//	text_invalid           symbol/source           a NUL byte, or not UTF-8
//	date_missing           date                    the date is the zero time (no other date rule is then checked)
//	date_out_of_bounds     date                    before 0001-01-01 or after 9999-12-31
//	date_not_midnight_utc  date                    the date is not midnight UTC of its calendar day
//	outside_range          date                    the date is not in the requested range
//	not_trading_day        date                    the asset's calendar has no session that day
//	date_in_future         date                    the date is after the exchange's local today
//	session_not_over       date                    it is the exchange's today and its session is not over
//	price_not_finite       open/high/low/close     NaN or ±Inf
//	price_not_positive     open/high/low/close     zero or negative
//	adj_close_invalid      adj_close               NaN, ±Inf or negative (0 is none given)
//	volume_negative        volume                  below zero
//	high_below_low         high                    high < low (the four prices being finite and positive)
//	outside_low_high       open/close              outside [low, high] (the same, and high ≥ low)
//
// A bar that keeps these rules is one the store's schema accepts: the
// rules cover every constraint of the prices table, and store's tests
// check it on SQLite and PostgreSQL with random bars.
//
// # Dropping a field instead of the bar
//
// The adjusted close is the one field a bar can do without: the stores
// keep an unknown adjusted close as NULL. [Validator.DropFields] returns
// the bar with an invalid one set to 0 (none given), and a violation of
// adj_close_invalid for it; Validate then judges the rest. The backfill
// runner calls it before Validate, stores such a bar and counts the drop
// in its report ("dropped       adj_close_invalid 1"), where a caller of
// Validate alone rejects the bar.
//
// # When a bar is final
//
// Providers serve a still-moving bar for the current session, so a bar is
// stored only once its session is over: never for a date after the
// exchange's local date now, and for that date only after the close. "Now"
// is told in the exchange's own zone, not the machine's nor UTC: at 23:30
// in New York it is still the same day there, though UTC has moved on.
// The NYSE closes at 16:00 New York time, which [NYSE].SessionEnd gives
// (20:00 or 21:00 UTC, as daylight saving time goes); on its early-close
// days (13:00: the day after Thanksgiving, Christmas Eve, the day before
// Independence Day) the validator still waits until 16:00, a few hours
// late but never early. For a calendar that knows no closing time, such
// as Weekdays, a session is over when its date is over in the zone the
// provider gave ([pricefill.Asset].Timezone); when that is unknown too,
// when the date is over everywhere on earth. [WithSettleDelay] waits longer
// still, for providers that revise the day's volume after the close.
//
// # Calendars
//
// A [Calendar] tells trading days; its arguments stand for calendar dates,
// whatever their time of day or location. [NYSE] has the exchange's
// holidays by rule, with the weekend observance rules, and every special
// closure since 1990 (national days of mourning, 9/11, Hurricane Sandy);
// it agrees with the exchange's published record on every day from 1990
// through 2026 and with its published schedule for 2027 and 2028. [Weekdays]
// stands for the exchanges that have no calendar here: it rejects weekends
// only. [CalendarFor] chooses between them by the provider's time zone or
// the symbol's exchange suffix (OCDO.L, 7203.T), telling suffixes from
// share classes (BRK.B is a US listing).
//
// # Other exchanges
//
// An exchange's calendar is a type with the two methods of [Calendar];
// with the two of [SessionCalendar] too (its time zone and the end of a
// session) bars are final at its close rather than at local midnight.
// Route its listings to it with [WithCalendarFor]:
//
//	v, err := validate.New(validate.WithCalendarFor(func(a pricefill.Asset) calendar.Calendar {
//		if a.Timezone == "Europe/London" {
//			return lse // your Calendar
//		}
//		return calendar.For(a)
//	}))
//
// Completeness and Gaps take the calendar as an argument.
//
// # Completeness and gaps
//
// [Completeness] is the stored share of a range's trading days, in
// percent. [Gaps] lists the trading days still missing as spans to fetch,
// a run of missing days broken only by weekends and holidays being one
// span; [Merge] joins spans a few stored days apart into one request,
// since a request under a rate limit costs more than a few rows fetched
// again.
//
// # Performance
//
// A valid bar allocates nothing. Measured with
// go test -bench . -benchmem -run '^$' ./validate on go1.26.8 linux/amd64,
// an AMD EPYC with nproc 2; the range of three runs:
//
//	Validate, one valid bar of a year's backfill   33-35 ns/op     0 allocs
//	Validate, today's bar after the close (NYSE)   86-92 ns/op     0 allocs
//	Validate, today's bar after the close (Tokyo)  71-75 ns/op     0 allocs
//	NYSE.TradingDays over 30 years (7,552 days)    53-56 µs/op     1 alloc, 184 KiB
//	Gaps over a year, every other week stored      4.2-4.4 µs/op   7 allocs
package validate
