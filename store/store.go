package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq" // the "postgres" driver
	"modernc.org/sqlite"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/internal/redact"
	"github.com/pricefill/pricefill/queue"
	"github.com/pricefill/pricefill/store/internal/sqldialect"
)

// The store is both halves of the runner's durable state, and remembers
// holes.
var (
	_ backfill.Store      = (*DB)(nil)
	_ backfill.HoleKeeper = (*DB)(nil)
	_ queue.Queue         = (*DB)(nil)
	_ queue.Queue         = (*Queue)(nil)
)

// MaxOpenConnsDefault is the size of a PostgreSQL connection pool unless
// [WithMaxOpenConns] says otherwise.
const MaxOpenConnsDefault = 10

// SQLiteBusyTimeout is how long an SQLite write waits for another process
// that holds the database's write lock before it fails.
const SQLiteBusyTimeout = 10 * time.Second

// PostgresIdleInTransactionTimeout is how long PostgreSQL lets a session
// of the store sit idle inside a transaction before it ends the session,
// rolling the transaction back. The store's transactions send their
// statements back to back, so only a frozen process (SIGSTOP, a suspended
// VM) is idle that long; without the limit it would keep the rows it
// locked (a task being completed, an asset being saved) until it woke,
// and the fleet could not take its tasks over. A DSN that sets
// idle_in_transaction_session_timeout itself keeps its own.
const PostgresIdleInTransactionTimeout = 30 * time.Second

// idleParam is the PostgreSQL setting of PostgresIdleInTransactionTimeout.
const idleParam = "idle_in_transaction_session_timeout"

// An Option configures [Open].
type Option func(*config)

type config struct {
	clock          pricefill.Clock
	clockGiven     bool // WithClock gave a clock, which the ledger then reads too
	maxOpenConns   int
	maxConnsGiven  bool   // WithMaxOpenConns was given
	schema         string // WithSchema's; "" for the connection's own
	withoutMigrate bool
	mustExist      bool // WithoutCreating: refuse a database pricefill never used
}

// WithClock sets the clock that stamps stored rows and decides when leases
// expire and retries are due. The default is [pricefill.SystemClock]; nil
// means the default. On PostgreSQL, without it (or with
// [WithDatabaseClock]), the database's clock decides the queue's leases,
// retries, heartbeats and claims and the shared budget of [DB.Ledger], so
// that processes whose clocks disagree still agree; a clock given here
// decides them instead.
func WithClock(c pricefill.Clock) Option {
	return func(cfg *config) { cfg.clock, cfg.clockGiven = c, c != nil }
}

// WithDatabaseClock keeps the database's clock deciding on PostgreSQL (as
// without [WithClock]), with caller the clock of the process: the one its
// runner reads, which the times it gives the queue (a retry's time) are
// on, and which stamps stored rows. It is for tests of processes whose
// clocks disagree; on SQLite caller decides.
func WithDatabaseClock(caller pricefill.Clock) Option {
	return func(cfg *config) { cfg.clock, cfg.clockGiven = caller, false }
}

// WithMaxOpenConns sets how many connections a PostgreSQL store opens at
// most: each worker uses one at a time. The default is
// [MaxOpenConnsDefault]; 0 means the default. An SQLite store always uses
// one connection, which serializes its writes.
// [OpenDB] refuses it: the pool is the caller's, and so are its limits.
func WithMaxOpenConns(n int) Option {
	return func(cfg *config) { cfg.maxOpenConns, cfg.maxConnsGiven = n, true }
}

// WithSchema puts every table of the store, [MigrationsTable] included,
// into the PostgreSQL schema name, and touches nothing outside it: the
// schema is created when missing (by a migration: see [Migrate]), and
// every connection of the store uses it as its search_path, so the
// store's statements, which name tables without a schema, find its tables
// and no others. name is a plain identifier (see [CheckSchemaName]),
// quoted in SQL, so its case is kept. The default, "", is the
// connection's own search_path: the DSN's (?search_path=…), else the
// server's (public). SQLite has no schemas: a store of SQLite refuses it.
// With [OpenDB], the caller's pool must already set the search_path to
// name (see there).
func WithSchema(name string) Option {
	return func(cfg *config) { cfg.schema = name }
}

