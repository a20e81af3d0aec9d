package fetchtest

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/backfill/httpopt"
	"github.com/pricefill/pricefill/internal/upstream"
)

// CheckEnds checks the bars read off a fixture: n of them, the first and
// the last as given.
func CheckEnds(t testing.TB, bars []pricefill.Bar, n int, first, last pricefill.Bar) {
	t.Helper()
	if len(bars) != n {
		t.Fatalf("%d bars, want %d", len(bars), n)
	}
	if diff := cmp.Diff(first, bars[0]); diff != "" {
		t.Errorf("first bar (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(last, bars[len(bars)-1]); diff != "" {
		t.Errorf("last bar (-want +got):\n%s", diff)
	}
}

// Served returns the bars srv serves for sym over r as a fetcher of
// source returns them: with its Source.
func Served(srv *upstream.Server, sym string, r pricefill.Range, source string) []pricefill.Bar {
	bars := srv.Bars(sym, r)
	for i := range bars {
		bars[i].Source = source
	}
	return bars
}

// Unadjusted sets the AdjClose of bars to 0, as a provider whose answer
// has no adjusted close returns them, and returns bars.
func Unadjusted(bars []pricefill.Bar) []pricefill.Bar {
	for i := range bars {
		bars[i].AdjClose = 0
	}
	return bars
}

// OneRequest checks that srv received exactly one request and returns
// it as a map: the path under "path", and each query parameter's first
// value under its name.
func OneRequest(t testing.TB, srv *upstream.Server) map[string]string {
	t.Helper()
	reqs := srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1: %v", len(reqs), reqs)
	}
	got := map[string]string{"path": reqs[0].Path}
	for k := range reqs[0].Query {
		got[k] = reqs[0].Query.Get(k)
	}
	return got
}

// A NewFunc makes a fetcher with options, as the fetchers' New do.
type NewFunc func(opts ...httpopt.Option) (backfill.Fetcher, error)

// OptionError is a row of [CheckOptionErrors]: an option New must refuse,
// and the text its error must hold (the option's name).
type OptionError struct {
	Option httpopt.Option
	Want   string
}

// CheckOptionErrors checks that New, given base and then each row's
// option, fails with an error that holds the row's Want.
func CheckOptionErrors(t testing.TB, newFetcher NewFunc, base []httpopt.Option, rows []OptionError) {
	t.Helper()
	for _, tc := range rows {
		_, err := newFetcher(append(base[:len(base):len(base)], tc.Option)...)
		if err == nil || !strings.Contains(err.Error(), tc.Want) {
			t.Errorf("error %v, want one naming %s", err, tc.Want)
		}
	}
}

// CheckKeyFromEnv checks that a fetcher made with
// httpopt.WithAPIKeyFromEnv fetches sym over r from a fake upstream that
// wants the key it finds in the environment variable env. It sets env,
// so the test that calls it must not be parallel.
func CheckKeyFromEnv(t *testing.T, newFetcher NewFunc, env, sym string, r pricefill.Range, opts ...upstream.Option) {
	t.Helper()
	const key = "from-env-123"
	srv := Upstream(t, append(opts, upstream.WithAPIKey(key))...)
	t.Setenv(env, key)
	f, err := newFetcher(httpopt.WithBaseURL(srv.URL()), httpopt.WithHTTPClient(srv.Client()), httpopt.WithAPIKeyFromEnv())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Fetch(t.Context(), sym, r); err != nil {
		t.Errorf("fetch with the key from the environment: %v", err)
	}
}

// ParseFixture parses the fixture name of provider with parse and
// returns the series, failing the test on an error.
func ParseFixture(t testing.TB, provider, name string, parse func(body []byte) (*pricefill.Series, error)) *pricefill.Series {
	t.Helper()
	s, err := parse(Fixture(t, provider, name))
	if err != nil {
		t.Fatalf("parse %s/%s: %v", provider, name, err)
	}
	return s
}

// CheckDates checks the dates of s against what a fixture holds over the
// range what names: the dates of its bars, and its null days.
func CheckDates(t testing.TB, s *pricefill.Series, bars, nulls []time.Time, what string) {
	t.Helper()
	var got []time.Time
	for _, b := range s.Bars {
		got = append(got, b.Date)
	}
	if diff := cmp.Diff(bars, got); diff != "" {
		t.Errorf("%s: bar dates (-want +got):\n%s", what, diff)
	}
	if diff := cmp.Diff(nulls, s.Nulls); diff != "" {
		t.Errorf("%s: nulls (-want +got):\n%s", what, diff)
	}
}
