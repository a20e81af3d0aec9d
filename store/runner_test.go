package store_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/internal/fake"
	"github.com/pricefill/pricefill/queue"
	"github.com/pricefill/pricefill/store"
)

// TestRunnerOnTheStore runs the runner with a store as its store and its
// queue, on each dialect: the bars and the tasks' completion land in the
// database, a re-run fetches nothing it has, and force refetches.
func TestRunnerOnTheStore(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		db := open(t, d.dsn(t))
		fetcher := fake.NewFetcher(pricefill.SystemClock())
		fetcher.Script("GONE", fake.Step{Err: pricefill.NotFound("GONE", nil)})
		fetcher.Script("FLAKY", fake.Step{Err: errors.New("HTTP 503")}, fake.Step{})
		march := pricefill.Range{From: pricefill.Date(2026, 3, 2), To: pricefill.Date(2026, 3, 27)}
		symbols := []string{"AAPL", "MSFT", "BRK.B", "FLAKY", "GONE"}
		run := func(opts ...backfill.Option) *backfill.Report {
			t.Helper()
			base := []backfill.Option{
				backfill.WithLimiter(backfill.LimiterFunc(func(ctx context.Context) error { return ctx.Err() })),
				backfill.WithRetryBackoff(func(int) time.Duration { return time.Millisecond }),
				backfill.WithLogger(slog.New(slog.DiscardHandler)),
			}
			r, err := backfill.New(fetcher, db, append(base, opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := r.Run(ctx, backfill.Request{Symbols: symbols, Range: march})
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			return rep
		}

		rep := run()
		if rep.Succeeded != 4 || rep.Failed != 1 || rep.Inserted != 80 {
			t.Fatalf("first run: %d succeeded, %d failed, %d inserted; want 4, 1, 80", rep.Succeeded, rep.Failed, rep.Inserted)
		}
		for _, s := range symbols[:4] {
			if n := count(t, db, "prices", s); n != 20 {
				t.Errorf("%s: %d prices stored, want 20", s, n)
			}
			tr, err := db.Tracked(ctx, s)
			if err != nil || tr == nil || !tr.FirstDate.Equal(march.From) || !tr.LastDate.Equal(march.To) {
				t.Errorf("%s: tracked %+v, %v; want %s", s, tr, err, march)
			}
		}
		counts, err := db.Counts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if counts[queue.Completed] != 4 || counts[queue.PermanentlyFailed] != 1 {
			t.Errorf("queue after the first run: %v, want 4 completed and 1 permanently failed", counts)
		}
		ids, err := db.Enqueue(ctx, []queue.Spec{{Symbol: "AAPL", Range: march}}, queue.EnqueueOptions{})
		if err != nil {
			t.Fatal(err)
		}
		task, err := db.Get(ctx, ids[0])
		if err != nil {
			t.Fatal(err)
		}
		if task.Status != queue.Completed || task.Result.Inserted != 20 || task.Result.Completeness != 100 {
			t.Errorf("AAPL task %s with %+v, want completed with 20 inserted, 100%%", task.Status, task.Result)
		}

		// A re-run fetches only the symbol that failed: the others' tasks
		// completed, and GONE gets another chance.
		before := len(fetcher.Calls())
		rep = run()
		if got := fetcher.Calls()[before:]; len(got) != 1 || got[0].Symbol != "GONE" {
			t.Errorf("re-run fetched %v, want GONE only", got)
		}
		if rep.AlreadyDone != 4 || rep.Failed != 1 {
			t.Errorf("re-run: %d already done, %d failed; want 4, 1", rep.AlreadyDone, rep.Failed)
		}

		// With force every symbol is fetched again; nothing is stored twice.
		before = len(fetcher.Calls())
		rep = run(backfill.WithForce(true))
		if n := len(fetcher.Calls()) - before; n != 5 {
			t.Errorf("forced run made %d fetches, want 5", n)
		}
		if rep.Inserted != 0 || rep.Skipped != 80 || rep.Updated != 0 {
			t.Errorf("forced run: %d inserted, %d skipped, %d updated; want 0, 80, 0", rep.Inserted, rep.Skipped, rep.Updated)
		}
		for _, s := range symbols[:4] {
			if n := count(t, db, "prices", s); n != 20 {
				t.Errorf("%s: %d prices after the forced run, want 20", s, n)
			}
		}
	})
}

var _ backfill.DateLister = (*store.DB)(nil)
