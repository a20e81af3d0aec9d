package e2e

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill/internal/pgtest"
	"github.com/pricefill/pricefill/internal/upstream"
	"github.com/pricefill/pricefill/store"
)

// foreignSchema is a service's own tables in the public schema, named as
// pricefill's are, with a golang-migrate record.
var foreignSchema = []string{
	`CREATE TABLE assets (id serial PRIMARY KEY, ticker text NOT NULL, label text)`,
	`INSERT INTO assets (ticker, label) VALUES ('AAPL', 'Apple'), ('SC000', 'not pricefill''s')`,
	`CREATE TABLE prices (ticker text NOT NULL, day date NOT NULL, px numeric(12, 4), PRIMARY KEY (ticker, day))`,
	`INSERT INTO prices VALUES ('AAPL', '2026-11-02', 201.5), ('SC000', '2026-11-03', 1.25)`,
	`CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)`,
	`INSERT INTO schema_migrations (version, dirty) VALUES (20240101120000, false)`,
}

// publicSnapshot is every table of the public schema: its columns and
// its rows, as JSON text in order.
func publicSnapshot(t *testing.T, db *sql.DB) map[string][]string {
	t.Helper()
	ctx := context.Background()
	out := map[string][]string{}
	rows, err := db.QueryContext(ctx, `SELECT table_name, string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position)
		FROM information_schema.columns WHERE table_schema = 'public' GROUP BY table_name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var table, cols string
		if err := rows.Scan(&table, &cols); err != nil {
			t.Fatal(err)
		}
		out[table] = []string{cols}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for table := range out {
		var data []string
		r, err := db.QueryContext(ctx, `SELECT row_to_json(t)::text FROM public.`+table+` t ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		for r.Next() {
			var s string
			if err := r.Scan(&s); err != nil {
				t.Fatal(err)
			}
			data = append(data, s)
		}
		r.Close()
		out[table] = append(out[table], data...)
	}
	return out
}

// TestDBSchemaLeavesForeignTablesAlone: in a PostgreSQL database that
// holds a service's own assets, prices and golang-migrate
// schema_migrations tables, a run with --db-schema pricefill stores the
// exact bars served in the schema pricefill, which it creates, and leaves
// the public schema as it was, row for row.
func TestDBSchemaLeavesForeignTablesAlone(t *testing.T) {
	t.Parallel()
	cluster := pgtest.NewCluster(t) // a database of its own: its public schema and a schema named pricefill
	raw, err := sql.Open("postgres", cluster.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, stmt := range foreignSchema {
		if _, err := raw.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	before := publicSnapshot(t, raw)
	if len(before) != 3 || len(before["prices"]) != 3 {
		t.Fatalf("the foreign tables: %q, want three, prices with two rows", before)
	}

	srv := upstream.ForTest(t)
	syms := symbols("SC", 3)
	at := restoreAt
	const days = 20
	args := []string{"--db", cluster.URL(), "--db-schema", "pricefill", "--base-url", srv.URL(),
		"--symbols", strings.Join(syms, ","), "--days", "20", "--rate", rateNoLimt, "--log-level", "warn"}
	if code, out := runAt(t, ctx, at, args...); code != 0 {
		t.Fatalf("exit %d, want 0:\n%s", code, out)
	}

	if diff := cmp.Diff(before, publicSnapshot(t, raw)); diff != "" {
		t.Errorf("the public schema changed (-before +after):\n%s", diff)
	}
	db, err := store.Open(ctx, cluster.URL(), store.WithSchema("pricefill"), store.WithoutMigrating())
	if err != nil {
		t.Fatalf("opening the store in schema pricefill: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	r := runRange(at, days)
	for _, s := range syms {
		want := srv.ValidBars(s, r, at)
		if len(want) < 10 {
			t.Fatalf("%s: %d bars served, want 10 or more", s, len(want))
		}
		if diff := cmp.Diff(want, storedBars(t, db, s)); diff != "" {
			t.Errorf("%s: stored bars in schema pricefill differ from the bars served (-served +stored):\n%s", s, diff)
		}
	}
	var n int
	if err := raw.QueryRowContext(ctx, `SELECT count(*) FROM pricefill.pricefill_migrations`).Scan(&n); err != nil || n < 6 {
		t.Errorf("pricefill.pricefill_migrations: %d rows, %v; want 6 or more", n, err)
	}
}
