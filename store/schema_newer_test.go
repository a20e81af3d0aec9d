package store_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jmoiron/sqlx"

	"github.com/pricefill/pricefill/store"
)

// schemaDump is what a database holds that a migration would change: the
// versions recorded and the definitions of its tables and indexes.
type schemaDump struct {
	Migrations []string
	Objects    []string
}

func dumpSchema(t *testing.T, x *sqlx.DB, dialect string) schemaDump {
	t.Helper()
	var s schemaDump
	if err := x.SelectContext(ctx, &s.Migrations,
		`SELECT CAST(version AS TEXT) || ' ' || name FROM pricefill_migrations ORDER BY version`); err != nil {
		t.Fatal(err)
	}
	q := `SELECT type || ' ' || name || ' ' || coalesce(sql, '') FROM sqlite_master ORDER BY type, name`
	if dialect == "postgres" {
		q = `SELECT 'table ' || table_name || ' ' || column_name || ' ' || data_type FROM information_schema.columns
			WHERE table_schema = current_schema() UNION ALL
			SELECT 'index ' || indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname = current_schema() UNION ALL
			SELECT 'constraint ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
			WHERE connamespace = current_schema()::regnamespace
			ORDER BY 1`
	}
	if err := x.SelectContext(ctx, &s.Objects, q); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestOpenRefusesANewerSchema: a database that a newer program migrated
// (its pricefill_migrations holds a version above this program's last) is
// refused by Open with one line naming both versions, an error matching
// ErrSchemaNewer, and is left as it was.
func TestOpenRefusesANewerSchema(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		dsn := d.dsn(t)
		db := open(t, dsn)
		var program int
		if err := db.SQLX().GetContext(ctx, &program, `SELECT max(version) FROM pricefill_migrations`); err != nil {
			t.Fatal(err)
		}
		newer := program + 3
		if _, err := db.SQLX().ExecContext(ctx, db.Rebind(`INSERT INTO pricefill_migrations (version, name, applied_at) VALUES ($1, $2, $3)`),
			newer, fmt.Sprintf("%04d_from_the_future", newer), "2030-01-01T00:00:00.000000Z"); err != nil {
			t.Fatal(err)
		}
		before := dumpSchema(t, db.SQLX(), d.name)
		if len(before.Migrations) < 2 || !strings.Contains(strings.Join(before.Objects, "\n"), "prices") {
			t.Fatalf("the dump of the schema misses its parts: %+v", before)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}

		got, err := store.Open(ctx, dsn)
		if err == nil {
			got.Close()
			t.Fatal("Open of a database with a newer schema succeeded")
		}
		if !errors.Is(err, store.ErrSchemaNewer) {
			t.Errorf("Open: %v, want an error matching ErrSchemaNewer", err)
		}
		var sn *store.SchemaNewerError
		if !errors.As(err, &sn) || sn.Database != newer || sn.Program != program {
			t.Errorf("Open: %#v, want a *SchemaNewerError of database %d, program %d", sn, newer, program)
		}
		t.Logf("Open: %v", err)
		want := fmt.Sprintf("database schema is version %d, newer than this program's %d; upgrade pricefill", newer, program)
		if msg := err.Error(); !strings.HasSuffix(msg, want) || strings.Contains(msg, "\n") || strings.Contains(msg, "migration ") {
			t.Errorf("Open: %q, want one line ending %q", msg, want)
		}

		// The database is as it was.
		if diff := cmp.Diff(before, dumpSchema(t, rawOpen(t, dsn), d.name)); diff != "" {
			t.Errorf("Open changed the database (-before +after):\n%s", diff)
		}
	})
}

// rawOpen opens dsn on a plain connection of its driver, not through
// Open, which refuses it.
func rawOpen(t *testing.T, dsn string) *sqlx.DB {
	t.Helper()
	driver := "sqlite"
	if strings.HasPrefix(dsn, "postgres://") {
		driver = "postgres"
	}
	x, err := sqlx.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	return x
}