// WithoutMigrating makes [Open] and [OpenDB] leave the schema as it is,
// for services that migrate at deploy time with [Migrate]: instead of
// applying the migrations the database has not had, they check that it
// records exactly the version of this program's last migration, and fail
// otherwise, changing nothing: with a *[SchemaOlderError] (run the
// migrations first) or a *[SchemaNewerError]. By default Open migrates.
func WithoutMigrating() Option {
	return func(cfg *config) { cfg.withoutMigrate = true }
}

// WithoutCreating makes [Open] and [OpenDB] refuse a database that holds
// no pricefill tables yet, with [ErrNoDatabase], instead of creating them:
// for tools that only read, such as a status view, which should not leave
// an empty database behind a mistyped DSN. An SQLite file must exist; a
// PostgreSQL database (and the schema of [WithSchema]) must record
// pricefill's migrations. A database that does is migrated as usual,
// unless [WithoutMigrating].
func WithoutCreating() Option {
	return func(cfg *config) { cfg.mustExist = true }
}

// ErrNoDatabase means [Open] found no pricefill database where its DSN
// points and, with [WithoutCreating], made none: the SQLite file, the
// PostgreSQL database, or pricefill's tables in it do not exist.
var ErrNoDatabase = errors.New("no pricefill database")

// ErrUnreachable means [Open] could not reach the database server: the
// connection was refused or timed out, its name did not resolve, or the
// server is starting up, shutting down or out of connections. A wrong
// password or database name is no such error.
var ErrUnreachable = errors.New("database unreachable")

// CheckSchemaName returns nil when name can be the schema of
// [WithSchema]: a plain identifier of 1 to 63 ASCII letters, digits and
// underscores, not starting with a digit nor with pg_ (PostgreSQL's own).
func CheckSchemaName(name string) error {
	switch {
	case name == "":
		return errors.New("empty; want a schema name such as pricefill")
	case len(name) > 63:
		return fmt.Errorf("%d bytes long; want 63 at most", len(name))
	case name[0] >= '0' && name[0] <= '9':
		return fmt.Errorf("%q starts with a digit; want a letter or _ first", name)
	case strings.HasPrefix(strings.ToLower(name), "pg_"):
		return fmt.Errorf("%q starts with pg_, which PostgreSQL keeps for its own schemas", name)
	}
	for _, r := range name {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return fmt.Errorf("%q holds %q; want only letters, digits and _", name, r)
		}
	}
	return nil
}

func newConfig(opts []Option) (config, error) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.clock == nil {
		cfg.clock = pricefill.SystemClock()
	}
	if cfg.maxOpenConns < 0 {
		return cfg, fmt.Errorf("WithMaxOpenConns(%d): want 1 or more, or 0 for the default", cfg.maxOpenConns)
	}
	if cfg.maxOpenConns == 0 {
		cfg.maxOpenConns = MaxOpenConnsDefault
	}
	if cfg.schema != "" {
		if err := CheckSchemaName(cfg.schema); err != nil {
			return cfg, fmt.Errorf("WithSchema: %w", err)
		}
	}
	return cfg, nil
}

// forDialect checks cfg against the dialect of the database opened.
func (cfg config) forDialect(d *sqldialect.Dialect) error {
	if cfg.schema != "" && !d.IsPostgres() {
		return fmt.Errorf("WithSchema(%q): PostgreSQL only; SQLite has no schemas", cfg.schema)
	}
	return nil
}

