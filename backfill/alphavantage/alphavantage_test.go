package alphavantage_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill/alphavantage"
	"github.com/pricefill/pricefill/internal/clocktest"
	"github.com/pricefill/pricefill/internal/fetchtest"
	"github.com/pricefill/pricefill/internal/secrettest"
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

func newFetcher(t *testing.T, srv *upstream.Server, opts ...alphavantage.Option) *alphavantage.Fetcher {
	t.Helper()
	f, err := alphavantage.New(append([]alphavantage.Option{
		alphavantage.WithBaseURL(srv.URL()), alphavantage.WithHTTPClient(srv.Client()),
		alphavantage.WithAPIKey(key), alphavantage.WithClock(clocktest.NewFake(now)),
	}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return f
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
			want := srv.Bars(tc.symbol, tc.r)
			for i := range want {
				want[i].Source, want[i].AdjClose = alphavantage.Source, 0
			}
			if len(want) == 0 {
				t.Fatal("test premise: the server serves bars in the range")
			}
			if diff := cmp.Diff(want, s.Bars); diff != "" {
				t.Errorf("bars (-served +fetched):\n%s", diff)
			}
			if s.Asset.Symbol != strings.ToUpper(tc.symbol) || s.Asset.Timezone != "America/New_York" {
				t.Errorf("asset %+v", s.Asset)
			}
			reqs := srv.Requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests", len(reqs))
			}
			got := map[string]string{"path": reqs[0].Path}
			for k := range reqs[0].Query {
				got[k] = reqs[0].Query.Get(k)
			}
			wantQ := map[string]string{"path": "/query", "function": "TIME_SERIES_DAILY", "symbol": tc.sent, "outputsize": tc.size, "datatype": "json", "apikey": key}
			if diff := cmp.Diff(wantQ, got); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFetchFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		fault      upstream.Fault
		kind       pricefill.Kind
		retryAfter time.Duration
	}{
		{"Note", upstream.Fault{Kind: upstream.Quota}, pricefill.KindRateLimited, alphavantage.PerMinuteWait},
		{"429 with Retry-After", upstream.Fault{Kind: upstream.RateLimit, RetryAfter: "30"}, pricefill.KindRateLimited, 30 * time.Second},
		{"Information premium", upstream.Fault{Kind: upstream.Premium}, pricefill.KindPermanent, 0},
		{"Error Message invalid call", upstream.Fault{Kind: upstream.NotFound}, pricefill.KindNotFound, 0},
		{"Error Message bad key", upstream.Fault{Kind: upstream.Unauthorized}, pricefill.KindPermanent, 0},
		{"500", upstream.Fault{Kind: upstream.Status, Status: 500}, pricefill.KindTransient, 0},
		{"502", upstream.Fault{Kind: upstream.Status, Status: 502}, pricefill.KindTransient, 0},
		{"503", upstream.Fault{Kind: upstream.Status}, pricefill.KindTransient, 0},
		{"HTML page", upstream.Fault{Kind: upstream.HTML}, pricefill.KindTransient, 0},
		{"dropped connection", upstream.Fault{Kind: upstream.Drop}, pricefill.KindTransient, 0},
		{"truncated body", upstream.Fault{Kind: upstream.Truncate}, pricefill.KindTransient, 0},
		{"malformed JSON", upstream.Fault{Kind: upstream.Malformed}, pricefill.KindTransient, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := setup(t)
			srv.SetFault("MSFT", tc.fault)
			_, err := newFetcher(t, srv).Fetch(t.Context(), "MSFT", week)
			if err == nil {
				t.Fatalf("no error, want %s", tc.kind)
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
			if !strings.Contains(err.Error(), "MSFT") {
				t.Errorf("error %q does not name MSFT", err)
			}
			secrettest.Check(t, err, key)
		})
	}
	// An empty series is no bars, not an error.
	srv := setup(t)
	srv.SetFault("MSFT", upstream.Fault{Kind: upstream.NoData})
	if s, err := newFetcher(t, srv).Fetch(t.Context(), "MSFT", week); err != nil || len(s.Bars) != 0 {
		t.Errorf("empty series: %v, %v", s, err)
	}
}

