package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/store/internal/sqldialect"
)

// migrationsFS holds the numbered migrations of each dialect:
// migrations/<dialect>/NNNN_name.sql.
//
//go:embed migrations
var migrationsFS embed.FS

// ErrSchemaNewer means the database's schema is newer than this program:
// its schema_migrations records a version above the last of the
// program's migrations, so a newer pricefill migrated it. [Open] refuses
// such a database and leaves it as it was. Errors of type
// *[SchemaNewerError] match it.
var ErrSchemaNewer = errors.New("database schema newer than this program")

// A SchemaNewerError says the database's schema is newer than this
// program's. It matches [ErrSchemaNewer].
type SchemaNewerError struct {
	// Database is the highest version the database records.
	Database int
	// Program is the version of this program's last migration.
	Program int
}

func (e *SchemaNewerError) Error() string {
	return fmt.Sprintf("database schema is version %d, newer than this program's %d; upgrade pricefill", e.Database, e.Program)
}

// Is reports whether target is [ErrSchemaNewer].
func (e *SchemaNewerError) Is(target error) bool { return target == ErrSchemaNewer }

// A migration is one numbered SQL file.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the migrations of dialect d in version order.
func migrations(d *sqldialect.Dialect) ([]migration, error) {
	dir := path.Join("migrations", d.Name)
	entries, err := fs.ReadDir(migrationsFS, dir)
	if err != nil {
		return nil, fmt.Errorf("migrations of %s: %w", d.Name, err)
	}
	var ms []migration
	for _, e := range entries { // ReadDir sorts by name
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("migration %s/%s: want NNNN_name.sql", dir, e.Name())
		}
		if len(ms) > 0 && v <= ms[len(ms)-1].version {
			return nil, fmt.Errorf("migration %s/%s: version %d does not follow %d", dir, e.Name(), v, ms[len(ms)-1].version)
		}
		b, err := fs.ReadFile(migrationsFS, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: strings.TrimSuffix(e.Name(), ".sql"), sql: string(b)})
	}
	return ms, nil
}

// migrate applies the migrations that db has not had, each in a
// transaction that also records it in schema_migrations, and returns how
// many it applied. Processes that migrate at once take turns (see
// [sqldialect.Dialect.LockMigrations]): the first applies, the others find
// the migration recorded and skip it. A database that records a version
// above the last of ms, migrated by a newer program, is left as it is,
// with a *[SchemaNewerError].
func migrate(ctx context.Context, db *sqlx.DB, d *sqldialect.Dialect, clock pricefill.Clock) (applied int, err error) {
	ms, err := migrations(d)
	if err != nil {
		return 0, err
	}
	createTable := `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    integer PRIMARY KEY,
	name       text NOT NULL,
	applied_at ` + d.TimeType() + ` NOT NULL
)`
	if len(ms) == 0 {
		return 0, fmt.Errorf("migrations of %s: none", d.Name)
	}
	latest := ms[len(ms)-1].version
	for _, m := range ms {
		did, err := migrateOne(ctx, db, d, createTable, m, latest, clock)
		if errors.Is(err, ErrSchemaNewer) {
			return applied, err
		}
		if err != nil {
			return applied, fmt.Errorf("migration %s/%s: %w", d.Name, m.name, err)
		}
		if did {
			applied++
		}
	}
	return applied, nil
}

// migrateOne applies m unless db records it already, in a transaction
// that holds off other processes, after checking that db records no
// version above latest, the program's last.
func migrateOne(ctx context.Context, db *sqlx.DB, d *sqldialect.Dialect, createTable string, m migration, latest int, clock pricefill.Clock) (did bool, err error) {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if lock := d.LockMigrations(); lock != "" {
		if _, err := tx.ExecContext(ctx, lock); err != nil {
			return false, fmt.Errorf("lock: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, createTable); err != nil {
		return false, fmt.Errorf("create schema_migrations: %w", err)
	}
	var newest int
	if err := tx.QueryRowxContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&newest); err != nil {
		return false, err
	}
	if newest > latest {
		return false, &SchemaNewerError{Database: newest, Program: latest}
	}
	var n int
	if err := tx.QueryRowxContext(ctx, d.Rebind(`SELECT count(*) FROM schema_migrations WHERE version = $1`), m.version).Scan(&n); err != nil {
		return false, err
	}
	if n == 0 {
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return false, err
		}
		if _, err := tx.ExecContext(ctx, d.Rebind(`INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`),
			m.version, m.name, sqldialect.FormatTime(sqldialect.Now(clock))); err != nil {
			return false, err
		}
	}
	return n == 0, tx.Commit()
}
