package alphavantage

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/internal/fetchhttp"
	"github.com/pricefill/pricefill/internal/fetchtest"
)

var d = pricefill.Date

func msft(date time.Time, o, h, l, c, adj float64, v int64) pricefill.Bar {
	return pricefill.Bar{Symbol: "MSFT", Date: date, Open: o, High: h, Low: l, Close: c, AdjClose: adj, Volume: v, Source: Source}
}

// parseFixture parses the fixture name as the answer for sym over r.
func parseFixture(t *testing.T, name, sym string, r pricefill.Range) *pricefill.Series {
	t.Helper()
	return fetchtest.ParseFixture(t, "alphavantage", name, func(b []byte) (*pricefill.Series, error) { return parse(b, sym, r, fetchhttp.Redactor{}) })
}

// TestParseFixtures: the real series, newest first in the file, come back
// oldest first; counts and end rows read off the files.
func TestParseFixtures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file        string
		r           pricefill.Range
		n           int
		first, last pricefill.Bar
	}{
		{"time_series_daily_MSFT_compact.json", pricefill.Range{From: d(2018, 1, 1), To: d(2018, 6, 30)}, 100,
			msft(d(2018, 1, 17), 89.08, 90.28, 88.75, 90.14, 0, 24659472),
			msft(d(2018, 6, 8), 101.0924, 101.95, 100.54, 101.63, 0, 22165128)},
		// The adjusted series (premium since 2023): volume under "6. volume".
		{"time_series_daily_adjusted_MSFT_compact.json", pricefill.Range{From: d(2018, 1, 1), To: d(2018, 7, 31)}, 100,
			msft(d(2018, 2, 21), 92.98, 93.3595, 91.49, 91.49, 91.0962, 26081953),
			msft(d(2018, 7, 13), 104.37, 105.6, 104.09, 105.43, 105.43, 24578301)},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			s := parseFixture(t, tc.file, "MSFT", tc.r)
			fetchtest.CheckEnds(t, s.Bars, tc.n, tc.first, tc.last)
			if want := (pricefill.Asset{Symbol: "MSFT", Timezone: "America/New_York"}); s.Asset != want {
				t.Errorf("asset %+v, want %+v", s.Asset, want)
			}
			fetchtest.CheckSeries(t, s, "MSFT", Source, tc.r)
		})
	}
	// None of the real series lists a day without a value.
	for _, tc := range tests {
		if s := parseFixture(t, tc.file, "MSFT", tc.r); s.Nulls != nil {
			t.Errorf("%s: nulls %v, want none", tc.file, s.Nulls)
		}
	}
	// Filtered to the range.
	s := parseFixture(t, "time_series_daily_MSFT_compact.json", "MSFT", pricefill.Range{From: d(2018, 6, 2), To: d(2018, 6, 6)})
	if len(s.Bars) != 3 {
		t.Errorf("%d bars in 06-02..06-06, want 3 (4, 5, 6)", len(s.Bars))
	}
}

