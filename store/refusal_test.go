package store_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/internal/schematest"
	"github.com/pricefill/pricefill/queue"
	"github.com/pricefill/pricefill/store"
)

// closeLimit is the CHECK constraint the tests add to prices by hand: a
// refusal of the data that validation knows nothing of.
const (
	closeLimitName = "prices_close_sane"
	closeLimitExpr = "close < 1000"
)

// addCloseLimit adds the constraint closeLimitName to db's prices. On
// PostgreSQL it is ALTER TABLE; SQLite cannot add a constraint to a
// table, so the table is made anew with it, from its own definition.
func addCloseLimit(t *testing.T, db *store.DB) {
	t.Helper()
	if err := schematest.AddPricesCheck(ctx, db.SQLX().DB, db.Dialect() == "postgres", closeLimitName, closeLimitExpr); err != nil {
		t.Fatal(err)
	}
}

// TestSaveRefusedByTheDatabase: a save that a constraint refuses fails
// with an error of kind permanent that names the constraint, and stores
// nothing; the task it would complete stays the worker's.
func TestSaveRefusedByTheDatabase(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		dsn := d.dsn(t)
		db := open(t, dsn)
		addCloseLimit(t, db)
		// The store's statements were prepared on the old table: a
		// fresh connection prepares them on the new one.
		db = open(t, dsn)

		sym := newSymbol()
		bars := weekdays(sym, pricefill.Date(2025, 3, 3), 5)
		bars[2].Close, bars[2].High = 1500, 1500
		ids, err := db.Enqueue(ctx, []queue.Spec{{Symbol: sym, Range: allTime}}, queue.EnqueueOptions{})
		if err != nil {
			t.Fatal(err)
		}
		task, err := claimAmong(db, ids, "w1")
		if err != nil || task == nil {
			t.Fatalf("Claim: %v, %v", task, err)
		}
		_, err = db.SaveAndComplete(ctx, backfill.SaveRequest{Series: series(sym, bars), Range: allTime}, task, 100)
		if err == nil {
			t.Fatal("SaveAndComplete of a bar the constraint refuses succeeded")
		}
		if !errors.Is(err, pricefill.ErrPermanent) || pricefill.KindOf(err) != pricefill.KindPermanent {
			t.Errorf("SaveAndComplete: %v (kind %s), want an error of kind permanent", err, pricefill.KindOf(err))
		}
		for _, want := range []string{closeLimitName, "the database refused the data"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("SaveAndComplete: %q does not name %q", err, want)
			}
		}
		if d.name == "postgres" && !strings.Contains(err.Error(), "SQLSTATE 23514 check_violation, constraint prices_close_sane, table prices") {
			t.Errorf("SaveAndComplete: %q does not give the SQLSTATE, constraint and table", err)
		}
		if d.name == "sqlite" && !strings.Contains(err.Error(), "SQLITE_CONSTRAINT_CHECK") {
			t.Errorf("SaveAndComplete: %q does not give SQLite's result code", err)
		}
		t.Logf("SaveAndComplete: %v", err)
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("SaveAndComplete: %q is more than one line", err)
		}
		if n := count(t, db, "prices", sym); n != 0 {
			t.Errorf("%d bars stored by the refused save, want none", n)
		}
		got, err := db.Get(ctx, task.ID)
		if err != nil || got.Status != queue.InProgress {
			t.Errorf("task after the refused save: %+v, %v; want still in progress", got, err)
		}
		// The other bars alone are stored.
		ok := append(bars[:2:2], bars[3:]...)
		if res := save(t, db, backfill.SaveRequest{Series: series(sym, ok), Range: allTime}); res.Inserted != 4 {
			t.Errorf("Save without the refused bar: %+v, want 4 inserted", res)
		}
	})
}

// TestSaveRefusesBarsItChecks: the bars the store checks itself before the
// database sees them are refused for good too, the field named.
func TestSaveRefusesBarsItChecks(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		db := open(t, d.dsn(t))
		sym := newSymbol()
		for _, tc := range []struct {
			name string
			edit func(b *pricefill.Bar)
			want string
		}{
			{"negative adjusted close", func(b *pricefill.Bar) { b.AdjClose = -2 }, "adj_close -2"},
			{"NaN open", func(b *pricefill.Bar) { b.Open = math.NaN() }, "open NaN"},
			{"negative volume", func(b *pricefill.Bar) { b.Volume = -1 }, "volume -1"},
			{"another symbol", func(b *pricefill.Bar) { b.Symbol = "OTHER" }, "symbol OTHER"},
		} {
			bars := weekdays(sym, pricefill.Date(2025, 3, 3), 3)
			tc.edit(&bars[1])
			_, err := db.Save(ctx, backfill.SaveRequest{Series: series(sym, bars), Range: allTime})
			if pricefill.KindOf(err) != pricefill.KindPermanent || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: Save: %v (kind %s), want a permanent error naming %q", tc.name, err, pricefill.KindOf(err), tc.want)
			}
		}
		if _, err := db.Save(ctx, backfill.SaveRequest{}); pricefill.KindOf(err) != pricefill.KindPermanent {
			t.Errorf("Save of no series: %v, want a permanent error", err)
		}
		if n := count(t, db, "prices", sym); n != 0 {
			t.Errorf("%d bars stored by refused saves, want none", n)
		}
	})
}

// TestSaveUniqueViolationIsRetried: a unique violation depends on other
// rows, which may change: it is no refusal of the data, and is left to
// be retried.
func TestSaveUniqueViolationIsRetried(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		dsn := d.dsn(t)
		db := open(t, dsn)
		if _, err := db.SQLX().ExecContext(ctx, `CREATE UNIQUE INDEX prices_one_close ON prices (close)`); err != nil {
			t.Fatal(err)
		}
		sym := newSymbol()
		bars := weekdays(sym, pricefill.Date(2025, 3, 3), 2)
		bars[1].Open, bars[1].High, bars[1].Low, bars[1].Close = bars[0].Open, bars[0].High, bars[0].Low, bars[0].Close
		_, err := db.Save(ctx, backfill.SaveRequest{Series: series(sym, bars), Range: allTime})
		if err == nil || pricefill.KindOf(err) != pricefill.KindTransient {
			t.Errorf("Save meeting a unique violation: %v (kind %s), want a transient error", err, pricefill.KindOf(err))
		}
	})
}

// TestSaveCancelledIsNoRefusal: a save cut short is not refused for good.
func TestSaveCancelledIsNoRefusal(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		db := open(t, d.dsn(t))
		sym := newSymbol()
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := db.Save(cctx, backfill.SaveRequest{Series: series(sym, weekdays(sym, pricefill.Date(2025, 3, 3), 2)), Range: allTime})
		if err == nil || pricefill.KindOf(err) == pricefill.KindPermanent {
			t.Errorf("cancelled Save: %v, want an error that is not permanent", err)
		}
	})
}
