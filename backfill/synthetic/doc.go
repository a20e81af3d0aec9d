// Package synthetic makes up daily bars, for demos and benchmarks only:
// the prices are not real, and every bar says so (Source "synthetic",
// the asset's name "Synthetic data for AAPL (not real prices)").
//
//	f, err := synthetic.New()
//	series, err := f.Fetch(ctx, "AAPL", r)
//
// # What it makes
//
// One bar per trading day of the symbol's listing (its exchange's calendar,
// as calendar.For routes it: the NYSE's for US symbols, London's for .L,
// Tokyo's for .T…, weekdays for an exchange without one; or the calendar of
// [WithCalendar]): positive prices with low ≤ open, close ≤ high, rounded to
// cents, wandering smoothly around a level of 10 to 500 chosen by the
// symbol, and volumes of 50,000 to about 10 million. The bar of a symbol on
// a date depends on the symbol, the date and [WithSeed] alone: the same
// day is the same bar whatever range is asked, so runs, retries and
// overlapping fetches agree, and tests can predict what a store should
// hold ([Fetcher.Bar]).
//
// # Knobs for tests and benchmarks
//
// [WithInvalidRate] breaks a share of the bars, each one of the
// [Breakage] ways (high below low, zero prices as a null read as 0 would
// give, a negative volume, a close above the high), chosen by symbol and
// date like the bars; [Fetcher.Breakage] tells which. A validator must
// reject exactly those.
//
// The fetcher makes no I/O, never fails for a valid symbol and range, and
// is safe for concurrent use. internal/upstream serves its bars in the
// formats of real providers.
package synthetic
