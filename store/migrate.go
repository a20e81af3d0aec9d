package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/store/internal/sqldialect"
)

// migrationsFS holds the numbered migrations of each dialect:
// migrations/<dialect>/NNNN_name.sql.
//
//go:embed migrations
var migrationsFS embed.FS

// MigrationsTable is the table that records the migrations a database has
// had: version, name, applied_at. It is pricefill's own name, so that it
// sits beside another tool's schema_migrations.
const MigrationsTable = "pricefill_migrations"

// legacyMigrationsTable is where pricefill recorded its migrations until
// version 6, which moves them into [MigrationsTable].
const legacyMigrationsTable = "schema_migrations"

// ErrSchemaNewer means the database's schema is newer than this program:
// its [MigrationsTable] records a version above the last of the program's
// migrations, so a newer pricefill migrated it. [Open] refuses such a
// database and leaves it as it was. Errors of type *[SchemaNewerError]
// match it.
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

// ErrSchemaOlder means the database's schema is older than this program
// and a store opened [WithoutMigrating] will not migrate it: run
// [Migrate] first. Errors of type *[SchemaOlderError] match it.
var ErrSchemaOlder = errors.New("database schema older than this program")

// A SchemaOlderError says the database's schema is older than this
// program's and was left so. It matches [ErrSchemaOlder].
type SchemaOlderError struct {
	// Database is the highest version the database records; 0 when it
	// has none of pricefill's tables.
	Database int
	// Program is the version of this program's last migration.
	Program int
}

func (e *SchemaOlderError) Error() string {
	if e.Database == 0 {
		return fmt.Sprintf("database has no pricefill schema (no %s), this program's is version %d; run its migrations first (store.Migrate)", MigrationsTable, e.Program)
	}
	return fmt.Sprintf("database schema is version %d, older than this program's %d; run its migrations first (store.Migrate)", e.Database, e.Program)
}

// Is reports whether target is [ErrSchemaOlder].
func (e *SchemaOlderError) Is(target error) bool { return target == ErrSchemaOlder }

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
// transaction that also records it in [MigrationsTable], and returns how
// many it applied. Processes that migrate at once take turns (see
// [sqldialect.Dialect.LockMigrations]): the first applies, the others find
// the migration recorded and skip it. A database that records a version
// above the last of ms, migrated by a newer program, is left as it is,
// with a *[SchemaNewerError]. On PostgreSQL, a schema (of [WithSchema];
// "" for none) is created first when missing.
func migrate(ctx context.Context, db *sqlx.DB, d *sqldialect.Dialect, clock pricefill.Clock, schema string) (applied int, err error) {
	ms, err := migrations(d)
	if err != nil {
		return 0, err
	}
	if len(ms) == 0 {
		return 0, fmt.Errorf("migrations of %s: none", d.Name)
	}
	if schema != "" {
		if err := createSchema(ctx, db, schema); err != nil {
			return 0, err
		}
	}
	latest := ms[len(ms)-1].version
	for _, m := range ms {
		did, err := migrateOne(ctx, db, d, ms, m, latest, clock)
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

// createSchema creates the PostgreSQL schema unless it exists. It looks
// first, so that a role without the CREATE privilege on the database can
// use a schema made for it; of processes creating it at once, one wins
// and the others find it made.
func createSchema(ctx context.Context, db *sqlx.DB, schema string) error {
	exists := func() (bool, error) {
		var ok bool
		err := db.QueryRowxContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, schema).Scan(&ok)
		return ok, err
	}
	ok, err := exists()
	if err != nil || ok {
		return err
	}
	if _, cerr := db.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+pq.QuoteIdentifier(schema)); cerr != nil {
		if ok, err := exists(); err != nil || !ok {
			return fmt.Errorf("create schema %s: %w", pq.QuoteIdentifier(schema), cerr)
		}
	}
	return nil
}

// migrateOne applies m unless db records it already, in a transaction
// that holds off other processes, after checking that db records no
// version above latest, the program's last. ms are all the migrations.
func migrateOne(ctx context.Context, db *sqlx.DB, d *sqldialect.Dialect, ms []migration, m migration, latest int, clock pricefill.Clock) (did bool, err error) {
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
	if err := ensureRecord(ctx, tx, d, ms); err != nil {
		return false, err
	}
	var newest int
	if err := tx.QueryRowxContext(ctx, `SELECT coalesce(max(version), 0) FROM `+MigrationsTable).Scan(&newest); err != nil {
		return false, err
	}
	if newest > latest {
		return false, &SchemaNewerError{Database: newest, Program: latest}
	}
	var n int
	if err := tx.QueryRowxContext(ctx, d.Rebind(`SELECT count(*) FROM `+MigrationsTable+` WHERE version = $1`), m.version).Scan(&n); err != nil {
		return false, err
	}
	if n == 0 {
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return false, err
		}
		if _, err := tx.ExecContext(ctx, d.Rebind(`INSERT INTO `+MigrationsTable+` (version, name, applied_at) VALUES ($1, $2, $3)`),
			m.version, m.name, sqldialect.FormatTime(sqldialect.Now(clock))); err != nil {
			return false, err
		}
	}
	return n == 0, tx.Commit()
}

