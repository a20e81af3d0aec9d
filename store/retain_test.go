package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/internal/clocktest"
	"github.com/pricefill/pricefill/queue"
	"github.com/pricefill/pricefill/store"
)

func TestRetain(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		clock := clocktest.NewFake(start)
		db := open(t, d.dsn(t), store.WithClock(clock))
		r := pricefill.Range{From: pricefill.Date(2025, 1, 1), To: pricefill.Date(2025, 1, 31)}
		ids, err := db.Enqueue(ctx, []queue.Spec{{Symbol: "OLD", Range: r}, {Symbol: "GONE", Range: r}, {Symbol: "OPEN", Range: r}, {Symbol: "NEW", Range: r}}, queue.EnqueueOptions{})
		if err != nil {
			t.Fatal(err)
		}
		finish := func(id int64, o queue.Outcome) {
			t.Helper()
			if err := db.Finish(ctx, mustClaim(t, db, []int64{id}, "w"), o); err != nil {
				t.Fatal(err)
			}
		}
		finish(ids[0], queue.Succeed(queue.Result{Counts: pricefill.Counts{Inserted: 21}}))
		finish(ids[1], queue.Fail(errors.New("symbol GONE not found")))
		finish(ids[2], queue.Retry(start, errors.New("503")))
		logAt := func(at time.Time, msg string) {
			t.Helper()
			if _, err := db.SQLX().ExecContext(ctx, db.Rebind(`INSERT INTO fetcher_logs (ts, level, message) VALUES ($1, 'INFO', $2)`),
				at.UTC().Format("2006-01-02T15:04:05.000000Z07:00"), msg); err != nil {
				t.Fatal(err)
			}
		}
		logAt(start, "old")
		clock.Advance(91 * 24 * time.Hour)
		finish(ids[3], queue.Succeed(queue.Result{Counts: pricefill.Counts{Inserted: 21}}))
		logAt(clock.Now(), "new")

		got, err := db.Retain(ctx, 90*24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if got != (store.Retained{Tasks: 2, Logs: 1}) {
			t.Errorf("Retain(90d) = %+v, want 2 tasks (OLD and GONE ended 91 days ago), 1 log record", got)
		}
		for i, id := range ids {
			_, err := db.Get(ctx, id)
			if gone := err != nil; gone != (i < 2) {
				t.Errorf("task %d after Retain: Get error %v, want gone=%v", id, err, i < 2)
			}
		}
		var msgs []string
		if err := db.SQLX().SelectContext(ctx, &msgs, `SELECT message FROM fetcher_logs`); err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 1 || msgs[0] != "new" {
			t.Errorf("fetcher_logs after Retain = %q, want [new]", msgs)
		}
		if got, err := db.Retain(ctx, 0); err != nil || got != (store.Retained{}) {
			t.Errorf("Retain(0) = %+v, %v; want nothing deleted", got, err)
		}
	})
}
