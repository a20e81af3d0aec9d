package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/internal/pgtest"
)

// TestCopyConflictFallsBackToMerge has a writer that does not lock the
// asset (plain SQL) insert a bar of a range that a save finds empty and
// COPYs into, and commit it while the COPY waits for it: the COPY fails
// with a unique violation, and the save stores the other bars by the
// merge, with exact counts, in the same transaction.
func TestCopyConflictFallsBackToMerge(t *testing.T) {
	t.Parallel()
	db := open(t, pgtest.DSN(t))
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	symbol := newSymbol()
	save(t, db, backfill.SaveRequest{Series: series(symbol, weekdays(symbol, pricefill.Date(2024, 1, 1), 3))})
	bars := weekdays(symbol, pricefill.Date(2025, 1, 6), 10)

	foreign, err := db.SQLX().BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = foreign.Rollback() }()
	var xid string
	if err := foreign.QueryRowxContext(ctx, `SELECT txid_current()::text`).Scan(&xid); err != nil {
		t.Fatal(err)
	}
	b := bars[2]
	if _, err := foreign.ExecContext(ctx, `INSERT INTO prices (asset_id, date, open, high, low, close, adj_close, volume, source)
		SELECT id, $2, $3, $3, $3, $3, $3, $4, 'foreign' FROM assets WHERE symbol = $1`, symbol, b.Date.Format(pricefill.DateLayout), b.Close, b.Volume); err != nil {
		t.Fatal(err)
	}

	type outcome struct {
		res backfill.SaveResult
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := db.Save(ctx, backfill.SaveRequest{Series: series(symbol, bars)})
		done <- outcome{res, err}
	}()
	// The save's COPY waits for the foreign transaction's row.
	for waiting := false; !waiting; {
		err := db.SQLX().QueryRowxContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks
			WHERE locktype = 'transactionid' AND transactionid::text = $1 AND NOT granted)`, xid).Scan(&waiting)
		if err != nil {
			t.Fatalf("waiting for the save to wait: %v", err)
		}
		select {
		case o := <-done:
			t.Fatalf("the save ended before the foreign transaction did: %+v", o)
		default:
		}
	}
	if err := foreign.Commit(); err != nil {
		t.Fatal(err)
	}
	o := <-done
	if o.err != nil {
		t.Fatalf("Save: %v", o.err)
	}
	if want := (backfill.SaveResult{Inserted: 9, Skipped: 1}); o.res != want {
		t.Errorf("Save = %+v, want %+v", o.res, want)
	}
	got := barsOf(t, db, symbol)
	var sources []string
	for _, b := range got[3:] {
		sources = append(sources, b.Source)
	}
	want := []string{"synthetic", "synthetic", "foreign", "synthetic", "synthetic", "synthetic", "synthetic", "synthetic", "synthetic", "synthetic"}
	if len(got) != 13 || cmp.Diff(want, sources) != "" {
		t.Errorf("%d bars stored, want 13; sources of 2025's (-want +got):\n%s", len(got), cmp.Diff(want, sources))
	}
}