// DB is a PostgreSQL or SQLite database holding prices and the work
// queue. It is the runner's [backfill.Store] and, through the embedded
// [Queue], its durable [queue.Queue]; [DB.Save] completes a task
// of that queue in the transaction that stores the task's bars, and
// [DB.Ledger] keeps the rate limiters' shared budgets in it. It is safe
// for concurrent use, by many goroutines and, on PostgreSQL, by many
// processes at once.
type DB struct {
	*Queue

	x     *sqlx.DB
	d     *sqldialect.Dialect
	clock pricefill.Clock
	name  string // the DSN, its secrets hidden
	// ownPool says whether Close closes x: not when OpenDB was given it.
	ownPool bool
	// copyIn says whether a save may COPY its bars (see insertDirect):
	// only over lib/pq's driver, whose COPY it speaks.
	copyIn bool
	stmts  saveStatements
	// ledger holds the statements of the shared budget; dbClock says
	// whether its time is the database's clock.
	ledger  ledgerStatements
	dbClock bool
	cache   *sqldialect.StmtCache // stmts and ledger, prepared
}

// Open opens the database that dsn names, applies the migrations it has not
// had yet, and returns it. dsn is either a PostgreSQL URL
// (postgres://user:password@host:port/db?sslmode=disable, or
// postgresql://…), a PostgreSQL connection string of key=value words
// (host=h port=5432 user=u password=p dbname=db sslmode=disable, as lib/pq
// reads it), or an SQLite database: a file path, optionally prefixed with
// "sqlite:", created when missing. A DSN that starts with a word and "=",
// or holds a word such as password= or dbname=, is taken for key=value
// words, never for a file (whose name would hold a password): a file
// whose name starts so is given as ./PATH.
//
// SQLite is opened in WAL mode with foreign keys on, a busy timeout of
// [SQLiteBusyTimeout], synchronous=NORMAL (a committed transaction
// survives a crash of the process; a power loss may undo the last ones,
// bars and task completions together) and one connection, so the writes of
// one process never wait on each other's locks; every transaction begins
// IMMEDIATE, so the writes of several processes queue for the write lock
// instead of failing. Query parameters given in dsn (modernc.org/sqlite's
// _pragma and others) are kept.
//
// Errors name the database with its secrets hidden, as [DB.String] does.
func Open(ctx context.Context, dsn string, opts ...Option) (*DB, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	x, d, name, err := connect(dsn, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", name, err)
	}
	db := &DB{x: x, d: d, clock: cfg.clock, name: name, ownPool: true, copyIn: d.IsPostgres()}
	if err := db.open(ctx, cfg); err != nil {
		_ = x.Close()
		return nil, fmt.Errorf("store: open %s: %w", name, redact.New(redact.DSNSecrets(dsn)...).Error(err))
	}
	return db, nil
}

// connect returns a pool of connections to dsn, each set up for the
// store, not yet connected; its dialect; and the DSN as errors show it.
// Errors have their secrets hidden.
func connect(dsn string, cfg config) (*sqlx.DB, *sqldialect.Dialect, string, error) {
	d, driverDSN, name, err := parseDSN(dsn)
	if err != nil {
		return nil, nil, name, err
	}
	if err := cfg.forDialect(d); err != nil {
		return nil, nil, name, err
	}
	if cfg.mustExist && !d.IsPostgres() {
		// Connecting would create the file.
		file, _, _ := strings.Cut(driverDSN, "?")
		if err := sqliteExists(file); err != nil {
			return nil, nil, name, err
		}
	}
	var setup func(context.Context, driver.Conn) error
	switch {
	case !d.IsPostgres():
		_, query, _ := strings.Cut(driverDSN, "?")
		params, _ := url.ParseQuery(query)
		setup = sqliteSetup(!params.Has("_journal_mode") && !params.Has("_journal"), d.CreateStaging(), SQLiteBusyTimeout)
	case cfg.schema != "":
		setup = postgresSetup(cfg.schema)
	}
	conn, err := newConnector(d.Driver, driverDSN, setup)
	if err != nil {
		return nil, nil, name, redact.New(redact.DSNSecrets(dsn)...).Error(err)
	}
	x := sqlx.NewDb(sql.OpenDB(conn), d.Driver)
	if d.IsPostgres() {
		x.SetMaxOpenConns(cfg.maxOpenConns)
		x.SetMaxIdleConns(cfg.maxOpenConns)
	} else {
		// One connection: the write lock is taken in turn, in process.
		x.SetMaxOpenConns(1)
		x.SetMaxIdleConns(1)
	}
	return x, d, name, nil
}

