// Package validate decides which bars may be stored: the [Validator] and
// its rules, one bar at a time, and [CheckSeries], which judges a whole
// series and owns its duplicate dates. The calendars it judges dates by (which
// days are trading days, when a session is over) are in package
// validate/calendar, and the caller hands the asset's calendar to each
// check.
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
//	duplicate_date         date                    a later valid bar of the series has the same date (CheckSeries only)
//
// A bar that keeps these rules is one the store's schema accepts: the
// rules cover every constraint of the prices table, and store's tests
// check it on SQLite and PostgreSQL with random bars.
//
// # A series: duplicate dates
//
// [CheckSeries] judges a fetched series as the backfill runner does: each
// bar by a validator and the asset's calendar, then the dates. Of the
// valid bars of one date it keeps the last, by the module's one rule for
// duplicates ([pricefill.Series.Dedupe], which says why the last), and
// rejects the others as duplicate_date, so that a report counts them like
// any other rejected bar.
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
// exchange's local date now, and for that date only after the close, as
// calendar.Session tells it for the calendar given (16:00 New York time
// for the NYSE; the end of the date in the asset's zone for a calendar
// without closing times). [WithSettleDelay] waits longer still, for
// providers that revise the day's volume after the close.
//
// # The calendar
//
// [Validator.Validate] takes the asset's calendar as an argument; nil
// means calendar.For of the asset. The backfill runner hands it the
// calendar it plans its fetches by (its WithCalendarFor option), so that
// a day it asks a provider for is a day the validator accepts:
//
//	cal := calendar.For(asset) // or a calendar of your own
//	err := v.Validate(now, r, asset, cal, bar)
//
// Measured figures are in BENCHMARKS.md.
package validate
