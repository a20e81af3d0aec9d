// Package alphavantage fetches daily bars from Alpha Vantage's
// TIME_SERIES_DAILY. It needs an API key.
//
//	f, err := alphavantage.New(httpopt.WithAPIKeyFromEnv()) // ALPHAVANTAGE_API_KEY
//	series, err := f.Fetch(ctx, "MSFT", pricefill.Range{From: from, To: to})
//
// # The request
//
// One GET per symbol and range:
//
//	/query?function=TIME_SERIES_DAILY&symbol={symbol}&outputsize=compact|full&datatype=json&apikey=KEY
//
// Alpha Vantage takes no dates: compact is the latest 100 trading days,
// full the whole history (a premium feature on some plans). [OutputSize]
// asks for full when the range starts more than [CompactMaxWeekdays]
// weekdays before today, compact otherwise; Fetch keeps the range's days.
// The symbol is Alpha Vantage's spelling ([Symbol]): BRK.B → BRK-B,
// TSCO.L → TSCO.LON, SHOP.TO → SHOP.TRT. The bars carry the canonical
// symbol as asked. The key is sent as the apikey parameter and never
// appears in an error.
//
// # The answer, and its quirks
//
// Every answer is HTTP 200 (Alpha Vantage reports errors and quotas in the
// body), told apart by its keys and text:
//
//	"Time Series (Daily)"                       data, newest first; numbers are strings
//	"Note" (the quota message until 2023)       rate limited
//	"Information" about the rate limit          rate limited
//	"Information" about anything else           permanent (a premium endpoint or parameter,
//	                                            the demo key)
//	"Error Message" about the apikey            permanent (a missing or refused key)
//	"Error Message": "Invalid API call…"        not found: its answer to an unknown symbol
//	other "Error Message"                       permanent
//	anything else                               transient (malformed)
//
// A quota message gives no wait: a per-minute quota is retried after
// [PerMinuteWait]; a daily one is a quota used up
// ([pricefill.QuotaExceeded]), with no reset, since Alpha Vantage does not
// say when its day ends: the limiter holds every request for its quota
// hold, then one request finds out. The fields of a day are
// found by name after their number ("1. open" … "5. volume"; the adjusted
// series' "5. adjusted close" and "6. volume" are read too); a day with a
// missing value (empty, null, None, NaN) is a null day: reported in
// Series.Nulls, never read as zero. TIME_SERIES_DAILY has no
// adjusted close (AdjClose is 0). The time zone of "Meta Data" is the
// asset's, US/Eastern given as America/New_York.
//
// HTTP 429 is rate limited (with its Retry-After, capped), other 4xx
// permanent, 5xx and network failures transient, a body over WithMaxBody
// permanent.
package alphavantage
