// Package upstream is a fake market-data provider for tests and benchmarks:
// one HTTP server on 127.0.0.1 that speaks Yahoo's chart API, Stooq's CSV
// download and Alpha Vantage's TIME_SERIES_DAILY, for any symbol.
//
// # Data
//
// Every symbol has bars: made up by a [synthetic.Fetcher] (the same bar for
// the same day, whatever range is asked), or set with [Server.SetBars].
// [Server.SetNullDays] makes days whose quote Yahoo sends as null (Stooq and
// Alpha Vantage leave them out), [Server.SetAsset] the currency, exchange
// and time zone, [Server.SetEvents] dividends and splits. [Server.Bars]
// returns what is served, so tests can compare.
//
// Symbols are canonical (BRK.B, OCDO.L); the server reads each provider's
// spelling as that provider would (BRK-B, brk-b.us, ocdo.uk, ^spx,
// TSCO.LON), without the fetchers' help, so tests of their symbol mapping
// are not circular. Bars are stamped in the exchange's zone at its opening
// (New York 09:30, London 08:00, Sydney 10:00…; see [Server.SetAsset]).
//
// # Faults
//
// A [Fault] replaces an answer: 429 with Retry-After, 5xx, a dropped
// connection, a slow or truncated body, an HTML page, an unknown symbol,
// a refused key or crumb, a provider's quota message, a redirect (to
// another server, or a loop). Faults are set per symbol for every request
// ([Server.SetFault]) or for the next ones ([Server.PushFaults]), or
// drawn at random with a seed ([WithRandomFaults]); draws depend only on
// the seed, the symbol and the number of requests for it, so a run is
// reproducible whatever the order of requests across symbols.
// [WithLatency] delays every answer but the rate
// limit's refusals; [WithYahooCrumb] makes the chart API require a cookie
// and crumb, as Yahoo sometimes does.
//
// # Rate limit and cool-down
//
// [WithRateLimit] refuses requests beyond R per second, counting every
// arrival (refused ones too), with 429 and Retry-After: 1. The refusal is
// sent at once, without the latency, as a provider's edge refuses: a
// client hears of it before its next request. [WithStrictCoolDown] makes
// the limit strict, as some providers are: a refusal starts a cool-down
// of d, during which every request is refused as well, whatever the rate.
//
//	a request that comes                 is answered                                 recorded
//	over the limit, outside a cool-down  429, Retry-After: d rounded up to seconds;  Limited
//	                                     a cool-down of d starts at its arrival
//	during the cool-down                 429, Retry-After: the time left, rounded    Limited, DuringCoolDown
//	                                     up, at least 1; the cool-down stays as is
//	after it                             as the rate limit says
//
// [Server.Refusals] counts the requests the limit refused,
// [Server.DuringCoolDown] those that came during a cool-down: a client that
// waits as Retry-After says has none of the latter. Injected RateLimit
// faults are neither, start no cool-down and keep the latency.
//
// # Outages
//
// [Server.SetOutage] takes the whole server down and back up:
//
//	Up           normal answers
//	Refuse       the listener and every connection closed: connection refused,
//	             requests in flight cut; nothing recorded
//	Unavailable  HTTP 503 with an HTML outage page, after the latency, for every
//	             request; recorded as a Status fault
//
// Back from Refuse, the server listens on the same port: [Server.URL]
// and the clients' base URLs stay valid. For a provider that cannot be
// reached at all, [UnreachableURL] returns a URL on which nothing listens.
//
// # Records
//
// Every request is recorded ([Server.Requests]): provider, path, symbol as
// sent, query, time on the server's clock, status and fault, and whether
// the server's own rate limit refused it (as opposed to an injected
// RateLimit fault), during a cool-down or not. [Server.PeakRate] counts the most requests within any
// window.
//
// # Use
//
//	srv, err := upstream.New(upstream.WithRateLimit(5))
//	if err != nil { … }
//	defer srv.Close()
//	srv.SetFault("MSFT", upstream.Fault{Kind: upstream.RateLimit, RetryAfter: "7"})
//	f, err := yahoo.New(httpopt.WithBaseURL(srv.URL()), httpopt.WithHTTPClient(srv.Client()))
//
// One base URL serves every provider:
//
//	GET /v8/finance/chart/{symbol}   Yahoo's chart (period1, period2; crumb with WithYahooCrumb)
//	GET /                            Yahoo's cookie page (a 404 that sets the cookie)
//	GET /v1/test/getcrumb            Yahoo's crumb (needs the cookie)
//	GET /q/d/l/                      Stooq's CSV (s, i, d1, d2, apikey)
//	GET /query                       Alpha Vantage (function=TIME_SERIES_DAILY, symbol, outputsize, apikey)
//
// Close cancels every pause, closes every connection and waits for the
// handlers, in every outage: no goroutine outlives it.
//
// Faults and pages that echo the request's URL (HTML, 5xx and malformed
// bodies do, as some proxies' error pages do) put the API key into the
// body, so tests can check that fetchers keep it out of their errors.
package upstream
