package store_test

import (
	"crypto/rand"
	"database/sql"
	"errors"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jmoiron/sqlx"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/backfill/storetest"
	"github.com/pricefill/pricefill/internal/pgtest"
	"github.com/pricefill/pricefill/store"
)

// A store that fits into a database that holds other tools' tables:
// pricefill_migrations, WithSchema, WithoutMigrating, Migrate and OpenDB.

// tables returns the tables of the current schema, in name order.
func tables(t *testing.T, x *sqlx.DB, dialect string) []string {
	t.Helper()
	q := `SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`
	if dialect == "postgres" {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name`
	}
	var out []string
	if err := x.SelectContext(ctx, &out, q); err != nil {
		t.Fatal(err)
	}
	return out
}

// migrationRows returns the rows of a migration record as text.
func migrationRows(t *testing.T, x *sqlx.DB, table string) []string {
	t.Helper()
	var out []string
	if err := x.SelectContext(ctx, &out, `SELECT CAST(version AS TEXT) || ' ' || name || ' ' || CAST(applied_at AS TEXT) FROM `+table+` ORDER BY version`); err != nil {
		t.Fatal(err)
	}
	return out
}

// programVersion is the version of the program's last migration, as a
// fresh database records it.
func programVersion(t *testing.T, db *store.DB) int {
	t.Helper()
	var v int
	if err := db.SQLX().GetContext(ctx, &v, `SELECT max(version) FROM `+store.MigrationsTable); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestOlderRecordMoved: a database that an older pricefill migrated, whose
// record is schema_migrations (version, name, applied_at), has its rows
// moved into pricefill_migrations, applied_at kept, and schema_migrations
// dropped, as it gets the migrations it lacks. Until then, a store opened
// WithoutMigrating refuses it with ErrSchemaOlder.
func TestOlderRecordMoved(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		dsn := d.dsn(t)
		db := open(t, dsn)
		latest := programVersion(t, db)
		x := db.SQLX()
		// Back to the database of pricefill 5: its record, no sector.
		for _, stmt := range []string{
			`ALTER TABLE pricefill_migrations RENAME TO schema_migrations`,
			`DELETE FROM schema_migrations WHERE version >= 6`,
			`ALTER TABLE assets DROP COLUMN sector`,
			`DROP TABLE dividends`,
			`DROP TABLE splits`,
		} {
			if _, err := x.ExecContext(ctx, stmt); err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
		old := migrationRows(t, x, "schema_migrations")
		if len(old) != 5 {
			t.Fatalf("the record of pricefill 5: %q, want 5 rows", old)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}

		_, err := store.Open(ctx, dsn, store.WithoutMigrating())
		var so *store.SchemaOlderError
		if !errors.Is(err, store.ErrSchemaOlder) || !errors.As(err, &so) || so.Database != 5 || so.Program != latest {
			t.Fatalf("Open WithoutMigrating of pricefill 5's database: %v, want a SchemaOlderError of 5 and %d", err, latest)
		}
		if got := migrationRows(t, rawOpen(t, dsn), "schema_migrations"); !cmp.Equal(old, got) {
			t.Errorf("Open WithoutMigrating changed schema_migrations: %q, was %q", got, old)
		}

		db = open(t, dsn)
		got := migrationRows(t, db.SQLX(), store.MigrationsTable)
		if len(got) != latest || !cmp.Equal(old, got[:5]) {
			t.Errorf("pricefill_migrations = %q, want the old rows %q and then the new ones up to %d", got, old, latest)
		}
		for _, tab := range tables(t, db.SQLX(), d.name) {
			if tab == "schema_migrations" {
				t.Errorf("schema_migrations is still there, moved into %s", store.MigrationsTable)
			}
		}
		if _, err := db.SQLX().ExecContext(ctx, `SELECT sector FROM assets`); err != nil {
			t.Errorf("assets.sector after the migration: %v", err)
		}
	})
}

// TestForeignSchemaMigrationsLeftAlone: a schema_migrations that is not an
// older pricefill's (golang-migrate's version and dirty; or pricefill's
// columns with another tool's rows) is left as it was, and pricefill
// records its migrations in pricefill_migrations beside it.
func TestForeignSchemaMigrationsLeftAlone(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ name, create, insert string }{
		{"golang-migrate", `CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)`,
			`INSERT INTO schema_migrations (version, dirty) VALUES (20240101120000, false)`},
		{"same columns", `CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at text NOT NULL)`,
			`INSERT INTO schema_migrations (version, name, applied_at) VALUES (1, 'create_users', '2024-01-01')`},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			forEachDialect(t, func(t *testing.T, d dialect) {
				dsn := d.dsn(t)
				raw := rawOpen(t, dsn)
				for _, stmt := range []string{c.create, c.insert} {
					if _, err := raw.ExecContext(ctx, stmt); err != nil {
						t.Fatalf("%s: %v", stmt, err)
					}
				}
				var before []string
				dump := `SELECT CAST(version AS TEXT) FROM schema_migrations ORDER BY version`
				if err := raw.SelectContext(ctx, &before, dump); err != nil {
					t.Fatal(err)
				}
				db := open(t, dsn)
				var after []string
				if err := raw.SelectContext(ctx, &after, dump); err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(before, after); diff != "" {
					t.Errorf("schema_migrations changed (-before +after):\n%s", diff)
				}
				if v := programVersion(t, db); v < 6 {
					t.Errorf("pricefill_migrations ends at %d, want 6 or more", v)
				}
			})
		})
	}
}

// TestWithoutMigrating: a store opened WithoutMigrating refuses a database
// without pricefill's schema, with one line that says to run the
// migrations, and creates nothing; after Migrate (twice: idempotent) it
// opens; a newer schema is refused with ErrSchemaNewer.
func TestWithoutMigrating(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		dsn := d.dsn(t)
		_, err := store.Open(ctx, dsn, store.WithoutMigrating())
		var so *store.SchemaOlderError
		if !errors.As(err, &so) || so.Database != 0 {
			t.Fatalf("Open WithoutMigrating of an empty database: %v, want a SchemaOlderError of version 0", err)
		}
		if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, "run its migrations first (store.Migrate)") {
			t.Errorf("Open WithoutMigrating: %q, want one line saying to run the migrations", msg)
		}
		if got := tables(t, rawOpen(t, dsn), d.name); len(got) != 0 {
			t.Errorf("Open WithoutMigrating created tables %q", got)
		}

		for range 2 {
			if err := store.Migrate(ctx, dsn); err != nil {
				t.Fatalf("Migrate: %v", err)
			}
		}
		db := open(t, dsn, store.WithoutMigrating())
		latest := programVersion(t, db)
		if rows := migrationRows(t, db.SQLX(), store.MigrationsTable); len(rows) != latest {
			t.Errorf("after Migrate twice: %q, want %d rows", rows, latest)
		}
		if _, err := db.SQLX().ExecContext(ctx, db.Rebind(`INSERT INTO pricefill_migrations (version, name, applied_at) VALUES ($1, 'future', '2030-01-01T00:00:00.000000Z')`), latest+1); err != nil {
			t.Fatal(err)
		}
		_, err = store.Open(ctx, dsn, store.WithoutMigrating())
		var sn *store.SchemaNewerError
		if !errors.As(err, &sn) || sn.Database != latest+1 || sn.Program != latest {
			t.Errorf("Open WithoutMigrating of a newer schema: %v, want a SchemaNewerError", err)
		}
		if err := store.Migrate(ctx, dsn); !errors.Is(err, store.ErrSchemaNewer) {
			t.Errorf("Migrate of a newer schema: %v, want ErrSchemaNewer", err)
		}
	})
}

// newSchema returns a new schema name, dropped (with its tables) when t
// ends, on the PostgreSQL of dsn.
func newSchema(t *testing.T, dsn string) string {
	t.Helper()
	name := "pf_" + strings.ToLower(rand.Text()[:10])
	raw := rawOpen(t, dsn)
	t.Cleanup(func() {
		if _, err := raw.ExecContext(ctx, `DROP SCHEMA IF EXISTS `+name+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	return name
}

// TestWithSchema: every table of a store WithSchema, its migration
// record included, is in that schema, created by Open; the DSN's own
// schema stays empty.
func TestWithSchema(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	schema := newSchema(t, dsn)
	db := open(t, dsn, store.WithSchema(schema))
	if _, err := db.Save(ctx, backfill.SaveRequest{Series: &pricefill.Series{Asset: pricefill.Asset{Symbol: "AAPL", Name: "Apple"}}}); err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := db.SQLX().SelectContext(ctx, &got, `SELECT table_schema || '.' || table_name FROM information_schema.tables
		WHERE table_schema = $1 ORDER BY 1`, schema); err != nil {
		t.Fatal(err)
	}
	want := []string{}
	for _, tab := range []string{"assets", "backfill_queue", "backfill_run_tasks", "backfill_runs", "dividends", "fetcher_logs", "holes",
		store.MigrationsTable, "prices", "queue_instance", "rate_budgets", "rate_grants", "splits", "tracked_assets"} {
		want = append(want, schema+"."+tab)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tables (-want +got):\n%s", diff)
	}
	if own := tables(t, rawOpen(t, dsn), "postgres"); len(own) != 0 {
		t.Errorf("the DSN's schema holds %q, want nothing", own)
	}
	// A second store in the same schema finds it migrated.
	open(t, dsn, store.WithSchema(schema), store.WithoutMigrating())
}

// TestWithSchemaRefused: WithSchema of a name that is not a plain
// identifier, or of an SQLite store, fails with one line naming why.
func TestWithSchemaRefused(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "p.db")
	for _, c := range []struct{ dsn, name, want string }{
		{file, "pricefill", "WithSchema(\"pricefill\"): PostgreSQL only; SQLite has no schemas"},
		{file, "", ""}, // no schema: fine
		{"postgres://u@h/db", "a-b", "WithSchema: \"a-b\" holds '-'"},
		{"postgres://u@h/db", "1x", "starts with a digit"},
		{"postgres://u@h/db", "pg_mine", "starts with pg_"},
		{"postgres://u@h/db", `x"; DROP TABLE t; --`, "holds '\"'"},
		{"postgres://u@h/db", strings.Repeat("a", 64), "64 bytes long"},
	} {
		db, err := store.Open(ctx, c.dsn, store.WithSchema(c.name))
		if err == nil {
			db.Close()
		}
		switch {
		case c.want == "" && err != nil:
			t.Errorf("Open(%q, WithSchema(%q)): %v", c.dsn, c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n")):
			t.Errorf("Open(%q, WithSchema(%q)): %v, want one line with %q", c.dsn, c.name, err, c.want)
		}
	}
}

