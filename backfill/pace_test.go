package backfill_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/internal/fake"
)

// TestPaceWaitsOnTheRunsLimiter: a fetcher that sends three requests for a
// fetch, calling Pace before the second and third, gets three grants of the
// run's limiter, and the report counts three requests for the symbol.
func TestPaceWaitsOnTheRunsLimiter(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		var grants, sent atomic.Int64
		lim := backfill.LimiterFunc(func(ctx context.Context) error {
			grants.Add(1)
			return ctx.Err()
		})
		f := backfill.FetcherFunc(func(ctx context.Context, symbol string, r pricefill.Range) (*pricefill.Series, error) {
			for i := range 3 {
				if i > 0 {
					if err := backfill.Pace(ctx); err != nil {
						return nil, err
					}
				}
				if sent.Add(1) > grants.Load() {
					t.Errorf("request %d of %s sent before the limiter granted it", i+1, symbol)
				}
			}
			return &pricefill.Series{Asset: pricefill.Asset{Symbol: symbol}, Bars: fake.Bars(symbol, r)}, nil
		})
		r, err := backfill.New(f, h.store, backfill.WithClock(h.clock), backfill.WithQueue(h.queue), backfill.WithLimiter(lim))
		if err != nil {
			t.Fatal(err)
		}
		rep, err := r.Run(context.Background(), backfill.Request{Symbols: []string{"AAPL", "MSFT"}, Range: march})
		if err != nil || rep.Succeeded != 2 {
			t.Fatalf("Run: %v, %+v", err, rep)
		}
		if grants.Load() != 6 || sent.Load() != 6 || rep.Requests != 6 {
			t.Errorf("%d grants, %d requests sent, %d in the report; want 6 of each", grants.Load(), sent.Load(), rep.Requests)
		}
		for _, s := range rep.Symbols {
			if s.Requests != 3 {
				t.Errorf("%s: %d requests in the report, want 3", s.Symbol, s.Requests)
			}
		}
	})
}

// TestPaceOutsideARun: called by a fetcher that no Runner called, Pace
// waits for nothing and only reports the context's end.
func TestPaceOutsideARun(t *testing.T) {
	t.Parallel()
	if err := backfill.Pace(context.Background()); err != nil {
		t.Errorf("Pace(Background) = %v, want nil", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := backfill.Pace(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Pace(cancelled) = %v, want context.Canceled", err)
	}
}
