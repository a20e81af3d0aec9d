package alphavantage_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/backfill/alphavantage"
	"github.com/pricefill/pricefill/backfill/httpopt"
	"github.com/pricefill/pricefill/internal/clocktest"
	"github.com/pricefill/pricefill/internal/fetchtest"
	"github.com/pricefill/pricefill/internal/upstream"
)

var (
	d = pricefill.Date
	// now is Monday 2024-06-03 after the close in New York.
	now  = time.Date(2024, 6, 3, 22, 0, 0, 0, time.UTC)
	week = pricefill.Range{From: d(2024, 5, 27), To: d(2024, 5, 31)}
)

const key = "AV-test-key-123"

func setup(t *testing.T, opts ...upstream.Option) *upstream.Server {
	t.Helper()
	return fetchtest.Upstream(t, append([]upstream.Option{upstream.WithClock(clocktest.NewFake(now))}, opts...)...)
}

func newFetcher(t *testing.T, srv *upstream.Server, opts ...httpopt.Option) *alphavantage.Fetcher {
	t.Helper()
	f, err := alphavantage.New(append([]httpopt.Option{
		httpopt.WithBaseURL(srv.URL()), httpopt.WithHTTPClient(srv.Client()),
		httpopt.WithAPIKey(key), httpopt.WithClock(clocktest.NewFake(now)),
	}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestFetchtest: the kit's fault table, timeouts and (with a key) secret
// checks; see package fetchtest.
func TestFetchtest(t *testing.T) {
	t.Parallel()
	fetchtest.Run(t, provider)
}

func TestFetchRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		symbol, sent string
		r            pricefill.Range
		size         string
	}{
		{"MSFT", "MSFT", week, "compact"},
		{"BRK.B", "BRK-B", week, "compact"},
		{"TSCO.L", "TSCO.LON", week, "compact"},
		{"IBM", "IBM", pricefill.Range{From: d(2023, 1, 2), To: d(2023, 1, 6)}, "full"},
	}
	for _, tc := range tests {
		t.Run(tc.symbol, func(t *testing.T) {
			t.Parallel()
			srv := setup(t, upstream.WithAPIKey(key))
			s, err := newFetcher(t, srv).Fetch(t.Context(), tc.symbol, tc.r)
			if err != nil {
				t.Fatal(err)
			}
			want := fetchtest.Unadjusted(fetchtest.Served(srv, tc.symbol, tc.r, alphavantage.Source))
			if len(want) == 0 {
				t.Fatal("test premise: the server serves bars in the range")
			}
			if diff := cmp.Diff(want, s.Bars); diff != "" {
				t.Errorf("bars (-served +fetched):\n%s", diff)
			}
			if s.Asset.Symbol != strings.ToUpper(tc.symbol) || s.Asset.Timezone != "America/New_York" {
				t.Errorf("asset %+v", s.Asset)
			}
			got := fetchtest.OneRequest(t, srv)
			wantQ := map[string]string{"path": "/query", "function": "TIME_SERIES_DAILY", "symbol": tc.sent, "outputsize": tc.size, "datatype": "json", "apikey": key}
			if diff := cmp.Diff(wantQ, got); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
		})
	}
}

// provider is the Alpha Vantage fetcher under the fetchers' fault kit,
// with what Alpha Vantage spells its own way.
var provider = fetchtest.Provider{
	New: func(srv *upstream.Server, client *http.Client, clock pricefill.Clock, key string) (backfill.Fetcher, error) {
		return alphavantage.New(httpopt.WithBaseURL(srv.URL()), httpopt.WithHTTPClient(client),
			httpopt.WithAPIKey(key), httpopt.WithClock(clock))
	},
	Symbol: "MSFT", Range: week, Now: now, Key: key,
	Faults: []fetchtest.Fault{
		{Name: "Note", Fault: upstream.Fault{Kind: upstream.Quota}, Kind: pricefill.KindRateLimited, RetryAfter: alphavantage.PerMinuteWait},
		{Name: "Information premium", Fault: upstream.Fault{Kind: upstream.Premium}, Kind: pricefill.KindPermanent},
		{Name: "Error Message invalid call", Fault: upstream.Fault{Kind: upstream.NotFound}, Kind: pricefill.KindNotFound},
		{Name: "Error Message bad key", Fault: upstream.Fault{Kind: upstream.Unauthorized}, Kind: pricefill.KindPermanent},
		{Name: "HTML page", Fault: upstream.Fault{Kind: upstream.HTML}, Kind: pricefill.KindTransient},
		// An empty series is no bars, not an error.
		{Name: "empty series", Fault: upstream.Fault{Kind: upstream.NoData}, Kind: fetchtest.NoError},
	},
}

func TestNewOptions(t *testing.T) {
	t.Parallel()
	if _, err := alphavantage.New(); err == nil || !strings.Contains(err.Error(), alphavantage.EnvAPIKey) {
		t.Errorf("no key: %v, want an error naming %s", err, alphavantage.EnvAPIKey)
	}
	fetchtest.CheckOptionErrors(t, newAny, []httpopt.Option{httpopt.WithAPIKey("k")}, []fetchtest.OptionError{
		{Option: httpopt.WithBaseURL("ftp://x"), Want: "httpopt.WithBaseURL"},
		{Option: httpopt.WithMaxBody(-1), Want: "httpopt.WithMaxBody"},
		{Option: httpopt.WithAPIKey("bad key"), Want: "httpopt.WithAPIKey"},
	})
	// An empty key means none, the default, which is not enough.
	if _, err := alphavantage.New(httpopt.WithAPIKey("")); err == nil || !strings.Contains(err.Error(), "httpopt.WithAPIKey") {
		t.Errorf("empty key: %v, want an error naming httpopt.WithAPIKey", err)
	}
	// Nil and zero mean the default.
	if _, err := alphavantage.New(httpopt.WithAPIKey("k"), httpopt.WithBaseURL(""), httpopt.WithHTTPClient(nil),
		httpopt.WithUserAgent(""), httpopt.WithMaxBody(0), httpopt.WithClock(nil)); err != nil {
		t.Errorf("zero options: %v, want the defaults", err)
	}
}

func TestWithAPIKeyFromEnv(t *testing.T) {
	fetchtest.CheckKeyFromEnv(t, newAny, alphavantage.EnvAPIKey, "MSFT", week, upstream.WithClock(clocktest.NewFake(now)))
}

// newAny is alphavantage.New as a [fetchtest.NewFunc].
func newAny(opts ...httpopt.Option) (backfill.Fetcher, error) { return alphavantage.New(opts...) }
