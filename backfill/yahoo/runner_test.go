package yahoo_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/backfill/httpopt"
	"github.com/pricefill/pricefill/backfill/synthetic"
	"github.com/pricefill/pricefill/backfill/yahoo"
	"github.com/pricefill/pricefill/internal/fake"
	"github.com/pricefill/pricefill/internal/upstream"
	"github.com/pricefill/pricefill/validate"
)

// TestRunnerStoresExactlyTheValidBars runs the runner with the Yahoo
// fetcher against the fake upstream serving null days, invalid bars, an
// unknown symbol, 429s and 503s: every valid bar is stored once, no null
// or invalid one is.
func TestRunnerStoresExactlyTheValidBars(t *testing.T) {
	t.Parallel()
	srv, err := upstream.New(upstream.WithNullRate(0.05), upstream.WithGenerator(synthetic.WithInvalidRate(0.05)))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.SetUnknown("ZZZZ")
	srv.PushFaults("MSFT", upstream.Fault{Kind: upstream.RateLimit}, upstream.Fault{Kind: upstream.Status, Status: 503})
	srv.PushFaults("BRK.B", upstream.Fault{Kind: upstream.Truncate})

	f, err := yahoo.New(httpopt.WithBaseURL(srv.URL()), httpopt.WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	store := fake.NewStore()
	r, err := backfill.New(f, store,
		backfill.WithLimiter(backfill.LimiterFunc(func(ctx context.Context) error { return ctx.Err() })),
		backfill.WithRetryBackoff(func(int) time.Duration { return time.Millisecond }),
		backfill.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	rng := pricefill.Range{From: pricefill.Date(2024, 1, 1), To: pricefill.Date(2024, 12, 31)}
	symbols := []string{"AAPL", "MSFT", "BRK.B", "ZZZZ", "OCDO.L"}
	rep, err := r.Run(context.Background(), backfill.Request{Symbols: symbols, Range: rng})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Succeeded != 4 || rep.Failed != 1 || rep.Failures[0].Symbol != "ZZZZ" || rep.Failures[0].Kind != pricefill.KindNotFound {
		t.Fatalf("report: %d succeeded, %d failed (%+v); want 4, and ZZZZ not found", rep.Succeeded, rep.Failed, rep.Failures)
	}

	v := &validate.Validator{}
	now := time.Now()
	rejected := 0
	zones := map[string]string{"AAPL": "America/New_York", "MSFT": "America/New_York", "BRK.B": "America/New_York", "OCDO.L": "Europe/London"}
	for sym, tz := range zones {
		var want []pricefill.Bar
		for _, b := range srv.Bars(sym, rng) {
			b.Source = yahoo.Source
			err := v.Validate(now, rng, pricefill.Asset{Symbol: sym, Timezone: tz}, nil, b)
			switch {
			case err == nil:
				want = append(want, b)
			case errors.Is(err, pricefill.ErrInvalidBar):
				rejected++
			default:
				t.Fatal(err)
			}
		}
		if len(want) < 200 {
			t.Fatalf("%s: only %d valid bars served; the test needs a year's worth", sym, len(want))
		}
		if diff := cmp.Diff(want, store.Bars(sym)); diff != "" {
			t.Errorf("%s: stored bars (-valid served +stored):\n%s", sym, diff)
		}
	}
	if rejected == 0 {
		t.Errorf("the upstream served no invalid bar: the test checks nothing about rejects")
	}
}
