package stooq_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill/stooq"
	"github.com/pricefill/pricefill/internal/fetchtest"
	"github.com/pricefill/pricefill/internal/upstream"
)

var (
	d    = pricefill.Date
	week = pricefill.Range{From: d(2024, 1, 8), To: d(2024, 1, 12)}
)

const key = "k3y-0f-te5t"

func newFetcher(t *testing.T, srv *upstream.Server, opts ...stooq.Option) *stooq.Fetcher {
	t.Helper()
	f, err := stooq.New(append([]stooq.Option{stooq.WithBaseURL(srv.URL()), stooq.WithHTTPClient(srv.Client()), stooq.WithAPIKey(key)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return f
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
			want := srv.Bars(tc.symbol, week)
			for i := range want {
				want[i].Source = stooq.Source
				want[i].AdjClose = 0 // Stooq's CSV has none
			}
			if diff := cmp.Diff(want, s.Bars); diff != "" {
				t.Errorf("bars (-served +fetched):\n%s", diff)
			}
			reqs := srv.Requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			got := map[string]string{"path": reqs[0].Path}
			for k := range reqs[0].Query {
				got[k] = reqs[0].Query.Get(k)
			}
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
	f, err := stooq.New(stooq.WithBaseURL(srv.URL()), stooq.WithHTTPClient(srv.Client()))
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
	srv := fetchtest.Upstream(t, upstream.WithAPIKey("from-env-123"))
	t.Setenv(stooq.EnvAPIKey, "from-env-123")
	f, err := stooq.New(stooq.WithBaseURL(srv.URL()), stooq.WithHTTPClient(srv.Client()), stooq.WithAPIKeyFromEnv())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Fetch(t.Context(), "AAPL", week); err != nil {
		t.Errorf("fetch with the key from the environment: %v", err)
	}
}

func TestFetchFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		fault      upstream.Fault
		kind       pricefill.Kind
		retryAfter time.Duration
		mention    string
	}{
		{"429 with Retry-After", upstream.Fault{Kind: upstream.RateLimit, RetryAfter: "12"}, pricefill.KindRateLimited, 12 * time.Second, ""},
		{"daily hits limit", upstream.Fault{Kind: upstream.Quota}, pricefill.KindRateLimited, fetchtest.QuotaUsedUp, "daily"},
		{"500", upstream.Fault{Kind: upstream.Status, Status: 500}, pricefill.KindTransient, 0, "500"},
		{"502", upstream.Fault{Kind: upstream.Status, Status: 502}, pricefill.KindTransient, 0, "502"},
		{"503", upstream.Fault{Kind: upstream.Status}, pricefill.KindTransient, 0, "503"},
		{"dropped connection", upstream.Fault{Kind: upstream.Drop}, pricefill.KindTransient, 0, ""},
		{"truncated body", upstream.Fault{Kind: upstream.Truncate}, pricefill.KindTransient, 0, ""},
		{"malformed CSV", upstream.Fault{Kind: upstream.Malformed}, pricefill.KindTransient, 0, "malformed"},
		{"API key page", upstream.Fault{Kind: upstream.HTML}, pricefill.KindPermanent, 0, "API key"},
		{"refused key", upstream.Fault{Kind: upstream.Unauthorized}, pricefill.KindPermanent, 0, "API key"},
		{"proof-of-work page", upstream.Fault{Kind: upstream.ProofOfWork}, pricefill.KindPermanent, 0, "proof-of-work"},
		{"No data", upstream.Fault{Kind: upstream.NotFound}, pricefill.KindNotFound, 0, "No data"},
		{"No data for the range", upstream.Fault{Kind: upstream.NoData}, pricefill.KindNotFound, 0, "No data"},
		{"403", upstream.Fault{Kind: upstream.Premium}, pricefill.KindPermanent, 0, "403"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := fetchtest.Upstream(t)
			srv.SetFault("AAPL", tc.fault)
			_, err := newFetcher(t, srv).Fetch(t.Context(), "AAPL", week)
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
			if !strings.Contains(err.Error(), tc.mention) || !strings.Contains(err.Error(), "AAPL") {
				t.Errorf("error %q does not name AAPL and %q", err, tc.mention)
			}
			if strings.Contains(err.Error(), key) {
				t.Errorf("error %q holds the key", err)
			}
		})
	}
}

func TestFetchTimeouts(t *testing.T) {
	t.Parallel()
	srv := fetchtest.Upstream(t)
	srv.SetFault("AAPL", upstream.Fault{Kind: upstream.Slow, Delay: time.Hour})
	client := &http.Client{Transport: srv.Client().Transport, Timeout: 50 * time.Millisecond}
	_, err := newFetcher(t, srv, stooq.WithHTTPClient(client)).Fetch(t.Context(), "AAPL", week)
	if err == nil || pricefill.KindOf(err) != pricefill.KindTransient || strings.Contains(err.Error(), key) {
		t.Errorf("client timeout: error %v, want transient without the key", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := newFetcher(t, srv).Fetch(ctx, "AAPL", week); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("context deadline: error %v, want context.DeadlineExceeded", err)
	}
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
	for _, tc := range []struct {
		opt  stooq.Option
		want string
	}{
		{stooq.WithBaseURL("stooq.com"), "stooq.WithBaseURL"},
		{stooq.WithHTTPClient(nil), "stooq.WithHTTPClient"},
		{stooq.WithMaxBody(-1), "stooq.WithMaxBody"},
		{stooq.WithClock(nil), "stooq.WithClock"},
		{stooq.WithAPIKey(""), "stooq.WithAPIKey"},
		{stooq.WithAPIKey("has space"), "stooq.WithAPIKey"},
	} {
		_, err := stooq.New(tc.opt)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want one naming %s", err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "has space") {
			t.Errorf("error %q repeats the key", err)
		}
	}
}