func TestParseMessages(t *testing.T) {
	t.Parallel()
	r := pricefill.Range{From: d(2018, 1, 1), To: d(2018, 12, 31)}
	tests := []struct {
		name       string
		body       string
		kind       pricefill.Kind
		retryAfter time.Duration
	}{
		{"Error Message: invalid API call (fixture)", string(fetchtest.Fixture(t, "alphavantage", "error_message_invalid_api_call.json")), pricefill.KindNotFound, 0},
		{"Error Message: invalid API call for TIME_SERIES_DAILY", `{"Error Message": "Invalid API call. Please retry or visit the documentation (https://www.alphavantage.co/documentation/) for TIME_SERIES_DAILY."}`, pricefill.KindNotFound, 0},
		{"Error Message: bad key (fixture)", string(fetchtest.Fixture(t, "alphavantage", "error_message_invalid_apikey.json")), pricefill.KindPermanent, 0},
		{"Error Message: other", `{"Error Message": "This API function (TIME_SERIES_DAILYX) does not exist."}`, pricefill.KindPermanent, 0},
		{"Note: per-minute quota (fixture)", string(fetchtest.Fixture(t, "alphavantage", "note_rate_limit_per_minute.json")), pricefill.KindRateLimited, PerMinuteWait},
		{"Information: daily quota", `{"Information": "We have detected your API key as demo and our standard API rate limit is 25 requests per day. Please subscribe to any of the premium plans at https://www.alphavantage.co/premium/ to instantly remove all daily rate limits."}`, pricefill.KindRateLimited, fetchtest.QuotaUsedUp},
		{"Information: old per-minute quota", `{"Information": "Thank you for using Alpha Vantage! Our standard API call frequency is 5 calls per minute and 500 calls per day."}`, pricefill.KindRateLimited, PerMinuteWait},
		{"Information: premium endpoint", `{"Information": "Thank you for using Alpha Vantage! This is a premium endpoint. You may subscribe to any of the premium plans at https://www.alphavantage.co/premium/ to instantly unlock all premium endpoints"}`, pricefill.KindPermanent, 0},
		{"Information: premium outputsize", `{"Information": "Thank you for using Alpha Vantage! The outputsize=full parameter value is a premium feature for the TIME_SERIES_DAILY endpoint. You may subscribe to any of the premium plans at https://www.alphavantage.co/premium/ to instantly unlock all premium features of this endpoint."}`, pricefill.KindPermanent, 0},
		{"empty object", `{}`, pricefill.KindTransient, 0},
		{"HTML", `<html><body>502 Bad Gateway</body></html>`, pricefill.KindTransient, 0},
		{"cut short", `{"Meta Data": {`, pricefill.KindTransient, 0},
		{"bad number", `{"Time Series (Daily)": {"2018-01-02": {"1. open": "x", "2. high": "1", "3. low": "1", "4. close": "1", "5. volume": "1"}}}`, pricefill.KindTransient, 0},
		{"bad date", `{"Time Series (Daily)": {"Jan 2": {"1. open": "1", "2. high": "1", "3. low": "1", "4. close": "1", "5. volume": "1"}}}`, pricefill.KindTransient, 0},
		{"series not an object", `{"Time Series (Daily)": []}`, pricefill.KindTransient, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := parse([]byte(tc.body), "MSFT", r, fetchhttp.Redactor{})
			if err == nil {
				t.Fatalf("no error, want %s; %v", tc.kind, s)
			}
			if got := pricefill.KindOf(err); got != tc.kind {
				t.Errorf("kind %s, want %s: %v", got, tc.kind, err)
			}
			if got := pricefill.RetryAfterOf(err); tc.retryAfter != fetchtest.QuotaUsedUp && got != tc.retryAfter {
				t.Errorf("retry after %s, want %s", got, tc.retryAfter)
			}
			var rl *pricefill.RateLimitError
			if isQuota := errors.As(err, &rl) && rl.Quota; isQuota != (tc.retryAfter == fetchtest.QuotaUsedUp) {
				t.Errorf("a quota used up: %t, want %t", isQuota, tc.retryAfter == fetchtest.QuotaUsedUp)
			}
		})
	}
}

func TestParseMissingValues(t *testing.T) {
	t.Parallel()
	body := `{"Meta Data": {"5. Time Zone": "US/Eastern"}, "Time Series (Daily)": {
		"2018-01-02": {"1. open": "1", "2. high": "2", "3. low": "0.5", "4. close": "1.5", "5. volume": "1000.6"},
		"2018-01-03": {"1. open": "1", "2. high": "", "3. low": "0.5", "4. close": "1.5", "5. volume": "10"},
		"2018-01-04": {"1. open": "1", "3. low": "0.5", "4. close": "1.5", "5. volume": "10"},
		"2018-01-05": {"1. open": "1", "2. high": "2", "3. low": "0.5", "4. close": "1.5"}}}`
	s, err := parse([]byte(body), "MSFT", pricefill.Range{From: d(2018, 1, 1), To: d(2018, 1, 31)}, fetchhttp.Redactor{})
	if err != nil {
		t.Fatal(err)
	}
	want := []pricefill.Bar{msft(d(2018, 1, 2), 1, 2, 0.5, 1.5, 0, 1001)}
	if diff := cmp.Diff(want, s.Bars); diff != "" {
		t.Errorf("bars (-want +got), days with a missing value skipped:\n%s", diff)
	}
	if diff := cmp.Diff([]time.Time{d(2018, 1, 3), d(2018, 1, 4), d(2018, 1, 5)}, s.Nulls); diff != "" {
		t.Errorf("nulls (-want +got):\n%s", diff)
	}
}

