package store_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/internal/clocktest"
	"github.com/pricefill/pricefill/internal/pgtest"
	"github.com/pricefill/pricefill/ratelimit"
	"github.com/pricefill/pricefill/ratelimit/ledgertest"
	"github.com/pricefill/pricefill/store"
	"github.com/pricefill/pricefill/store/internal/sqldialect"
)

// The shared budget passes the ledgers' conformance suite, with each handle
// a store of its own on one database, as processes would open it.
func TestLedger(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		ledgertest.Run(t, func(t *testing.T, clock pricefill.Clock, n int) []ratelimit.Ledger {
			dsn := d.dsn(t)
			ls := make([]ratelimit.Ledger, n)
			for i := range ls {
				ls[i] = open(t, dsn, store.WithClock(clock)).Ledger()
			}
			return ls
		})
	})
}

// The tables hold what the package documentation says, for other tools to
// read: a column per field of the state, NULL for a zero time or an empty
// text, the symbols separated by spaces, the number of grants made, and
// the grants of the last day, numbered from 1.
func TestLedgerTables(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		start := ledgertest.Start
		clock := clocktest.NewFake(start)
		db := open(t, d.dsn(t), store.WithClock(clock))
		l := db.Ledger()
		update := func(fn func(ratelimit.Entry) error) {
			t.Helper()
			if err := l.Update(ctx, "yahoo", fn); err != nil {
				t.Fatalf("Update: %v", err)
			}
		}
		update(func(e ratelimit.Entry) error {
			*e.State() = ratelimit.State{LastGrant: start, Refusals: 2, Pace: 0.5, StreakSymbols: []string{"AAPL", "BRK.B"}}
			return e.AddGrant(time.Hour)
		})
		type row struct {
			LastGrant, CoolUntil      sql.NullString
			Refusals                  int
			Pace                      float64
			HoldReason, StreakSymbols sql.NullString
			GrantsMade                int64
			LastNow, UpdatedAt        sqldialect.Time
		}
		budget := func() row {
			t.Helper()
			var got row
			if err := db.SQLX().QueryRowxContext(ctx, `SELECT CAST(last_grant AS TEXT), CAST(cool_until AS TEXT), refusals, pace,
					hold_reason, streak_symbols, grants_made, last_now, updated_at FROM rate_budgets WHERE key = 'yahoo'`).
				Scan(&got.LastGrant, &got.CoolUntil, &got.Refusals, &got.Pace, &got.HoldReason, &got.StreakSymbols,
					&got.GrantsMade, &got.LastNow, &got.UpdatedAt); err != nil {
				t.Fatal(err)
			}
			return got
		}
		if got := budget(); !got.LastGrant.Valid || got.CoolUntil.Valid || got.HoldReason.Valid || got.Refusals != 2 || got.Pace != 0.5 ||
			got.StreakSymbols.String != "AAPL BRK.B" || got.GrantsMade != 1 || !got.LastNow.Equal(start) || !got.UpdatedAt.Equal(start) {
			t.Errorf("the row of rate_budgets: %+v", got)
		}

		// A day later the grant is forgotten by the next update that adds
		// one; a longer keep keeps it longer. The grants keep their
		// numbers.
		type grant struct {
			Seq int64
			At  time.Time
		}
		grants := func() []grant {
			t.Helper()
			rows, err := db.SQLX().QueryContext(ctx, `SELECT seq, at FROM rate_grants WHERE key = 'yahoo' ORDER BY seq`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var gs []grant
			for rows.Next() {
				var (
					g  grant
					at sqldialect.Time
				)
				if err := rows.Scan(&g.Seq, &at); err != nil {
					t.Fatal(err)
				}
				g.At = at.Time
				gs = append(gs, g)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			return gs
		}
		day := store.LedgerGrantsKept
		clock.Advance(day - time.Second)
		update(func(e ratelimit.Entry) error { return e.AddGrant(time.Hour) })
		want := []grant{{1, start}, {2, start.Add(day - time.Second)}}
		if diff := cmp.Diff(want, grants()); diff != "" {
			t.Errorf("after a grant a day less a second later (-want +got):\n%s", diff)
		}
		// That update left the state as it was: updated_at stays.
		if got := budget(); got.GrantsMade != 2 || !got.UpdatedAt.Equal(start) || !got.LastNow.Equal(start.Add(day-time.Second)) {
			t.Errorf("after a grant that changed nothing else: grants_made %d, updated_at %s, last_now %s; want 2, %s, %s",
				got.GrantsMade, got.UpdatedAt, got.LastNow, start, start.Add(day-time.Second))
		}
		clock.Advance(time.Second)
		update(func(e ratelimit.Entry) error { return e.AddGrant(48 * time.Hour) })
		want = append(want, grant{3, start.Add(day)})
		if diff := cmp.Diff(want, grants()); diff != "" {
			t.Errorf("after a grant kept two days, a day after the first (-want +got):\n%s", diff)
		}
		update(func(e ratelimit.Entry) error { return e.AddGrant(time.Hour) })
		want = append(want[1:], grant{4, start.Add(day)})
		if diff := cmp.Diff(want, grants()); diff != "" {
			t.Errorf("after a grant, a day after the first: the first forgotten (-want +got):\n%s", diff)
		}
		// The grant forgotten is not the 4th latest any more, whatever
		// since says.
		update(func(e ratelimit.Entry) error {
			if at, ok, err := e.Nth(time.Time{}, 3); err != nil || !ok || !at.Equal(start.Add(day-time.Second)) {
				t.Errorf("Nth(0, 3) = %s, %t, %v; want %s, true", at, ok, err, start.Add(day-time.Second))
			}
			if at, ok, err := e.Nth(time.Time{}, 4); err != nil || ok {
				t.Errorf("Nth(0, 4) = %s, %t, %v; want false: forgotten", at, ok, err)
			}
			return nil
		})

		// A symbol the text of symbols cannot hold fails the update, with
		// an error that does not repeat the key, which the limiter names.
		err := l.Update(ctx, "yahoo", func(e ratelimit.Entry) error {
			e.State().StreakSymbols = []string{"A B"}
			return nil
		})
		if err == nil || !strings.HasPrefix(err.Error(), "store: rate budget: ") || strings.Contains(err.Error(), "yahoo") {
			t.Errorf("Update with the symbol \"A B\" = %v, want an error \"store: rate budget: …\" without the key", err)
		}
		// A context done before the update runs nothing.
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		err = l.Update(cancelled, "yahoo", func(ratelimit.Entry) error {
			t.Error("fn ran with a cancelled context")
			return nil
		})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Update with a cancelled context = %v, want context.Canceled", err)
		}
	})
}

