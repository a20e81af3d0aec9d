package stooq_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/backfill/httpopt"
	"github.com/pricefill/pricefill/backfill/stooq"
	"github.com/pricefill/pricefill/internal/fetchtest"
	"github.com/pricefill/pricefill/internal/upstream"
)

var (
	d    = pricefill.Date
	week = pricefill.Range{From: d(2024, 1, 8), To: d(2024, 1, 12)}
)

const key = "k3y-0f-te5t"

func newFetcher(t *testing.T, srv *upstream.Server, opts ...httpopt.Option) *stooq.Fetcher {
	t.Helper()
	f, err := stooq.New(append([]httpopt.Option{httpopt.WithBaseURL(srv.URL()), httpopt.WithHTTPClient(srv.Client()), httpopt.WithAPIKey(key)}, opts...)...)
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
	tests := []struct{ symbol, sent string }{
		{"AAPL", "aapl.us"},
		{"BRK.B", "brk-b.us"},
		{"OCDO.L", "ocdo.uk"},
		{"^GSPC", "^spx"},
	}
	for _, tc := range tests {
		t.Run(tc.symbol, func(t *testing.T) {
			t.Parallel()
			srv := fetchtest.Upstream(t, upstream.WithAPIKey(key))
			s, err := newFetcher(t, srv).Fetch(t.Context(), tc.symbol, week)
			if err != nil {
				t.Fatal(err)
			}
			want := fetchtest.Unadjusted(fetchtest.Served(srv, tc.symbol, week, stooq.Source)) // Stooq's CSV has no adjusted close
			if diff := cmp.Diff(want, s.Bars); diff != "" {
				t.Errorf("bars (-served +fetched):\n%s", diff)
			}
			got := fetchtest.OneRequest(t, srv)
			wantQ := map[string]string{"path": "/q/d/l/", "s": tc.sent, "i": "d", "d1": "20240108", "d2": "20240112", "apikey": key}
			if diff := cmp.Diff(wantQ, got); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFetchWithoutKey(t *testing.T) {
	t.Parallel()
	srv := fetchtest.Upstream(t)
	f, err := stooq.New(httpopt.WithBaseURL(srv.URL()), httpopt.WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Fetch(t.Context(), "AAPL", week); err != nil {
		t.Fatal(err)
	}
	if q := srv.Requests()[0].Query; q.Has("apikey") {
		t.Errorf("query %v has an apikey", q)
	}
}

func TestWithAPIKeyFromEnv(t *testing.T) {
	fetchtest.CheckKeyFromEnv(t, newAny, stooq.EnvAPIKey, "AAPL", week)
}

// newAny is stooq.New as a [fetchtest.NewFunc].
func newAny(opts ...httpopt.Option) (backfill.Fetcher, error) { return stooq.New(opts...) }

// provider is the Stooq fetcher under the fetchers' fault kit, with what
// Stooq spells its own way.
var provider = fetchtest.Provider{
	New: func(srv *upstream.Server, client *http.Client, clock pricefill.Clock, key string) (backfill.Fetcher, error) {
		return stooq.New(httpopt.WithBaseURL(srv.URL()), httpopt.WithHTTPClient(client), httpopt.WithClock(clock), httpopt.WithAPIKey(key))
	},
	Symbol: "AAPL", Range: week, Key: key,
	Faults: []fetchtest.Fault{
		{Name: "malformed body", Fault: upstream.Fault{Kind: upstream.Malformed}, Kind: pricefill.KindTransient, Mention: "malformed"},
		{Name: "daily hits limit", Fault: upstream.Fault{Kind: upstream.Quota}, Kind: pricefill.KindRateLimited, RetryAfter: fetchtest.QuotaUsedUp, Mention: "daily"},
		{Name: "API key page", Fault: upstream.Fault{Kind: upstream.HTML}, Kind: pricefill.KindPermanent, Mention: "API key"},
		{Name: "refused key", Fault: upstream.Fault{Kind: upstream.Unauthorized}, Kind: pricefill.KindPermanent, Mention: "API key"},
		{Name: "proof-of-work page", Fault: upstream.Fault{Kind: upstream.ProofOfWork}, Kind: pricefill.KindPermanent, Mention: "proof-of-work"},
		{Name: "No data", Fault: upstream.Fault{Kind: upstream.NotFound}, Kind: pricefill.KindNotFound, Mention: "No data"},
		{Name: "No data for the range", Fault: upstream.Fault{Kind: upstream.NoData}, Kind: pricefill.KindNotFound, Mention: "No data"},
		{Name: "403", Fault: upstream.Fault{Kind: upstream.Premium}, Kind: pricefill.KindPermanent, Mention: "403"},
	},
}

func TestFetchUnmappedSymbol(t *testing.T) {
	t.Parallel()
	srv := fetchtest.Upstream(t)
	_, err := newFetcher(t, srv).Fetch(t.Context(), "BHP.AX", week)
	if pricefill.KindOf(err) != pricefill.KindNotFound {
		t.Errorf("error %v, want not found", err)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests, want none", n)
	}
}

func TestNewOptions(t *testing.T) {
	t.Parallel()
	fetchtest.CheckOptionErrors(t, newAny, nil, []fetchtest.OptionError{
		{Option: httpopt.WithBaseURL("stooq.com"), Want: "httpopt.WithBaseURL"},
		{Option: httpopt.WithMaxBody(-1), Want: "httpopt.WithMaxBody"},
		{Option: httpopt.WithAPIKey("has space"), Want: "httpopt.WithAPIKey"},
		{Option: httpopt.WithAPIKey(strings.Repeat("k", 257)), Want: "httpopt.WithAPIKey"},
	})
	if _, err := stooq.New(httpopt.WithAPIKey("has space")); err != nil && strings.Contains(err.Error(), "has space") {
		t.Errorf("error %q repeats the key", err)
	}
	// Nil and zero mean the default (for the key: none).
	if _, err := stooq.New(httpopt.WithBaseURL(""), httpopt.WithHTTPClient(nil), httpopt.WithUserAgent(""), httpopt.WithAPIKey(""),
		httpopt.WithMaxBody(0), httpopt.WithClock(nil)); err != nil {
		t.Errorf("zero options: %v, want the defaults", err)
	}
}
