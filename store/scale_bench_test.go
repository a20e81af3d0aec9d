package store_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/backfill/synthetic"
)

// BenchmarkRunScaling runs the Runner, on the store as its store and queue,
// over a week of synthetic bars for 2,000, 8,000 and 32,000 symbols, and
// reports the wall time per symbol: enqueueing, starting the run, the
// claims, the saves that complete the tasks, the summaries of idle
// workers and the final report. The time per symbol stays flat when every
// claim and summary costs the same whatever the run's size.
func BenchmarkRunScaling(b *testing.B) {
	week := pricefill.Range{From: pricefill.Date(2025, 12, 22), To: pricefill.Date(2025, 12, 26)}
	f, err := synthetic.New()
	if err != nil {
		b.Fatal(err)
	}
	for _, d := range dialects {
		for _, n := range []int{2_000, 8_000, 32_000} {
			b.Run(fmt.Sprintf("%s/%d", d.name, n), func(b *testing.B) {
				symbols := make([]string, n)
				for i := range symbols {
					symbols[i] = fmt.Sprintf("S%05d", i)
				}
				var elapsed time.Duration
				for range b.N {
					b.StopTimer()
					db := open(b, d.dsn(b))
					r, err := backfill.New(f, db,
						backfill.WithLimiter(backfill.LimiterFunc(func(ctx context.Context) error { return ctx.Err() })),
						backfill.WithConcurrency(4),
						backfill.WithLogger(slog.New(slog.DiscardHandler)))
					if err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					t0 := time.Now()
					rep, err := r.Run(ctx, backfill.Request{Symbols: symbols, Range: week})
					elapsed += time.Since(t0)
					b.StopTimer()
					if err != nil || rep.Succeeded != n {
						b.Fatalf("run: %v; %d of %d succeeded", err, rep.Succeeded, n)
					}
					b.StartTimer()
				}
				b.ReportMetric(float64(elapsed.Microseconds())/float64(b.N*n), "µs/symbol")
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}