func TestFetchTimeouts(t *testing.T) {
	t.Parallel()
	srv := fetchtest.Upstream(t) // real clock: slow bodies pause on it
	srv.SetFault("MSFT", upstream.Fault{Kind: upstream.Slow, Delay: time.Hour})
	client := &http.Client{Transport: srv.Client().Transport, Timeout: 50 * time.Millisecond}
	_, err := newFetcher(t, srv, alphavantage.WithHTTPClient(client)).Fetch(t.Context(), "MSFT", week)
	if err == nil || pricefill.KindOf(err) != pricefill.KindTransient {
		t.Errorf("client timeout: %v, want transient", err)
	}
	secrettest.Check(t, err, key)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := newFetcher(t, srv).Fetch(ctx, "MSFT", week); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("context deadline: %v", err)
	}
}

// TestSecretsNeverInErrors: whatever goes wrong, no error in the chain
// that Fetch returns holds the API key, raw or escaped.
func TestSecretsNeverInErrors(t *testing.T) {
	t.Parallel()
	srv := setup(t)
	client := &http.Client{Transport: srv.Client().Transport, Timeout: 20 * time.Millisecond}
	faults := []upstream.Fault{
		{Kind: upstream.Drop}, {Kind: upstream.Status, Status: 500}, {Kind: upstream.HTML}, {Kind: upstream.Malformed},
		{Kind: upstream.Truncate}, {Kind: upstream.Status, Status: 404}, {Kind: upstream.Status, Status: 400},
		{Kind: upstream.Unauthorized}, {Kind: upstream.RateLimit, RetryAfter: "5"}, {Kind: upstream.Quota},
		{Kind: upstream.NotFound}, {Kind: upstream.NoData}, {Kind: upstream.Premium}, {},
	}
	var n atomic.Int64
	rapid.Check(t, func(rt *rapid.T) {
		k := rapid.StringMatching(`[A-Za-z0-9+/=%&._~-]{6,40}`).Draw(rt, "key")
		f, err := alphavantage.New(alphavantage.WithBaseURL(srv.URL()), alphavantage.WithHTTPClient(client), alphavantage.WithAPIKey(k), alphavantage.WithClock(clocktest.NewFake(now)))
		if err != nil {
			rt.Fatal(err)
		}
		sym := fmt.Sprintf("S%d", n.Add(1))
		srv.PushFaults(sym, rapid.SampledFrom(faults).Draw(rt, "fault"))
		_, err = f.Fetch(t.Context(), sym, week)
		secrettest.Check(rt, err, k)
	})
}

func TestNewOptions(t *testing.T) {
	t.Parallel()
	if _, err := alphavantage.New(); err == nil || !strings.Contains(err.Error(), alphavantage.EnvAPIKey) {
		t.Errorf("no key: %v, want an error naming %s", err, alphavantage.EnvAPIKey)
	}
	for _, tc := range []struct {
		opt  alphavantage.Option
		want string
	}{
		{alphavantage.WithBaseURL("ftp://x"), "alphavantage.WithBaseURL"},
		{alphavantage.WithHTTPClient(nil), "alphavantage.WithHTTPClient"},
		{alphavantage.WithMaxBody(-1), "alphavantage.WithMaxBody"},
		{alphavantage.WithAPIKey("bad key"), "alphavantage.WithAPIKey"},
	} {
		_, err := alphavantage.New(alphavantage.WithAPIKey("k"), tc.opt)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want one naming %s", err, tc.want)
		}
	}
}

func TestWithAPIKeyFromEnv(t *testing.T) {
	srv := setup(t, upstream.WithAPIKey("from-env"))
	t.Setenv(alphavantage.EnvAPIKey, "from-env")
	f, err := alphavantage.New(alphavantage.WithBaseURL(srv.URL()), alphavantage.WithHTTPClient(srv.Client()), alphavantage.WithAPIKeyFromEnv())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Fetch(t.Context(), "MSFT", week); err != nil {
		t.Errorf("fetch with the key from the environment: %v", err)
	}
}