// TestParseNullDays: the handcrafted series' days without every value are
// null days, oldest first, within the range asked for only.
func TestParseNullDays(t *testing.T) {
	t.Parallel()
	const file = "handmade_time_series_daily_MSFT_nulls.json"
	for _, tc := range []struct {
		r     pricefill.Range
		bars  []time.Time
		nulls []time.Time
	}{
		{pricefill.Range{From: d(2018, 5, 1), To: d(2018, 6, 30)},
			[]time.Time{d(2018, 5, 30), d(2018, 6, 4), d(2018, 6, 6), d(2018, 6, 8)},
			[]time.Time{d(2018, 5, 31), d(2018, 6, 1), d(2018, 6, 5), d(2018, 6, 7)}},
		{pricefill.Range{From: d(2018, 6, 2), To: d(2018, 6, 6)},
			[]time.Time{d(2018, 6, 4), d(2018, 6, 6)},
			[]time.Time{d(2018, 6, 5)}},
		{pricefill.Range{From: d(2018, 6, 8), To: d(2018, 6, 30)}, []time.Time{d(2018, 6, 8)}, nil},
	} {
		s := parseFixture(t, file, "MSFT", tc.r)
		fetchtest.CheckDates(t, s, tc.bars, tc.nulls, tc.r.String())
		fetchtest.CheckSeries(t, s, "MSFT", Source, tc.r)
	}
}

// FuzzParseDaily: whatever the body, parse does not panic, and returns a
// well-formed series or a classified error that never holds the key.
func FuzzParseDaily(f *testing.F) {
	const key = "SECRETKEY1234"
	red := fetchhttp.NewRedactor(key)
	r := pricefill.Range{From: d(1900, 1, 1), To: d(2100, 12, 31)}
	fetchtest.Fuzz(f, fetchtest.Parser{
		Parse:  func(_ *testing.T, body []byte) (*pricefill.Series, error) { return parse(body, "MSFT", r, red) },
		Symbol: "MSFT", Source: Source, Range: r, Key: key, Mention: "alphavantage",
		Seeds: append(fetchtest.FixtureSeeds(f, "alphavantage", "*.json"),
			[]byte(`{"Information": "rate limit `+key+`"}`)),
	})
}

func TestOutputSize(t *testing.T) {
	t.Parallel()
	today := d(2024, 6, 3) // a Monday
	for _, tc := range []struct {
		from time.Time
		want string
	}{
		{d(2024, 6, 3), "compact"},
		{d(2024, 5, 1), "compact"},
		{d(2024, 1, 23), "compact"}, // 95 weekdays to 06-03, both counted
		{d(2024, 1, 22), "full"},    // 96
		{d(2020, 1, 1), "full"},
		{d(2024, 7, 1), "compact"}, // in the future
	} {
		if got := OutputSize(pricefill.Range{From: tc.from, To: today}, today); got != tc.want {
			t.Errorf("OutputSize(from %s) = %s, want %s", tc.from.Format(time.DateOnly), got, tc.want)
		}
	}
}

func TestSymbol(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"MSFT": "MSFT", "BRK.B": "BRK-B", "TSCO.L": "TSCO.LON", "SHOP.TO": "SHOP.TRT", "SAP.DE": "SAP.DEX",
		"RELIANCE.BO": "RELIANCE.BSE", "600104.SS": "600104.SHH", "NESN.SW": "NESN.SW", "^GSPC": "^GSPC",
	} {
		if got := Symbol(in); got != want {
			t.Errorf("Symbol(%q) = %q, want %q", in, got, want)
		}
	}
}
