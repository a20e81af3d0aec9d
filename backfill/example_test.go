package backfill_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
)

// A service embeds the runner with its own source of prices and its own
// storage: a Fetcher and a Store are all it has to write.
func Example() {
	// The service's source: here, a constant price on two days.
	fetch := backfill.FetcherFunc(func(ctx context.Context, symbol string, r pricefill.Range) (*pricefill.Series, error) {
		if symbol == "NOPE" {
			return nil, pricefill.NotFound(symbol, nil)
		}
		var bars []pricefill.Bar
		for _, d := range []time.Time{pricefill.Date(2025, 6, 2), pricefill.Date(2025, 6, 3)} {
			bars = append(bars, pricefill.Bar{Symbol: symbol, Date: d, Open: 10, High: 11, Low: 9, Close: 10.5, Volume: 1000, Source: "mine"})
		}
		return &pricefill.Series{Asset: pricefill.Asset{Symbol: symbol}, Bars: bars}, nil
	})
	store := &mapStore{bars: map[string][]pricefill.Bar{}}

	r, err := backfill.New(fetch, store,
		backfill.WithConcurrency(2),
		backfill.WithLimiter(backfill.LimiterFunc(func(ctx context.Context) error { return ctx.Err() })),
		backfill.WithLogger(slog.New(slog.DiscardHandler)),
	)
	if err != nil {
		panic(err)
	}
	rep, err := r.Run(context.Background(), backfill.Request{
		Symbols: []string{"AAPL", "MSFT", "NOPE"},
		Range:   pricefill.Range{From: pricefill.Date(2025, 6, 2), To: pricefill.Date(2025, 6, 6)},
	})
	if err != nil {
		panic(err)
	}
	fmt.Printf("succeeded %d, failed %d, inserted %d\n", rep.Succeeded, rep.Failed, rep.Inserted)
	for _, f := range rep.Failures {
		fmt.Printf("%s: %s: %s\n", f.Symbol, f.Kind, f.Err)
	}
	fmt.Println("AAPL bars stored:", len(store.bars["AAPL"]))
	// Output:
	// succeeded 2, failed 1, inserted 4
	// NOPE: not_found: symbol NOPE not found
	// AAPL bars stored: 2
}

// mapStore is the service's storage: a map, keyed by symbol.
type mapStore struct {
	mu   sync.Mutex
	bars map[string][]pricefill.Bar
}

func (s *mapStore) Save(ctx context.Context, req backfill.SaveRequest) (backfill.SaveResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sym := req.Series.Asset.Symbol
	var res backfill.SaveResult
	for _, b := range req.Series.Bars {
		if len(s.bars[sym]) > 0 && !b.Date.After(s.bars[sym][len(s.bars[sym])-1].Date) {
			res.Skipped++ // stored already
			continue
		}
		s.bars[sym] = append(s.bars[sym], b)
		res.Inserted++
	}
	return res, nil
}
