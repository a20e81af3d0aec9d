package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/internal/clocktest"
	"github.com/pricefill/pricefill/queue"
	"github.com/pricefill/pricefill/store"
)

var allDays = pricefill.Range{From: pricefill.Date(1900, 1, 1), To: pricefill.Date(2200, 1, 1)}

func holesOf(t *testing.T, db *store.DB, symbol string) []backfill.Hole {
	t.Helper()
	holes, err := db.Holes(ctx, symbol, allDays)
	if err != nil {
		t.Fatal(err)
	}
	return holes
}

func missing(d time.Time, asks int, at time.Time) backfill.Hole {
	return backfill.Hole{Date: d, Reason: backfill.HoleMissing, Asks: asks, LastAsked: at}
}

// TestSaveKeepsTheLastHoleOfADate: holes given out of date order, one
// date twice, are recorded one per date, the last given of a date (the
// rule of bars), and read back in date order.
func TestSaveKeepsTheLastHoleOfADate(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		db := open(t, d.dsn(t))
		d1, d2, d3 := pricefill.Date(2025, 3, 3), pricefill.Date(2025, 3, 4), pricefill.Date(2025, 3, 5)
		first, last := missing(d2, 1, start), backfill.Hole{Date: d2, Reason: backfill.HoleNull, Asks: 2, LastAsked: start}
		save(t, db, backfill.SaveRequest{Series: series("AAPL", nil),
			Holes: []backfill.Hole{missing(d3, 1, start), first, missing(d1, 1, start), last}})
		want := []backfill.Hole{missing(d1, 1, start), last, missing(d3, 1, start)}
		if diff := cmp.Diff(want, holesOf(t, db, "AAPL")); diff != "" {
			t.Errorf("holes (-want +recorded):\n%s", diff)
		}
	})
}

// TestBadHoleIsOneLine: a hole the schema would refuse fails the save with
// one line naming the hole and what was wrong with it.
func TestBadHoleIsOneLine(t *testing.T) {
	t.Parallel()
	db := open(t, dialects[0].dsn(t))
	d := pricefill.Date(2025, 3, 3)
	for _, tc := range []struct {
		hole backfill.Hole
		want string
	}{
		{missing(d, 0, start), "store: save AAPL: hole 2025-03-03: asks 0: want 1 or more"},
		{backfill.Hole{Date: d, Reason: "gone", Asks: 1, LastAsked: start}, `store: save AAPL: hole 2025-03-03: reason "gone": want missing, late, null or invalid`},
		{missing(d, 1, time.Time{}), "store: save AAPL: hole 2025-03-03: no time it was last asked for"},
		{missing(d.Add(time.Hour), 1, start), "store: save AAPL: hole date 2025-03-03 01:00:00 +0000 UTC: want a date at midnight UTC"},
	} {
		_, err := db.Save(ctx, backfill.SaveRequest{Series: series("AAPL", nil), Holes: []backfill.Hole{tc.hole}})
		if !errors.Is(err, pricefill.ErrPermanent) || err.Error() != tc.want {
			t.Errorf("Save of %+v = %v, want a permanent error %q", tc.hole, err, tc.want)
		}
	}
}

// TestSaveAndCompleteRecordsHoles: SaveAndComplete records the holes in
// the transaction that completes the task; when the lease is lost, it
// records none.
func TestSaveAndCompleteRecordsHoles(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		clock := clocktest.NewFake(start)
		db := open(t, d.dsn(t), store.WithClock(clock))
		r := pricefill.Range{From: pricefill.Date(2025, 1, 1), To: pricefill.Date(2025, 1, 31)}
		ids, err := db.Enqueue(ctx, []queue.Spec{{Symbol: "AAPL", Range: r}, {Symbol: "MSFT", Range: r}}, queue.EnqueueOptions{})
		if err != nil {
			t.Fatal(err)
		}
		holes := []backfill.Hole{missing(pricefill.Date(2025, 1, 2), 1, start), missing(pricefill.Date(2025, 1, 3), 1, start)}

		task := mustClaim(t, db, ids[:1], "w1")
		if _, err := db.SaveAndComplete(ctx, backfill.SaveRequest{Series: series("", nil), Range: r, Holes: holes}, task, 0); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(holes, holesOf(t, db, "AAPL")); diff != "" {
			t.Errorf("holes after SaveAndComplete, the symbol the task's (-want +recorded):\n%s", diff)
		}

		stale := mustClaim(t, db, ids[1:], "w1")
		clock.Advance(2 * time.Minute)
		mustClaim(t, db, ids[1:], "w2")
		_, err = db.SaveAndComplete(ctx, backfill.SaveRequest{Series: series("MSFT", nil), Range: r, Holes: holes}, stale, 0)
		if !errors.Is(err, queue.ErrLeaseLost) {
			t.Fatalf("SaveAndComplete with a lost lease: %v, want ErrLeaseLost", err)
		}
		if got := holesOf(t, db, "MSFT"); len(got) != 0 {
			t.Errorf("holes recorded by the refused SaveAndComplete: %+v, want none", got)
		}
	})
}

// TestHoleCounts counts the holes of every symbol by reason.
func TestHoleCounts(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		db := open(t, d.dsn(t))
		counts, err := db.HoleCounts(ctx)
		if err != nil || len(counts) != 0 {
			t.Fatalf("HoleCounts of an empty database = %v, %v; want none", counts, err)
		}
		day := func(i int) time.Time { return pricefill.Date(2025, 3, 3).AddDate(0, 0, i) }
		save(t, db, backfill.SaveRequest{Series: series("AAPL", nil), Holes: []backfill.Hole{
			missing(day(0), 1, start), missing(day(1), 1, start),
			{Date: day(2), Reason: backfill.HoleInvalid, Detail: "high below low", Asks: 1, LastAsked: start},
		}})
		save(t, db, backfill.SaveRequest{Series: series("MSFT", nil), Holes: []backfill.Hole{
			missing(day(0), 1, start), {Date: day(1), Reason: backfill.HoleLate, Asks: 1, LastAsked: start},
		}})
		counts, err = db.HoleCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := map[backfill.HoleReason]int{backfill.HoleMissing: 3, backfill.HoleLate: 1, backfill.HoleInvalid: 1}
		if diff := cmp.Diff(want, counts); diff != "" {
			t.Errorf("HoleCounts (-want +got):\n%s", diff)
		}
	})
}

// TestHolesGoWithTheirAsset: holes reference their asset ON DELETE
// CASCADE, so deleting an asset (by hand: the store never does) deletes
// its holes and no one else's.
func TestHolesGoWithTheirAsset(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		db := open(t, d.dsn(t))
		for _, s := range []string{"AAPL", "MSFT"} {
			save(t, db, backfill.SaveRequest{Series: series(s, nil), Holes: []backfill.Hole{missing(pricefill.Date(2025, 3, 3), 1, start)}})
		}
		for _, q := range []string{
			`DELETE FROM tracked_assets WHERE asset_id = (SELECT id FROM assets WHERE symbol = $1)`,
			`DELETE FROM assets WHERE symbol = $1`,
		} {
			if _, err := db.SQLX().ExecContext(ctx, db.Rebind(q), "AAPL"); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		var left []string
		if err := db.SQLX().SelectContext(ctx, &left, `SELECT a.symbol FROM holes h JOIN assets a ON a.id = h.asset_id`); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.SQLX().GetContext(ctx, &n, `SELECT count(*) FROM holes`); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"MSFT"}, left); diff != "" || n != 1 {
			t.Errorf("holes after deleting AAPL: %d rows (-want +symbols):\n%s", n, diff)
		}
	})
}
