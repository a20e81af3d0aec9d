package yahoo_test

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/backfill/httpopt"
	"github.com/pricefill/pricefill/backfill/yahoo"
	"github.com/pricefill/pricefill/internal/fetchhttp"
	"github.com/pricefill/pricefill/internal/fetchtest"
	"github.com/pricefill/pricefill/internal/upstream"
)

var d = pricefill.Date

// week is Monday 2024-01-08 to Friday 2024-01-12.
var week = pricefill.Range{From: d(2024, 1, 8), To: d(2024, 1, 12)}

func newFetcher(t *testing.T, srv *upstream.Server, opts ...httpopt.Option) *yahoo.Fetcher {
	t.Helper()
	f, err := yahoo.New(append([]httpopt.Option{httpopt.WithBaseURL(srv.URL()), httpopt.WithHTTPClient(srv.Client())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// served is what the server serves for sym over r, as the fetcher should
// return it.
func served(srv *upstream.Server, sym string, r pricefill.Range) []pricefill.Bar {
	return fetchtest.Served(srv, sym, r, yahoo.Source)
}

// TestFetchtest: the kit's fault table, timeouts and (with a key) secret
// checks; see package fetchtest.
func TestFetchtest(t *testing.T) {
	t.Parallel()
	fetchtest.Run(t, provider)
}

func TestFetchServedBars(t *testing.T) {
	t.Parallel()
	srv := fetchtest.Upstream(t)
	f := newFetcher(t, srv)
	r := pricefill.Range{From: d(2024, 1, 1), To: d(2024, 3, 31)}
	s, err := f.Fetch(t.Context(), "aapl", r)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(served(srv, "AAPL", r), s.Bars); diff != "" {
		t.Errorf("bars (-served +fetched):\n%s", diff)
	}
	want := pricefill.Asset{Symbol: "AAPL", Name: "Fake AAPL", Currency: "USD", Exchange: "NMS", Timezone: "America/New_York"}
	if diff := cmp.Diff(want, s.Asset); diff != "" {
		t.Errorf("asset (-want +got):\n%s", diff)
	}
}

// TestFetchRequest: the chart request carries Yahoo's symbol and the
// period that covers the range in every zone.
func TestFetchRequest(t *testing.T) {
	t.Parallel()
	tests := []struct{ symbol, path string }{
		{"BRK.B", "/v8/finance/chart/BRK-B"},
		{"bf.b", "/v8/finance/chart/BF-B"},
		{"OCDO.L", "/v8/finance/chart/OCDO.L"},
		{"BHP.AX", "/v8/finance/chart/BHP.AX"},
		{"7203.T", "/v8/finance/chart/7203.T"},
		{"^GSPC", "/v8/finance/chart/^GSPC"},
	}
	for _, tc := range tests {
		t.Run(tc.symbol, func(t *testing.T) {
			t.Parallel()
			srv := fetchtest.Upstream(t)
			s, err := newFetcher(t, srv).Fetch(t.Context(), tc.symbol, week)
			if err != nil {
				t.Fatal(err)
			}
			canonical := strings.ToUpper(tc.symbol)
			if len(s.Bars) == 0 || s.Bars[0].Symbol != canonical || s.Asset.Symbol != canonical {
				t.Errorf("bars %v, asset %v: want bars of %s, canonical", s.Bars, s.Asset, canonical)
			}
			got := fetchtest.OneRequest(t, srv)
			p1, p2 := yahoo.Period(week)
			want := map[string]string{"path": tc.path, "period1": strconv.FormatInt(p1, 10), "period2": strconv.FormatInt(p2, 10), "interval": "1d", "events": "div,splits"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPeriod(t *testing.T) {
	t.Parallel()
	p1, p2 := yahoo.Period(week)
	// 2024-01-08 00:00 at UTC+14 and 2024-01-13 00:00 at UTC−12.
	if want := time.Date(2024, 1, 7, 10, 0, 0, 0, time.UTC).Unix(); p1 != want {
		t.Errorf("period1 %d, want %d", p1, want)
	}
	if want := time.Date(2024, 1, 13, 12, 0, 0, 0, time.UTC).Unix(); p2 != want {
		t.Errorf("period2 %d, want %d", p2, want)
	}
}

// TestFetchExchangeLocalDates: in every zone from UTC+14 to UTC−11 the
// fetched bars are exactly the exchange's trading days of the range, on
// their local dates: none missing at either end, none of the days around.
func TestFetchExchangeLocalDates(t *testing.T) {
	t.Parallel()
	zones := []string{"Pacific/Kiritimati", "Pacific/Auckland", "Australia/Sydney", "Asia/Tokyo", "Europe/London", "America/New_York", "Pacific/Honolulu", "Pacific/Pago_Pago"}
	srv := fetchtest.Upstream(t)
	f := newFetcher(t, srv)
	for i, zone := range zones {
		t.Run(zone, func(t *testing.T) {
			t.Parallel()
			sym := "Z" + strconv.Itoa(i) + ".XX"
			srv.SetAsset(sym, pricefill.Asset{Currency: "XXX", Exchange: "X", Timezone: zone})
			s, err := f.Fetch(t.Context(), sym, week)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, b := range s.Bars {
				got = append(got, b.Date.Format(time.DateOnly))
			}
			want := []string{"2024-01-08", "2024-01-09", "2024-01-10", "2024-01-11", "2024-01-12"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("dates (-want +got):\n%s", diff)
			}
			if s.Asset.Timezone != zone {
				t.Errorf("asset zone %q, want %q", s.Asset.Timezone, zone)
			}
		})
	}
}

// TestFetchNonUSListing: a London listing lands on its local trading
// dates, in pence, through the whole change to summer time.
func TestFetchNonUSListing(t *testing.T) {
	t.Parallel()
	srv := fetchtest.Upstream(t)
	r := pricefill.Range{From: d(2024, 3, 25), To: d(2024, 4, 5)} // BST from 03-31
	s, err := newFetcher(t, srv).Fetch(t.Context(), "OCDO.L", r)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(served(srv, "OCDO.L", r), s.Bars); diff != "" {
		t.Errorf("bars (-served +fetched):\n%s", diff)
	}
	if s.Asset.Currency != "GBp" || s.Asset.Timezone != "Europe/London" {
		t.Errorf("asset %+v, want GBp in Europe/London", s.Asset)
	}
}

func TestFetchNullDaysAndEvents(t *testing.T) {
	t.Parallel()
	srv := fetchtest.Upstream(t)
	srv.SetNullDays("MSFT", d(2024, 1, 9), d(2024, 1, 11))
	srv.SetEvents("MSFT", []pricefill.Dividend{{Date: d(2024, 1, 10), Amount: 0.75}, {Date: d(2024, 2, 14), Amount: 0.75}},
		[]pricefill.Split{{Date: d(2024, 1, 12), Numerator: 3, Denominator: 2}})
	s, err := newFetcher(t, srv).Fetch(t.Context(), "MSFT", week)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range s.Bars {
		got = append(got, b.Date.Format(time.DateOnly))
	}
	if diff := cmp.Diff([]string{"2024-01-08", "2024-01-10", "2024-01-12"}, got); diff != "" {
		t.Errorf("dates (-want +got), null days must be skipped:\n%s", diff)
	}
	if diff := cmp.Diff([]time.Time{d(2024, 1, 9), d(2024, 1, 11)}, s.Nulls); diff != "" {
		t.Errorf("nulls (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]pricefill.Dividend{{Date: d(2024, 1, 10), Amount: 0.75}}, s.Dividends); diff != "" {
		t.Errorf("dividends (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]pricefill.Split{{Date: d(2024, 1, 12), Numerator: 3, Denominator: 2}}, s.Splits); diff != "" {
		t.Errorf("splits (-want +got):\n%s", diff)
	}
}

// TestFetchInvalidBarsPassThrough: the fetcher parses, it does not
// validate; a bar with high below low comes back as served.
func TestFetchInvalidBarsPassThrough(t *testing.T) {
	t.Parallel()
	srv := fetchtest.Upstream(t)
	bad := pricefill.Bar{Symbol: "X", Date: d(2024, 1, 9), Open: 10, High: 9, Low: 11, Close: 10, AdjClose: 10, Volume: 5}
	srv.SetBars("X", []pricefill.Bar{bad})
	s, err := newFetcher(t, srv).Fetch(t.Context(), "X", week)
	if err != nil {
		t.Fatal(err)
	}
	bad.Source = yahoo.Source
	if diff := cmp.Diff([]pricefill.Bar{bad}, s.Bars); diff != "" {
		t.Errorf("bars (-want +got):\n%s", diff)
	}
}

// provider is the Yahoo fetcher under the fetchers' fault kit, with what
// Yahoo answers its own way.
var provider = fetchtest.Provider{
	New: func(srv *upstream.Server, client *http.Client, clock pricefill.Clock, _ string) (backfill.Fetcher, error) {
		return yahoo.New(httpopt.WithBaseURL(srv.URL()), httpopt.WithHTTPClient(client), httpopt.WithClock(clock))
	},
	Symbol: "AAPL", Range: week, ListsNulls: true,
	Faults: []fetchtest.Fault{
		{Name: "HTML outage page", Fault: upstream.Fault{Kind: upstream.HTML}, Kind: pricefill.KindTransient},
		{Name: "404 not found", Fault: upstream.Fault{Kind: upstream.NotFound}, Kind: pricefill.KindNotFound},
		{Name: "403", Fault: upstream.Fault{Kind: upstream.Premium}, Kind: pricefill.KindPermanent},
		{Name: "400 Data doesn't exist: no bars, no error", Fault: upstream.Fault{Kind: upstream.NoData}, Kind: fetchtest.NoError},
		{Name: "401 every time: permanent", Fault: upstream.Fault{Kind: upstream.Unauthorized}, Kind: pricefill.KindPermanent},
		{Name: "slow body within the timeout", Fault: upstream.Fault{Kind: upstream.Slow, Delay: time.Millisecond}, Kind: fetchtest.NoError, Bars: true},
	},
}

func TestFetchBodyCap(t *testing.T) {
	t.Parallel()
	srv := fetchtest.Upstream(t)
	f := newFetcher(t, srv, httpopt.WithMaxBody(1024))
	_, err := f.Fetch(t.Context(), "AAPL", pricefill.Range{From: d(2023, 1, 1), To: d(2023, 12, 31)})
	if !errors.Is(err, fetchhttp.ErrBodyTooLarge) || pricefill.KindOf(err) != pricefill.KindPermanent {
		t.Errorf("error %v, want permanent ErrBodyTooLarge", err)
	}
	// A week fits.
	if _, err := f.Fetch(t.Context(), "AAPL", pricefill.Range{From: d(2023, 1, 2), To: d(2023, 1, 2)}); err != nil {
		t.Errorf("small answer: %v", err)
	}
}

func paths(reqs []upstream.Request) []string {
	var out []string
	for _, r := range reqs {
		out = append(out, r.Path)
	}
	return out
}

// TestCrumbRefresh: on a 401 the fetcher gets a cookie and a crumb, once,
// retries with them, and keeps them for later fetches until Yahoo
// refuses them.
func TestCrumbRefresh(t *testing.T) {
	t.Parallel()
	srv := fetchtest.Upstream(t, upstream.WithYahooCrumb())
	f := newFetcher(t, srv)
	const chart = "/v8/finance/chart/AAPL"
	if _, err := f.Fetch(t.Context(), "AAPL", week); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{chart, "/", "/v1/test/getcrumb", chart}, paths(srv.Requests())); diff != "" {
		t.Errorf("first fetch (-want +got):\n%s", diff)
	}
	if got := srv.Requests()[3].Query.Get("crumb"); got == "" {
		t.Error("retry without a crumb")
	}
	srv.Reset()
	if _, err := f.Fetch(t.Context(), "AAPL", week); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{chart}, paths(srv.Requests())); diff != "" {
		t.Errorf("second fetch reuses the crumb (-want +got):\n%s", diff)
	}
	srv.ExpireCrumb()
	srv.Reset()
	if _, err := f.Fetch(t.Context(), "AAPL", week); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{chart, "/", "/v1/test/getcrumb", chart}, paths(srv.Requests())); diff != "" {
		t.Errorf("after expiry (-want +got):\n%s", diff)
	}
}

// TestCrumbRefreshOnceThenPermanent: a 401 that a fresh crumb does not
// cure is permanent, after exactly one refresh.
func TestCrumbRefreshOnceThenPermanent(t *testing.T) {
	t.Parallel()
	srv := fetchtest.Upstream(t)
	srv.SetFault("AAPL", upstream.Fault{Kind: upstream.Unauthorized})
	_, err := newFetcher(t, srv).Fetch(t.Context(), "AAPL", week)
	if pricefill.KindOf(err) != pricefill.KindPermanent || !strings.Contains(err.Error(), "Invalid Crumb") {
		t.Errorf("error %v, want permanent naming Invalid Crumb", err)
	}
	const chart = "/v8/finance/chart/AAPL"
	if diff := cmp.Diff([]string{chart, "/", "/v1/test/getcrumb", chart}, paths(srv.Requests())); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

// TestCrumbRefreshShared: fetches refused together refresh the session
// once between them.
func TestCrumbRefreshShared(t *testing.T) {
	t.Parallel()
	srv := fetchtest.Upstream(t, upstream.WithYahooCrumb())
	f := newFetcher(t, srv)
	var wg sync.WaitGroup
	for _, sym := range []string{"A", "B", "C", "D", "E", "F", "G", "H"} {
		wg.Go(func() {
			if _, err := f.Fetch(t.Context(), sym, week); err != nil {
				t.Errorf("%s: %v", sym, err)
			}
		})
	}
	wg.Wait()
	crumbs := 0
	for _, p := range paths(srv.Requests()) {
		if p == "/v1/test/getcrumb" {
			crumbs++
		}
	}
	if crumbs != 1 {
		t.Errorf("%d crumb requests, want 1", crumbs)
	}
}

func TestCrumbFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fault upstream.Fault
		kind  pricefill.Kind
	}{
		{upstream.Fault{Kind: upstream.RateLimit, RetryAfter: "3"}, pricefill.KindRateLimited},
		{upstream.Fault{Kind: upstream.Status, Status: 500}, pricefill.KindTransient},
		{upstream.Fault{Kind: upstream.Drop}, pricefill.KindTransient},
		{upstream.Fault{Kind: upstream.HTML}, pricefill.KindPermanent},
	}
	for _, tc := range tests {
		t.Run(tc.fault.Kind.String(), func(t *testing.T) {
			t.Parallel()
			srv := fetchtest.Upstream(t, upstream.WithYahooCrumb())
			srv.SetFault(upstream.Crumb, tc.fault)
			_, err := newFetcher(t, srv).Fetch(t.Context(), "AAPL", week)
			if got := pricefill.KindOf(err); err == nil || got != tc.kind {
				t.Errorf("error %v (%s), want %s", err, got, tc.kind)
			}
		})
	}
}

func TestFetchBadInput(t *testing.T) {
	t.Parallel()
	srv := fetchtest.Upstream(t)
	f := newFetcher(t, srv)
	for _, tc := range []struct {
		sym string
		r   pricefill.Range
	}{
		{"", week},
		{"AA PL", week},
		{"AAPL", pricefill.Range{From: week.To, To: week.From}},
		{"AAPL", pricefill.Range{}},
	} {
		if _, err := f.Fetch(t.Context(), tc.sym, tc.r); pricefill.KindOf(err) != pricefill.KindPermanent {
			t.Errorf("Fetch(%q, %s): error %v, want permanent", tc.sym, tc.r, err)
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests for bad input, want 0", n)
	}
}

func TestNewOptions(t *testing.T) {
	t.Parallel()
	newAny := func(opts ...httpopt.Option) (backfill.Fetcher, error) { return yahoo.New(opts...) }
	fetchtest.CheckOptionErrors(t, newAny, nil, []fetchtest.OptionError{
		{Option: httpopt.WithBaseURL("ftp://example.com"), Want: "httpopt.WithBaseURL"},
		{Option: httpopt.WithBaseURL("example.com"), Want: "httpopt.WithBaseURL"},
		{Option: yahoo.WithCookieURL("::"), Want: "yahoo.WithCookieURL"},
		{Option: httpopt.WithMaxBody(-1), Want: "httpopt.WithMaxBody"},
	})
	if _, err := yahoo.New(); err != nil {
		t.Errorf("defaults: %v", err)
	}
	// Nil and zero mean the default.
	if _, err := yahoo.New(httpopt.WithBaseURL(""), yahoo.WithCookieURL(""), httpopt.WithHTTPClient(nil), httpopt.WithUserAgent(""),
		httpopt.WithMaxBody(0), httpopt.WithClock(nil)); err != nil {
		t.Errorf("zero options: %v, want the defaults", err)
	}
}

func TestSymbol(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"AAPL": "AAPL", "BRK.B": "BRK-B", "BF.A": "BF-A", "LBRD.K": "LBRD-K", "BF-B": "BF-B",
		"OCDO.L": "OCDO.L", "BHP.AX": "BHP.AX", "7203.T": "7203.T", "SAP.DE": "SAP.DE", "SHOP.TO": "SHOP.TO",
		"^GSPC": "^GSPC", "EURUSD=X": "EURUSD=X", "NOVO-B.CO": "NOVO-B.CO",
	} {
		if got := yahoo.Symbol(in); got != want {
			t.Errorf("Symbol(%q) = %q, want %q", in, got, want)
		}
	}
}
