package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/internal/clocktest"
	"github.com/pricefill/pricefill/queue"
	"github.com/pricefill/pricefill/queue/queuetest"
	"github.com/pricefill/pricefill/store"
)

func TestQueueConformance(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		queuetest.Run(t, func(t *testing.T, clock pricefill.Clock) queuetest.Queue {
			return open(t, d.dsn(t), store.WithClock(clock))
		})
	})
}

func TestStatusReads(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		clock := clocktest.NewFake(start)
		db := open(t, d.dsn(t), store.WithClock(clock))
		r := pricefill.Range{From: pricefill.Date(2025, 1, 1), To: pricefill.Date(2025, 1, 31)}
		var ids []int64
		for _, sym := range []string{"A", "B", "C", "D"} {
			got, err := db.Enqueue(ctx, []queue.Spec{{Symbol: sym, Range: r}}, queue.EnqueueOptions{})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, got...)
			clock.Advance(time.Second)
		}
		if err := db.Finish(ctx, mustClaim(t, db, ids[:1], "w"), queue.Fail(errors.New("symbol A not found"))); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Second)
		if err := db.Finish(ctx, mustClaim(t, db, ids[1:2], "w"), queue.Retry(clock.Now().Add(time.Hour), errors.New("503"))); err != nil {
			t.Fatal(err)
		}
		mustClaim(t, db, ids[2:3], "w")

		counts, err := db.Counts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := map[queue.Status]int{queue.PermanentlyFailed: 1, queue.Failed: 1, queue.InProgress: 1, queue.Pending: 1}
		if diff := cmp.Diff(want, counts); diff != "" {
			t.Errorf("Counts (-want +got):\n%s", diff)
		}
		oldest, err := db.OldestWaiting(ctx)
		if err != nil || oldest == nil || oldest.Symbol != "B" {
			t.Errorf("OldestWaiting = %+v, %v; want B (failed, enqueued before D)", oldest, err)
		}
		errs, err := db.LastErrors(ctx, 5)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, task := range errs {
			got = append(got, task.Symbol+": "+task.LastError)
		}
		if diff := cmp.Diff([]string{"B: 503", "A: symbol A not found"}, got); diff != "" {
			t.Errorf("LastErrors (-want +got):\n%s", diff)
		}
	})
}

func TestRunsForStatus(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		clock := clocktest.NewFake(start)
		db := open(t, d.dsn(t), store.WithClock(clock))
		r := pricefill.Range{From: pricefill.Date(2025, 1, 1), To: pricefill.Date(2025, 1, 31)}
		ids, err := db.Enqueue(ctx, []queue.Spec{{Symbol: "A", Range: r}, {Symbol: "B", Range: r}}, queue.EnqueueOptions{})
		if err != nil {
			t.Fatal(err)
		}
		killed, _, err := db.StartRun(ctx, ids, "host-1-aaa", 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Minute)
		going, _, err := db.StartRun(ctx, ids[1:], "host-2-bbb", 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		got, err := db.Runs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := []queue.RunInfo{
			{ID: going, Worker: "host-2-bbb", StartedAt: clock.Now().Truncate(time.Microsecond), AliveUntil: clock.Now().Add(10 * time.Second).Truncate(time.Microsecond), Alive: true, Open: 1},
			{ID: killed, Worker: "host-1-aaa", StartedAt: start.Truncate(time.Microsecond), AliveUntil: start.Add(10 * time.Second).Truncate(time.Microsecond), Alive: false, Open: 2},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Runs (-want +got):\n%s", diff)
		}
	})
}

// TestReopenOnTheDatabaseClock: with the database's clock deciding (no
// WithClock), a cutoff on the caller's clock still tells a completion
// before it from one after it.
func TestReopenOnTheDatabaseClock(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		db := open(t, d.dsn(t))
		ctx := context.Background()
		spec := []queue.Spec{{Symbol: "AAPL", Range: pricefill.Range{From: pricefill.Date(2026, 3, 2), To: pricefill.Date(2026, 3, 27)}}}
		ids, err := db.Enqueue(ctx, spec, queue.EnqueueOptions{})
		if err != nil {
			t.Fatal(err)
		}
		run, _, err := db.StartRun(ctx, ids, "w", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		task, err := db.Claim(ctx, run, "w", time.Minute)
		if err != nil || task == nil {
			t.Fatalf("claim: %v, %v", task, err)
		}
		if err := db.Finish(ctx, task, queue.Succeed(queue.Result{Completeness: 100})); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			before time.Time
			want   queue.Status
		}{
			{time.Now().Add(-time.Hour), queue.Completed},
			{time.Now().Add(time.Hour), queue.Pending},
		} {
			if _, err := db.Enqueue(ctx, spec, queue.EnqueueOptions{ReopenCompletedBefore: tc.before}); err != nil {
				t.Fatal(err)
			}
			got, err := db.Get(ctx, ids[0])
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tc.want {
				t.Errorf("reopening what completed before %s: %s, want %s", tc.before.Format(time.TimeOnly), got.Status, tc.want)
			}
		}
	})
}
