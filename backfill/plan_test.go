package backfill_test

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/internal/fake"
	"github.com/pricefill/pricefill/ratelimit"
)

// TestPlan: the plan counts a request per stretch of missing days, none
// for a stored symbol, and forecasts them at the limiter's limits,
// without queueing a task or making a request.
func TestPlan(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		h.store.Put(fake.Bars("AAPL", march)...)
		h.store.Put(fake.Bars("MSFT", pricefill.Range{From: march.From, To: pricefill.Date(2026, 3, 13)})...)
		lim, err := ratelimit.New(ratelimit.WithClock(h.clock), ratelimit.WithName("yahoo"), ratelimit.WithInterval(time.Minute), ratelimit.WithHourlyLimit(2))
		if err != nil {
			t.Fatal(err)
		}
		p, err := h.runner(backfill.WithLimiter(lim)).Plan(context.Background(), backfill.Request{Symbols: []string{"AAPL", "MSFT", "GOOG", "NVDA"}, Range: march})
		if err != nil {
			t.Fatal(err)
		}
		if p.Symbols != 4 || p.Stored != 1 || p.Requests != 3 {
			t.Errorf("plan: %d symbols, %d stored, %d requests; want 4, 1, 3", p.Symbols, p.Stored, p.Requests)
		}
		// Two requests a minute apart fill the hour; the third goes when
		// the first leaves it.
		if p.Forecast == nil || p.Forecast.First.Sub(now) != 0 || p.Forecast.Last.Sub(now) != time.Hour {
			t.Fatalf("forecast %+v: want the first now and the last an hour later", p.Forecast)
		}
		var b strings.Builder
		if err := p.WriteText(&b); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"4: 3 need requests, 1 stored already", "requests      3", "1h0m0s at the budget's limits", "yahoo: 0 of 2 requests in the last hour"} {
			if !strings.Contains(b.String(), want) {
				t.Errorf("plan text lacks %q:\n%s", want, b.String())
			}
		}
		if n := len(h.fetcher.Calls()); n != 0 {
			t.Errorf("%d fetches, want none", n)
		}
		if n := len(h.tasks()); n != 0 {
			t.Errorf("%d tasks queued, want none", n)
		}
	})
}