// The grants that one update adds are numbered in turn at commit, and
// until then they count in Nth and Grants with the stored ones, the latest
// first, as a limiter that makes several grants at once would see them.
func TestLedgerGrantsOfAnUpdate(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		start := ledgertest.Start
		clock := clocktest.NewFake(start)
		db := open(t, d.dsn(t), store.WithClock(clock))
		l := db.Ledger()
		if err := l.Update(ctx, "stooq", func(e ratelimit.Entry) error { return e.AddGrant(time.Hour) }); err != nil {
			t.Fatal(err)
		}
		then := start.Add(time.Minute)
		clock.Advance(time.Minute)
		err := l.Update(ctx, "stooq", func(e ratelimit.Entry) error {
			for range 3 {
				if err := e.AddGrant(time.Hour); err != nil {
					return err
				}
			}
			for _, tc := range []struct {
				since time.Time
				n     int
				want  time.Time
				ok    bool
			}{
				{start.Add(-time.Second), 1, then, true},
				{start.Add(-time.Second), 3, then, true},
				{start.Add(-time.Second), 4, start, true},
				{start.Add(-time.Second), 5, time.Time{}, false},
				{start, 3, then, true},
				{start, 4, time.Time{}, false},
				{then, 1, time.Time{}, false},
			} {
				got, ok, err := e.Nth(tc.since, tc.n)
				if err != nil {
					return err
				}
				if ok != tc.ok || (ok && !got.Equal(tc.want)) {
					t.Errorf("Nth(%s, %d) = %s, %t; want %s, %t", tc.since.Sub(start), tc.n, got, ok, tc.want, tc.ok)
				}
			}
			gs, err := e.Grants(start.Add(-time.Second))
			if err != nil {
				return err
			}
			if diff := cmp.Diff([]time.Time{start, then, then, then}, gs); diff != "" {
				t.Errorf("Grants (-want +got):\n%s", diff)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var seqs []int64
		if err := db.SQLX().SelectContext(ctx, &seqs, `SELECT seq FROM rate_grants WHERE key = 'stooq' ORDER BY seq`); err != nil {
			t.Fatal(err)
		}
		var made int64
		if err := db.SQLX().GetContext(ctx, &made, `SELECT grants_made FROM rate_budgets WHERE key = 'stooq'`); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]int64{1, 2, 3, 4}, seqs); diff != "" || made != 4 {
			t.Errorf("grants_made %d, want 4; the grants' numbers (-want +got):\n%s", made, diff)
		}
	})
}