// OpenDB returns a store over pool, a PostgreSQL connection pool that the
// caller owns and configures (its size, its lifetimes): [DB.Close] closes
// the store's prepared statements and leaves pool open, for the caller to
// close after it. Like [Open], it applies the migrations the database has
// not had, unless [WithoutMigrating]; [WithMaxOpenConns] is refused.
//
// Any database/sql driver of PostgreSQL serves: lib/pq's
// (sql.Open("postgres", dsn)), the one the store is tested with, or
// pgx's stdlib (sql.Open("pgx", dsn), or stdlib.OpenDB(connConfig) of a
// *pgx.ConnConfig; see the example). With [WithSchema], every connection
// of pool must have the schema as its search_path, since the store cannot
// set up connections it does not open: put search_path=NAME in the DSN
// (both drivers pass it to the server) or in pgx's
// ConnConfig.RuntimeParams; OpenDB creates the schema when missing (and
// migrating) and checks a connection's search_path, refusing pool when it
// differs.
//
// Nor can it set [PostgresIdleInTransactionTimeout] on them: put
// idle_in_transaction_session_timeout in the pool's DSN too, or a process
// of the fleet frozen inside a transaction holds its locks until it wakes.
//
// An SQLite pool is refused: the store sets up each SQLite connection it
// opens itself (WAL, busy timeout, IMMEDIATE transactions, its staging
// table), so give [Open] the file's path instead.
func OpenDB(ctx context.Context, pool *sql.DB, opts ...Option) (*DB, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	x, err := overPool(ctx, pool, cfg)
	if err != nil {
		return nil, err
	}
	_, libpq := pool.Driver().(*pq.Driver)
	db := &DB{x: x, d: sqldialect.Postgres, clock: cfg.clock, name: poolName, copyIn: libpq}
	if err := db.open(ctx, cfg); err != nil {
		if db.Queue != nil {
			_ = db.Queue.close()
		}
		return nil, fmt.Errorf("store: open %s: %w", poolName, err)
	}
	return db, nil
}

// poolName is what [DB.String] and errors call a pool given to [OpenDB].
const poolName = "the caller's PostgreSQL pool"

// overPool checks that pool, given to OpenDB or MigrateDB, is one of
// PostgreSQL whose connections use cfg's schema, creating the schema when
// missing unless cfg says not to migrate.
func overPool(ctx context.Context, pool *sql.DB, cfg config) (*sqlx.DB, error) {
	fail := func(format string, args ...any) (*sqlx.DB, error) {
		return nil, fmt.Errorf("store: open %s: "+format, append([]any{poolName}, args...)...)
	}
	switch {
	case pool == nil:
		return fail("no pool (nil)")
	case cfg.maxConnsGiven:
		return fail("WithMaxOpenConns: the pool is the caller's, and so are its limits: set them on it")
	}
	if _, ok := pool.Driver().(*sqlite.Driver); ok {
		return fail("an SQLite pool: the store sets up each SQLite connection it opens (WAL, busy timeout, its staging table); give Open the file's path")
	}
	x := sqlx.NewDb(pool, sqldialect.Postgres.Driver)
	var version string
	if err := x.QueryRowxContext(ctx, `SELECT current_setting('server_version_num')`).Scan(&version); err != nil {
		return fail("not a PostgreSQL pool, or it does not answer: %w", err)
	}
	if cfg.schema == "" {
		return x, nil
	}
	if !cfg.withoutMigrate {
		if err := createSchema(ctx, x, cfg.schema); err != nil {
			return fail("%w", err)
		}
	}
	var path string
	if err := x.QueryRowxContext(ctx, `SELECT current_setting('search_path')`).Scan(&path); err != nil {
		return fail("read search_path: %w", err)
	}
	if first := firstSchema(path); first != cfg.schema {
		return fail("WithSchema(%q): the pool's connections have search_path %q; give it search_path=%s (in its DSN, or pgx's RuntimeParams)", cfg.schema, path, cfg.schema)
	}
	return x, nil
}

