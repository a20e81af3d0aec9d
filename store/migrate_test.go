package store_test

import (
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill/store"
)

// schemaState is what migrations leave behind: the versions recorded and
// the queue's tag, made once by the first migration.
type schemaState struct {
	Versions []int
	Tag      string
}

func stateOf(t *testing.T, db *store.DB) schemaState {
	t.Helper()
	var s schemaState
	if err := db.SQLX().SelectContext(ctx, &s.Versions, `SELECT version FROM pricefill_migrations ORDER BY version`); err != nil {
		t.Fatal(err)
	}
	if err := db.SQLX().GetContext(ctx, &s.Tag, `SELECT tag FROM queue_instance`); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestMigrateTwiceIsANoOp(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		dsn := d.dsn(t)
		first := open(t, dsn)
		before := stateOf(t, first)
		if len(before.Versions) == 0 || before.Tag == "" {
			t.Fatalf("after Open: %+v, want migrations recorded and a tag", before)
		}
		n, err := store.ApplyMigrations(ctx, first)
		if err != nil || n != 0 {
			t.Errorf("Migrate again = %d, %v; want 0 applied", n, err)
		}
		second := open(t, dsn)
		if diff := cmp.Diff(before, stateOf(t, second)); diff != "" {
			t.Errorf("after a second Open (-before +after):\n%s", diff)
		}
	})
}

func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		t.Run("processes", func(t *testing.T) {
			dsn := d.dsn(t)
			runHelpers(t, 2, "migrate", dsn, nil)
			if s := stateOf(t, open(t, dsn)); len(s.Versions) == 0 || s.Tag == "" {
				t.Errorf("after two processes migrated: %+v", s)
			}
		})
		t.Run("goroutines", func(t *testing.T) {
			dsn := d.dsn(t)
			const n = 4
			dbs := make([]*store.DB, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() { dbs[i], errs[i] = store.Open(ctx, dsn) })
			}
			wg.Wait()
			for i := range n {
				if errs[i] != nil {
					t.Errorf("Open %d: %v", i, errs[i])
					continue
				}
				t.Cleanup(func() { dbs[i].Close() })
			}
			if t.Failed() {
				return
			}
			want := stateOf(t, dbs[0])
			for _, db := range dbs[1:] {
				if diff := cmp.Diff(want, stateOf(t, db)); diff != "" {
					t.Errorf("databases opened at once disagree (-first +other):\n%s", diff)
				}
			}
		})
	})
}