// nowOf returns the Now of an update of key in l.
func nowOf(t *testing.T, l ratelimit.Ledger, key string) time.Time {
	t.Helper()
	var now time.Time
	if err := l.Update(ctx, key, func(e ratelimit.Entry) error {
		now = e.Now()
		return nil
	}); err != nil {
		t.Fatalf("Update: %v", err)
	}
	return now
}

// dbNow reads PostgreSQL's clock.
func dbNow(t *testing.T, db *store.DB) time.Time {
	t.Helper()
	var now time.Time
	if err := db.SQLX().GetContext(ctx, &now, `SELECT clock_timestamp()`); err != nil {
		t.Fatal(err)
	}
	return now
}

// Without WithClock, the time of a PostgreSQL ledger is the database's
// clock, read once the budget's row is locked, and it never runs back
// behind the time of an earlier update.
func TestLedgerDatabaseClock(t *testing.T) {
	t.Parallel()
	t.Run("now", func(t *testing.T) {
		t.Parallel()
		db := open(t, pgtest.DSN(t))
		l := db.Ledger()
		for range 3 {
			before := dbNow(t, db)
			now := nowOf(t, l, "yahoo")
			after := dbNow(t, db)
			if now.Before(before) || now.After(after) {
				t.Errorf("Now = %s, want the database's clock, between %s and %s", now, before, after)
			}
		}
	})
	t.Run("after the lock", func(t *testing.T) {
		t.Parallel()
		db := open(t, pgtest.DSN(t))
		l := db.Ledger()
		nowOf(t, l, "yahoo") // makes the row
		// Another transaction holds the row; an update waits for it, and
		// its time is after the holder committed.
		holder, err := db.SQLX().BeginTxx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer holder.Rollback()
		var pid int
		if err := holder.GetContext(ctx, &pid, `SELECT pg_backend_pid() FROM rate_budgets WHERE key = 'yahoo' FOR UPDATE`); err != nil {
			t.Fatal(err)
		}
		got := make(chan time.Time, 1)
		go func() {
			var now time.Time
			err := l.Update(ctx, "yahoo", func(e ratelimit.Entry) error {
				now = e.Now()
				return nil
			})
			if err != nil {
				t.Errorf("Update: %v", err)
			}
			got <- now
		}()
		waitBlocked(t, db, pid)
		var released time.Time
		if err := holder.GetContext(ctx, &released, `SELECT clock_timestamp()`); err != nil {
			t.Fatal(err)
		}
		if err := holder.Commit(); err != nil {
			t.Fatal(err)
		}
		if now := <-got; !now.After(released) {
			t.Errorf("Now = %s, want after %s, when the holder of the row let it go", now, released)
		}
	})
	t.Run("never back", func(t *testing.T) {
		t.Parallel()
		dsn := pgtest.DSN(t)
		ahead := time.Now().Add(time.Hour).UTC().Truncate(time.Microsecond)
		future := open(t, dsn, store.WithClock(clocktest.NewFake(ahead))).Ledger()
		if now := nowOf(t, future, "stooq"); !now.Equal(ahead) {
			t.Fatalf("with WithClock, Now = %s, want the clock's %s", now, ahead)
		}
		if now := nowOf(t, open(t, dsn).Ledger(), "stooq"); !now.Equal(ahead) {
			t.Errorf("after an update at %s, Now = %s on the database's clock, want no earlier", ahead, now)
		}
	})
}

// waitBlocked waits until a backend waits for a lock that backend pid
// holds.
func waitBlocked(t *testing.T, db *store.DB, pid int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		var n int
		if err := db.SQLX().GetContext(ctx, &n, `SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY (pg_blocking_pids(pid))`, pid); err != nil {
			t.Fatalf("waiting for the update to wait for the lock: %v", err)
		}
		if n > 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatal("the update never waited for the lock")
		case <-time.After(5 * time.Millisecond):
		}
	}
}