// ensureRecord creates [MigrationsTable] unless it exists, in tx. A
// schema_migrations of an older pricefill (see [isLegacyRecord]) has its
// rows moved into it and is dropped; any other schema_migrations, another
// tool's, is left alone.
func ensureRecord(ctx context.Context, tx *sqlx.Tx, d *sqldialect.Dialect, ms []migration) error {
	cols, err := columns(ctx, tx, d, MigrationsTable)
	if err != nil || len(cols) > 0 {
		return err
	}
	legacy, err := isLegacyRecord(ctx, tx, d, ms)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE `+MigrationsTable+` (
	version    integer PRIMARY KEY,
	name       text NOT NULL,
	applied_at `+d.TimeType()+` NOT NULL
)`); err != nil {
		return fmt.Errorf("create %s: %w", MigrationsTable, err)
	}
	if !legacy {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO `+MigrationsTable+` (version, name, applied_at)
		SELECT version, name, applied_at FROM `+legacyMigrationsTable); err != nil {
		return fmt.Errorf("move %s into %s: %w", legacyMigrationsTable, MigrationsTable, err)
	}
	if _, err := tx.ExecContext(ctx, `DROP TABLE `+legacyMigrationsTable); err != nil {
		return fmt.Errorf("drop %s, moved into %s: %w", legacyMigrationsTable, MigrationsTable, err)
	}
	return nil
}

// isLegacyRecord reports whether the current schema's schema_migrations
// is an older pricefill's record: exactly the columns version, name and
// applied_at, and one row or more, each the version and name of one of
// ms. golang-migrate's (version, dirty), or any table with a row that is
// not pricefill's, is not.
func isLegacyRecord(ctx context.Context, q sqlx.QueryerContext, d *sqldialect.Dialect, ms []migration) (bool, error) {
	cols, err := columns(ctx, q, d, legacyMigrationsTable)
	if err != nil {
		return false, err
	}
	slices.Sort(cols)
	if !slices.Equal(cols, []string{"applied_at", "name", "version"}) {
		return false, nil
	}
	var rows []struct {
		Version int
		Name    string
	}
	if err := sqlx.SelectContext(ctx, q, &rows, `SELECT version, name FROM `+legacyMigrationsTable); err != nil {
		return false, fmt.Errorf("read %s: %w", legacyMigrationsTable, err)
	}
	names := make(map[int]string, len(ms))
	for _, m := range ms {
		names[m.version] = m.name
	}
	for _, r := range rows {
		if name, ok := names[r.Version]; !ok || name != r.Name {
			return false, nil
		}
	}
	return len(rows) > 0, nil
}

// columns returns the columns of table in the current schema, none when
// there is no such table.
func columns(ctx context.Context, q sqlx.QueryerContext, d *sqldialect.Dialect, table string) ([]string, error) {
	var cols []string
	if err := sqlx.SelectContext(ctx, q, &cols, d.Columns(), table); err != nil {
		return nil, fmt.Errorf("columns of %s: %w", table, err)
	}
	return cols, nil
}

// checkMigrated returns nil when db records exactly the version of this
// program's last migration; otherwise a *[SchemaOlderError] or a
// *[SchemaNewerError]. It changes nothing.
func checkMigrated(ctx context.Context, db *sqlx.DB, d *sqldialect.Dialect) error {
	ms, err := migrations(d)
	if err != nil {
		return err
	}
	if len(ms) == 0 {
		return fmt.Errorf("migrations of %s: none", d.Name)
	}
	latest := ms[len(ms)-1].version
	table := MigrationsTable
	cols, err := columns(ctx, db, d, MigrationsTable)
	if err != nil {
		return err
	}
	if len(cols) == 0 {
		legacy, err := isLegacyRecord(ctx, db, d, ms)
		if err != nil {
			return err
		}
		if !legacy {
			return &SchemaOlderError{Database: 0, Program: latest}
		}
		table = legacyMigrationsTable
	}
	var newest int
	if err := db.QueryRowxContext(ctx, `SELECT coalesce(max(version), 0) FROM `+table).Scan(&newest); err != nil {
		return fmt.Errorf("read %s: %w", table, err)
	}
	switch {
	case newest > latest:
		return &SchemaNewerError{Database: newest, Program: latest}
	case newest < latest || table != MigrationsTable:
		return &SchemaOlderError{Database: newest, Program: latest}
	}
	return nil
}
