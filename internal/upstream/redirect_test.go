package upstream_test

import (
	"net/http"
	"testing"

	"github.com/pricefill/pricefill/internal/upstream"
)

// TestRedirect: a Redirect fault answers 302 to its Location with the
// request's query, or to the request's own URL, on every provider's
// endpoint, and is recorded as such.
func TestRedirect(t *testing.T) {
	t.Parallel()
	srv := setup(t)
	srv.SetFault("AAPL", upstream.Fault{Kind: upstream.Redirect, Location: "http://127.0.0.1:1/elsewhere"})
	srv.SetFault("LOOP", upstream.Fault{Kind: upstream.Redirect})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tc := range []struct{ path, want string }{
		{"/v8/finance/chart/AAPL?period1=1&period2=2", "http://127.0.0.1:1/elsewhere?period1=1&period2=2"},
		{"/q/d/l/?s=aapl.us&i=d&apikey=k", "http://127.0.0.1:1/elsewhere?s=aapl.us&i=d&apikey=k"},
		{"/query?function=TIME_SERIES_DAILY&symbol=AAPL&apikey=k", "http://127.0.0.1:1/elsewhere?function=TIME_SERIES_DAILY&symbol=AAPL&apikey=k"},
		{"/v8/finance/chart/LOOP?period1=1", "/v8/finance/chart/LOOP?period1=1"},
	} {
		resp, err := client.Get(srv.URL() + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != tc.want {
			t.Errorf("%s: %d to %q, want 302 to %q", tc.path, resp.StatusCode, resp.Header.Get("Location"), tc.want)
		}
	}
	reqs := srv.Requests()
	if len(reqs) != 4 {
		t.Fatalf("%d requests recorded, want 4", len(reqs))
	}
	for _, r := range reqs {
		if r.Fault != upstream.Redirect || r.Status != http.StatusFound {
			t.Errorf("%s recorded with fault %s, status %d; want redirect, 302", r.Path, r.Fault, r.Status)
		}
	}
}