// firstSchema returns the first schema of a search_path, unquoted.
func firstSchema(path string) string {
	first, _, _ := strings.Cut(path, ",")
	first = strings.TrimSpace(first)
	if len(first) >= 2 && first[0] == '"' && first[len(first)-1] == '"' {
		first = strings.ReplaceAll(first[1:len(first)-1], `""`, `"`)
	}
	return first
}

// Migrate applies to the database that dsn names (as [Open] reads it) the
// migrations it has not had, and closes it: for services that migrate at
// deploy time and open their stores [WithoutMigrating]. It is idempotent,
// and processes that migrate at once take turns. [WithSchema] puts the
// tables into its schema, created when missing; [WithClock] stamps the
// migrations recorded; the other options do nothing here. A database a
// newer program migrated is left alone, with a *[SchemaNewerError].
func Migrate(ctx context.Context, dsn string, opts ...Option) error {
	cfg, err := newConfig(opts)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	x, d, name, err := connect(dsn, cfg)
	if err != nil {
		return fmt.Errorf("store: migrate %s: %w", name, err)
	}
	defer x.Close()
	if _, err := migrate(ctx, x, d, cfg.clock, cfg.schema); err != nil {
		return fmt.Errorf("store: migrate %s: %w", name, redact.New(redact.DSNSecrets(dsn)...).Error(err))
	}
	return nil
}

// MigrateDB is [Migrate] over a PostgreSQL pool that the caller owns, as
// [OpenDB] takes it (and leaves open).
func MigrateDB(ctx context.Context, pool *sql.DB, opts ...Option) error {
	cfg, err := newConfig(opts)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	cfg.withoutMigrate = false
	x, err := overPool(ctx, pool, cfg)
	if err != nil {
		return err
	}
	if _, err := migrate(ctx, x, sqldialect.Postgres, cfg.clock, cfg.schema); err != nil {
		return fmt.Errorf("store: migrate %s: %w", poolName, err)
	}
	return nil
}

// DialectOf returns the dialect of the database dsn names, as [Open]
// reads it: "postgres" or "sqlite". It connects to nothing; an error says
// what is wrong with dsn, its secrets hidden.
func DialectOf(dsn string) (string, error) {
	d, _, name, err := parseDSN(dsn)
	if err != nil {
		return "", fmt.Errorf("store: %s: %w", name, err)
	}
	return d.Name, nil
}

func (db *DB) open(ctx context.Context, cfg config) error {
	if err := db.x.PingContext(ctx); err != nil {
		return pingError(err)
	}
	if cfg.mustExist {
		if err := checkPricefill(ctx, db.x, db.d); err != nil {
			return err
		}
	}
	if cfg.withoutMigrate {
		if err := checkMigrated(ctx, db.x, db.d); err != nil {
			return err
		}
	} else if _, err := migrate(ctx, db.x, db.d, cfg.clock, cfg.schema); err != nil {
		return err
	}
	q, err := newQueue(ctx, db.x, db.d, cfg.clock, !cfg.clockGiven)
	if err != nil {
		return err
	}
	db.Queue = q
	db.stmts = newSaveStatements(db.d)
	db.ledger = newLedgerStatements(db.d)
	db.dbClock = db.d.IsPostgres() && !cfg.clockGiven
	// On SQLite every connection has the staging table (see connector),
	// so the statements that read it can be prepared.
	prepared := append(append(db.stmts.all(), db.d.StagingInserts()...), db.d.PricesInserts()...)
	db.cache, err = sqldialect.NewStmtCache(ctx, db.x, append(prepared, db.ledger.all()...)...)
	return err
}