// TestStoreConformanceInSchema runs the store's conformance suite on
// PostgreSQL stores opened WithSchema in a schema that is not the DSN's.
func TestStoreConformanceInSchema(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) storetest.Store {
		dsn := pgtest.DSN(t)
		return open(t, dsn, store.WithSchema(newSchema(t, dsn)))
	})
}

// TestOpenDB: a store over a lib/pq pool the caller owns works, and its
// Close leaves the pool open. A pool whose search_path is not the schema
// of WithSchema, an SQLite pool, and WithMaxOpenConns are refused.
func TestOpenDB(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	pool, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	if err := store.MigrateDB(ctx, pool); err != nil {
		t.Fatalf("MigrateDB: %v", err)
	}
	db, err := store.OpenDB(ctx, pool, store.WithoutMigrating())
	if err != nil {
		t.Fatalf("OpenDB: %v", err)
	}
	series := &pricefill.Series{Asset: pricefill.Asset{Symbol: "MSFT", Name: "Microsoft"}, Bars: []pricefill.Bar{
		{Symbol: "MSFT", Date: pricefill.Date(2025, 1, 6), Open: 1, High: 2, Low: 1, Close: 2, AdjClose: 2, Volume: 5, Source: "t"}}}
	res, err := db.Save(ctx, backfill.SaveRequest{Series: series})
	if err != nil || res.Inserted != 1 {
		t.Fatalf("Save over OpenDB = %+v, %v; want 1 inserted", res, err)
	}
	if db.String() == "" || strings.Contains(db.String(), "postgres://") {
		t.Errorf("String() = %q", db.String())
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	var n int
	if err := pool.QueryRowContext(ctx, `SELECT count(*) FROM prices`).Scan(&n); err != nil || n != 1 {
		t.Errorf("the pool after Close: %d prices, %v; want it open, with 1", n, err)
	}

	schema := newSchema(t, dsn)
	if _, err := store.OpenDB(ctx, pool, store.WithSchema(schema)); err == nil || !strings.Contains(err.Error(), "give it search_path="+schema) {
		t.Errorf("OpenDB WithSchema over a pool of another search_path: %v, want a refusal naming search_path", err)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	inSchema, err := sql.Open("postgres", u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inSchema.Close() })
	db2, err := store.OpenDB(ctx, inSchema, store.WithSchema(schema))
	if err != nil {
		t.Fatalf("OpenDB WithSchema over a pool of that search_path: %v", err)
	}
	if got := tables(t, sqlx.NewDb(inSchema, "postgres"), "postgres"); !strings.Contains(strings.Join(got, " "), store.MigrationsTable) {
		t.Errorf("the schema's tables: %q", got)
	}
	db2.Close()

	if _, err := store.OpenDB(ctx, pool, store.WithMaxOpenConns(3)); err == nil || !strings.Contains(err.Error(), "WithMaxOpenConns") {
		t.Errorf("OpenDB WithMaxOpenConns: %v, want a refusal", err)
	}
	lite, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	if _, err := store.OpenDB(ctx, lite); err == nil || !strings.Contains(err.Error(), "an SQLite pool: the store sets up each SQLite connection") {
		t.Errorf("OpenDB of an SQLite pool: %v, want a refusal naming why", err)
	}
}
