package pgtest_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/pricefill/pricefill/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func open(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestDSNSchemasAreSeparate(t *testing.T) {
	t.Parallel()
	a, b := open(t, pgtest.DSN(t)), open(t, pgtest.DSN(t))
	if _, err := a.Exec(`CREATE TABLE x (n int)`); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Exec(`CREATE TABLE x (n int)`); err != nil {
		t.Errorf("a table of the same name in the second schema: %v", err)
	}
}

// TestClusterStopStart: a stopped cluster refuses connections; started
// again, it has the committed rows and not the transaction it crashed in.
func TestClusterStopStart(t *testing.T) {
	t.Parallel()
	c := pgtest.NewCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db := open(t, c.URL())
	if _, err := db.ExecContext(ctx, `CREATE TABLE kept (n int)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO kept VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO kept VALUES (2)`); err != nil {
		t.Fatal(err)
	}

	c.Stop(t)
	if err := tx.Commit(); err == nil {
		t.Errorf("a transaction committed after the server stopped")
	}
	other := open(t, c.URL())
	if err := other.PingContext(ctx); err == nil {
		t.Fatalf("the stopped cluster took a connection")
	}

	c.Start(t)
	url := c.URL()
	c.Start(t) // started already: nothing to do
	if c.URL() != url {
		t.Errorf("the URL changed with the restart: %s, then %s", url, c.URL())
	}
	var rows []int
	r, err := open(t, c.URL()).QueryContext(ctx, `SELECT n FROM kept ORDER BY n`)
	if err != nil {
		t.Fatalf("after the restart: %v", err)
	}
	defer r.Close()
	for r.Next() {
		var n int
		if err := r.Scan(&n); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, n)
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0] != 1 {
		t.Errorf("rows after the restart: %v, want [1]: the committed one, not the one in flight", rows)
	}
}
