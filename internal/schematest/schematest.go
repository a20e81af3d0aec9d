// Package schematest changes a store's schema the way a database
// administrator might, for tests of what the store does with it.
package schematest

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// AddPricesCheck adds CONSTRAINT name CHECK (expr) to the prices table of
// db, a PostgreSQL database when postgres is set and an SQLite one
// otherwise. SQLite cannot add a constraint to a table, so there the table
// is made anew from its own definition with the constraint, in one
// transaction.
func AddPricesCheck(ctx context.Context, db *sql.DB, postgres bool, name, expr string) error {
	if postgres {
		_, err := db.ExecContext(ctx, `ALTER TABLE prices ADD CONSTRAINT `+name+` CHECK (`+expr+`)`)
		return err
	}
	var ddl string
	if err := db.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'prices'`).Scan(&ddl); err != nil {
		return err
	}
	end := strings.LastIndex(ddl, ")")
	if end < 0 {
		return fmt.Errorf("prices is defined as %q: no closing parenthesis", ddl)
	}
	ddl = strings.Replace(ddl[:end], "CREATE TABLE prices", "CREATE TABLE prices_new", 1) +
		",\n\tCONSTRAINT " + name + " CHECK (" + expr + ")\n" + ddl[end:]
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, q := range []string{ddl, `INSERT INTO prices_new SELECT * FROM prices`, `DROP TABLE prices`, `ALTER TABLE prices_new RENAME TO prices`} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return tx.Commit()
}
