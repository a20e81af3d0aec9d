// Package yahoo fetches daily bars from Yahoo Finance's chart API (v8), the
// default source of pricefill. It needs no key.
//
//	f, err := yahoo.New()
//	series, err := f.Fetch(ctx, "BRK.B", pricefill.Range{From: from, To: to})
//
// # The request
//
// One GET per symbol and range:
//
//	/v8/finance/chart/{symbol}?period1=…&period2=…&interval=1d&events=div,splits
//
// with a browser's User-Agent (Yahoo refuses the default ones of HTTP
// libraries). The symbol is Yahoo's spelling ([Symbol]): a share class
// takes a dash (BRK.B → BRK-B) while exchange suffixes stay (OCDO.L,
// BHP.AX, 7203.T); the bars carry the canonical symbol as asked.
//
// period1 and period2 are Unix seconds, period2 exclusive. The range's
// dates are the exchange's, whose zone is not known before the answer,
// so [Period] asks from the first instant of the first date anywhere on
// Earth (UTC+14) to the last instant of the last date anywhere (UTC−12);
// the bars of neighbouring days that this lets in are dropped by their
// local date. So a Sydney bar stamped 10:00 AEDT (23:00 UTC the day
// before) and a New York bar stamped 16:00 EDT (20:00 UTC) both count on
// their own dates.
//
// # The answer, and its quirks
//
//   - Dates are told in the exchange's zone, meta.exchangeTimezoneName,
//     one bar at a time (summer time included): never the machine's zone,
//     nor UTC, nor meta.gmtoffset, which is the offset at the time of the
//     answer. The zone database is embedded (time/tzdata), so this holds
//     on machines without one.
//   - A null in a quote array (open, high, low, close or volume) makes
//     that day a null day: it is reported in Series.Nulls, never read as
//     zero, and has no bar. A null adjusted close alone leaves AdjClose 0
//     (none given). A date that also has a bar (the current session sent
//     twice, once with nulls) is not null.
//   - A 200 without a timestamp array is a range without trading: no
//     bars, no error. So is a 400 "Data doesn't exist for startDate".
//   - The current session may come twice (at the open and at the last
//     trade); the later one is kept.
//   - Dividends (ex-dates, amounts) and splits (numerator, denominator)
//     from events are returned on the [pricefill.Series], dated like bars.
//   - Currency is as Yahoo spells it: London quotes in GBp, pence.
//   - Bars are returned as parsed, valid or not: validation is the
//     Validator's job.
//
// # Errors
//
//	404, or "Not Found" in the body      not found
//	429 (plain text "Edge: Too Many      rate limited, with Retry-After (seconds or a date,
//	Requests", rarely a Retry-After)     capped at an hour) or 0
//	401 "Invalid Crumb" / "Invalid       get a cookie (the cookie page, fc.yahoo.com) and a crumb
//	Cookie"                              (/v1/test/getcrumb), retry once with them; then permanent
//	other 4xx                            permanent
//	5xx, HTML pages, malformed JSON,     transient
//	network failures, timeouts
//	a body over WithMaxBody              permanent
//
// The crumb is fetched only when Yahoo asks for it, and kept for the
// fetcher's later requests; concurrent fetches refused together refresh it
// once. Under a [backfill.Runner], the cookie page, the crumb and the
// chart asked for again each wait on the runner's limiter first
// ([backfill.Pace]): a refresh costs three requests of the budget. The
// cookie page and the crumb are on [WithCookieURL] and
// [httpopt.WithBaseURL], so a single test server can stand in for Yahoo
// (internal/upstream does).
//
// Error texts never hold the request URL.
package yahoo
