package backfill_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/ratelimit"
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

// A runner's metrics go to a registry of the service's own, served with
// promhttp.HandlerFor(reg, promhttp.HandlerOpts{}) at /metrics.
func ExampleWithMetrics() {
	fetch := backfill.FetcherFunc(func(ctx context.Context, symbol string, r pricefill.Range) (*pricefill.Series, error) {
		b := pricefill.Bar{Symbol: symbol, Date: pricefill.Date(2025, 6, 2), Open: 10, High: 11, Low: 9, Close: 10.5, Volume: 1000, Source: "mine"}
		return &pricefill.Series{Asset: pricefill.Asset{Symbol: symbol}, Bars: []pricefill.Bar{b}}, nil
	})
	limiter, err := ratelimit.New(ratelimit.WithName("mine"), ratelimit.WithInterval(0))
	if err != nil {
		panic(err)
	}
	reg := prometheus.NewRegistry()
	r, err := backfill.New(fetch, &mapStore{bars: map[string][]pricefill.Bar{}},
		backfill.WithLimiter(limiter), // registered with the runner's metrics
		backfill.WithMetrics(reg),
		backfill.WithLogger(slog.New(slog.DiscardHandler)),
	)
	if err != nil {
		panic(err)
	}
	if _, err := r.Run(context.Background(), backfill.Request{
		Symbols: []string{"AAPL", "MSFT"},
		Range:   pricefill.Range{From: pricefill.Date(2025, 6, 2), To: pricefill.Date(2025, 6, 2)},
	}); err != nil {
		panic(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		panic(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if v := m.GetCounter().GetValue(); v > 0 {
				fmt.Println(mf.GetName(), labels(m), v)
			}
		}
	}
	// Output:
	// pricefill_bars_total outcome=inserted 2
	// pricefill_limiter_grants_total provider=mine 2
	// pricefill_provider_requests_total outcome=answered,provider=mine 2
	// pricefill_runs_total outcome=finished 1
	// pricefill_tasks_total status=completed 2
}

// labels returns the labels of m as name=value,….
func labels(m *dto.Metric) string {
	var out []string
	for _, lp := range m.GetLabel() {
		out = append(out, lp.GetName()+"="+lp.GetValue())
	}
	return strings.Join(out, ",")
}
