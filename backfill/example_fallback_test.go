package backfill_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/ratelimit"
)

// A Fallback asks a second provider for what the first does not know. It
// is the Runner's fetcher and its limiter; each provider keeps its own
// budget, and the report says which one served each symbol.
func ExampleFallback() {
	// knows returns a provider that serves symbols, two days each, and
	// does not know the others.
	knows := func(name string, symbols ...string) backfill.Provider {
		fetch := backfill.FetcherFunc(func(ctx context.Context, symbol string, r pricefill.Range) (*pricefill.Series, error) {
			if !slices.Contains(symbols, symbol) {
				return nil, pricefill.NotFound(symbol, nil)
			}
			var bars []pricefill.Bar
			for _, d := range []time.Time{pricefill.Date(2025, 6, 2), pricefill.Date(2025, 6, 3)} {
				bars = append(bars, pricefill.Bar{Symbol: symbol, Date: d, Open: 10, High: 11, Low: 9, Close: 10.5, Volume: 1000})
			}
			return &pricefill.Series{Asset: pricefill.Asset{Symbol: symbol}, Bars: bars}, nil
		})
		// Its own budget: no interval, 100 requests an hour.
		lim, err := ratelimit.New(ratelimit.WithName(name), ratelimit.WithInterval(0), ratelimit.WithHourlyLimit(100))
		if err != nil {
			panic(err)
		}
		return backfill.Provider{Name: name, Fetcher: fetch, Limiter: lim}
	}
	fb, err := backfill.NewFallback(knows("yahoo", "AAPL", "MSFT"), knows("stooq", "AAPL", "CDR.WA"))
	if err != nil {
		panic(err)
	}

	r, err := backfill.New(fb, &mapStore{bars: map[string][]pricefill.Bar{}},
		backfill.WithLimiter(fb),
		backfill.WithLogger(slog.New(slog.DiscardHandler)),
	)
	if err != nil {
		panic(err)
	}
	rep, err := r.Run(context.Background(), backfill.Request{
		Symbols: []string{"AAPL", "CDR.WA", "MSFT", "NOPE"},
		Range:   pricefill.Range{From: pricefill.Date(2025, 6, 2), To: pricefill.Date(2025, 6, 6)},
	})
	if err != nil {
		panic(err)
	}
	for _, s := range rep.Symbols {
		fmt.Printf("%-6s %-18s %d requests, served by %q\n", s.Symbol, s.Status, s.Requests, s.Source)
	}
	for _, f := range rep.Failures {
		fmt.Printf("%s: %s: %s\n", f.Symbol, f.Kind, f.Err)
	}
	for _, p := range fb.Providers() {
		st, err := p.Limiter.(backfill.StatusReporter).Status(context.Background())
		if err != nil {
			panic(err)
		}
		fmt.Printf("budget of %s: %d requests this hour\n", st.Name, st.HourlyCount)
	}
	// Output:
	// AAPL   completed          1 requests, served by "yahoo"
	// CDR.WA completed          2 requests, served by "stooq"
	// MSFT   completed          1 requests, served by "yahoo"
	// NOPE   permanently_failed 2 requests, served by ""
	// NOPE: not_found: no provider served NOPE: yahoo: symbol NOPE not found; stooq: symbol NOPE not found
	// budget of yahoo: 4 requests this hour
	// budget of stooq: 2 requests this hour
}
