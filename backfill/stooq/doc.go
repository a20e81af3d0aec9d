// Package stooq fetches daily bars from Stooq's CSV download (stooq.com).
//
//	f, err := stooq.New(httpopt.WithAPIKeyFromEnv()) // STOOQ_API_KEY
//	series, err := f.Fetch(ctx, "BRK.B", pricefill.Range{From: from, To: to})
//
// # The request
//
// One GET per symbol and range, the range's dates as they are (Stooq's
// rows carry plain dates):
//
//	/q/d/l/?s={symbol}&i=d&d1=YYYYMMDD&d2=YYYYMMDD[&apikey=KEY]
//
// The symbol is Stooq's spelling ([Symbol]): lower case with a market
// suffix, AAPL → aapl.us, BRK.B → brk-b.us, OCDO.L → ocdo.uk, 7203.T →
// 7203.jp, ^GSPC → ^spx. A symbol on a market Stooq has no suffix for
// here (BHP.AX) is not found, without a request. The bars carry the
// canonical symbol as asked.
//
// Since 2026 Stooq serves the download to clients with an API key only
// (its page https://stooq.com/q/d/?s=spy.us&get_apikey hands them out);
// it is sent as the apikey parameter, and never appears in an error.
//
// # The answer, and its quirks
//
// Every answer is HTTP 200, told apart by its content:
//
//	starts with "Date,"                     data: Date,Open,High,Low,Close[,Volume]
//	"No data"                               not found (unknown symbol, or nothing in the range)
//	"Exceeded the daily hits limit"         a quota used up (pricefill.QuotaExceeded), reset unknown
//	an HTML page asking for an API key      permanent, naming the cause
//	an HTML proof-of-work challenge         permanent, naming the cause (non-browser clients
//	                                        without a key get it)
//	anything else                           transient (malformed)
//
// In the data, volumes may have a fraction (they are rounded to whole
// shares), a row with an empty value (or null, NaN, N/A) is a null day:
// reported in Series.Nulls, never read as zero, unless another row of the
// date has prices,
// currencies have no Volume column (Volume is then 0), and the prices are
// Stooq's, adjusted for splits and dividends as of the download (there is
// no separate adjusted close: AdjClose is 0). Rows are returned in date
// order, one per date.
//
// HTTP 429 is rate limited (with its Retry-After, capped), 404 not found,
// other 4xx permanent, 5xx and network failures transient, a body over
// WithMaxBody permanent.
package stooq
