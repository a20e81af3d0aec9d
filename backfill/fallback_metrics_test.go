package backfill_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/internal/fake"
	"github.com/pricefill/pricefill/ratelimit"
)

// TestFallbackMetricsPerProvider: a Runner of a Fallback with metrics
// registers every provider's limiter, and each counts the requests sent
// to its provider, under its own label.
func TestFallbackMetricsPerProvider(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		first, second := fake.NewFetcher(h.clock), fake.NewFetcher(h.clock)
		first.Script("B", fake.Step{Err: pricefill.NotFound("B", errors.New("one: No data"))})
		first.Script("C", fake.Step{Err: pricefill.NotFound("C", errors.New("one: No data"))})
		limiter := func(name string) *ratelimit.Limiter {
			l, err := ratelimit.New(ratelimit.WithName(name), ratelimit.WithClock(h.clock))
			if err != nil {
				t.Fatal(err)
			}
			return l
		}
		fb := newFallback(t,
			backfill.Provider{Name: "one", Fetcher: first, Limiter: limiter("one")},
			backfill.Provider{Name: "two", Fetcher: second, Limiter: limiter("two")})
		reg := prometheus.NewPedanticRegistry()
		r := h.runnerOf(fb, backfill.WithLimiter(fb), backfill.WithMetrics(reg))
		if _, err := r.Run(context.Background(), backfill.Request{Symbols: []string{"A", "B", "C", "D"}, Range: march}); err != nil {
			t.Fatal(err)
		}
		lint(t, reg)
		got := values(t, reg)
		want := map[string]float64{
			`pricefill_provider_requests_total{outcome="answered",provider="one"}`: 4, // two served, two not known
			`pricefill_provider_requests_total{outcome="answered",provider="two"}`: 2,
			`pricefill_limiter_grants_total{provider="one"}`:                       4,
			`pricefill_limiter_grants_total{provider="two"}`:                       2,
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %v, want %v", k, got[k], v)
			}
		}
		if diff := cmp.Diff(4.0, got[`pricefill_tasks_total{status="completed"}`]); diff != "" {
			t.Errorf("completed tasks (-want +got):\n%s", diff)
		}
	})
}
