package store_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestDialectsAgreeOnTheSchema: the migrations of PostgreSQL and SQLite
// make the same tables with the same columns, each NOT NULL in both or in
// neither, and record the same migrations.
func TestDialectsAgreeOnTheSchema(t *testing.T) {
	t.Parallel()
	schemas := make(map[string]schemaDump)
	for _, d := range dialects {
		db := open(t, d.dsn(t))
		var s schemaDump
		if err := db.SQLX().SelectContext(ctx, &s.Migrations,
			`SELECT CAST(version AS TEXT) || ' ' || name FROM pricefill_migrations ORDER BY version`); err != nil {
			t.Fatal(err)
		}
		q := `SELECT m.name || '.' || p.name || CASE WHEN p."notnull" = 1 OR p.pk > 0 THEN ' NOT NULL' ELSE '' END
			FROM sqlite_master m, pragma_table_info(m.name) p
			WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY 1`
		if d.name == "postgres" {
			q = `SELECT table_name || '.' || column_name || CASE WHEN is_nullable = 'NO' THEN ' NOT NULL' ELSE '' END
				FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY 1`
		}
		if err := db.SQLX().SelectContext(ctx, &s.Objects, q); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(strings.Join(s.Objects, "\n"), "holes.last_asked NOT NULL") {
			t.Errorf("%s: the columns miss holes.last_asked NOT NULL:\n%s", d.name, strings.Join(s.Objects, "\n"))
		}
		schemas[d.name] = s
	}
	if diff := cmp.Diff(schemas["postgres"], schemas["sqlite"], cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("the schemas of the dialects differ (-postgres +sqlite):\n%s", diff)
	}
}