// Close closes the database's connections; of a store of [OpenDB], only
// its prepared statements, leaving the caller's pool open.
func (db *DB) Close() error {
	err := errors.Join(db.cache.Close(), db.Queue.close())
	if db.ownPool {
		err = errors.Join(err, db.x.Close())
	}
	if err != nil {
		return fmt.Errorf("store: close %s: %w", db.name, err)
	}
	return nil
}

// Dialect returns "postgres" or "sqlite".
func (db *DB) Dialect() string { return db.d.Name }

// String returns the database's DSN with its secrets hidden: the
// password of a URL or of key=value words, and the values of query
// parameters and keywords named like secrets, are [REDACTED].
func (db *DB) String() string { return db.name }

// parseDSN returns the dialect of dsn, the DSN for its driver, and the DSN
// as errors and String may show it, its secrets hidden.
//
//	dsn                                   dialect
//	postgres://… or postgresql://…        PostgreSQL
//	host=… dbname=… (key=value words)     PostgreSQL, never a file (see [redact.IsKeyValue])
//	sqlite:PATH, sqlite://PATH            SQLite
//	any other scheme://…                  refused
//	anything else                         SQLite, a file path
func parseDSN(dsn string) (d *sqldialect.Dialect, driverDSN, name string, err error) {
	name = redact.DSN(dsn)
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		u, err := url.Parse(dsn)
		if err != nil {
			// url.Error quotes the whole URL, password included.
			return nil, "", name, errors.New("not a valid URL")
		}
		if q := u.Query(); !q.Has(idleParam) {
			q.Set(idleParam, strconv.FormatInt(PostgresIdleInTransactionTimeout.Milliseconds(), 10))
			u.RawQuery = q.Encode()
		}
		return sqldialect.Postgres, u.String(), name, nil
	case redact.IsKeyValue(dsn):
		// lib/pq's own errors would quote a part of a value with a
		// space that was not quoted: a password, perhaps.
		if err := redact.CheckKeyValue(dsn); err != nil {
			return nil, "", name, fmt.Errorf("read as PostgreSQL's key=value words, but %w", err)
		}
		if !strings.Contains(dsn, idleParam+"=") {
			dsn += " " + idleParam + "=" + strconv.FormatInt(PostgresIdleInTransactionTimeout.Milliseconds(), 10)
		}
		return sqldialect.Postgres, dsn, name, nil
	case strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "//")
		return sqliteDSN(name, path)
	case strings.Contains(dsn, "://"):
		scheme, _, _ := strings.Cut(dsn, "://")
		return nil, "", name, fmt.Errorf("unknown database scheme %q (want postgres://, postgresql://, key=value words, sqlite: or a file path)", scheme)
	}
	return sqliteDSN(name, dsn)
}

// sqliteDSN returns the SQLite DSN of path, the part of a DSN after
// "sqlite:", with the store's defaults; name is the DSN as shown.
func sqliteDSN(name, path string) (*sqldialect.Dialect, string, string, error) {
	file, query, _ := strings.Cut(path, "?")
	if file == "" {
		return nil, "", name, errors.New("no SQLite file path")
	}
	params, err := url.ParseQuery(query)
	if err != nil {
		return nil, "", name, errors.New("its query parameters do not parse")
	}
	for _, p := range [...]struct{ key, value string }{
		{"_busy_timeout", fmt.Sprint(SQLiteBusyTimeout.Milliseconds())},
		{"_foreign_keys", "on"},
		{"_synchronous", "NORMAL"},
		{"_txlock", "immediate"},
	} {
		if !params.Has(p.key) {
			params.Set(p.key, p.value)
		}
	}
	params.Add("_pragma", "temp_store(MEMORY)")
	// WAL is turned on by sqliteSetup, which retries when another process
	// holds the new file.
	return sqldialect.SQLite, file + "?" + params.Encode(), name, nil
}
