package store

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// SQLX returns the database's connections, for tests to look at its
// tables.
func (db *DB) SQLX() *sqlx.DB { return db.x }

// Rebind turns a statement with $1, $2, … into the database's form.
func (db *DB) Rebind(q string) string { return db.d.Rebind(q) }

// ApplyMigrations applies the migrations db has not had and returns how
// many.
func ApplyMigrations(ctx context.Context, db *DB) (int, error) {
	return migrate(ctx, db.x, db.d, db.clock, "")
}
