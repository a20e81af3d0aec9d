package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"pgregory.net/rapid"

	"github.com/pricefill/pricefill/internal/pgtest"
	"github.com/pricefill/pricefill/store"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// A dialect is one database the suite runs on: dsn returns the DSN of a
// new, empty database for t.
type dialect struct {
	name string
	dsn  func(t testing.TB) string
}

var dialects = []dialect{
	{"sqlite", func(t testing.TB) string { return filepath.Join(t.TempDir(), "pricefill.db") }},
	{"postgres", pgtest.DSN},
}

// forEachDialect runs fn as a parallel subtest for each dialect.
func forEachDialect(t *testing.T, fn func(t *testing.T, d dialect)) {
	t.Helper()
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			fn(t, d)
		})
	}
}

// open opens dsn and closes it when t ends.
func open(t testing.TB, dsn string, opts ...store.Option) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn, opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

// count counts the rows of table (assets or prices) of symbol.
func count(t rapid.TB, db *store.DB, table, symbol string) int {
	t.Helper()
	q := `SELECT count(*) FROM assets WHERE symbol = $1`
	if table == "prices" {
		q = `SELECT count(*) FROM prices p JOIN assets a ON a.id = p.asset_id WHERE a.symbol = $1`
	}
	var n int
	if err := db.SQLX().QueryRowxContext(context.Background(), db.Rebind(q), symbol).Scan(&n); err != nil {
		t.Fatalf("count %s of %s: %v", table, symbol, err)
	}
	return n
}
