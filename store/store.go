package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // the "postgres" driver

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/internal/sqldialect"
	"github.com/pricefill/pricefill/queue"
)

// The store is both halves of the runner's durable state.
var (
	_ backfill.Store = (*DB)(nil)
	_ backfill.Queue = (*DB)(nil)
	_ backfill.Queue = (*queue.SQL)(nil)
)

// MaxOpenConnsDefault is the size of a PostgreSQL connection pool unless
// [WithMaxOpenConns] says otherwise.
const MaxOpenConnsDefault = 10

// SQLiteBusyTimeout is how long an SQLite write waits for another process
// that holds the database's write lock before it fails.
const SQLiteBusyTimeout = 10 * time.Second

// An Option configures [Open].
type Option func(*config)

type config struct {
	clock        pricefill.Clock
	clockGiven   bool // WithClock gave a clock, which the ledger then reads too
	maxOpenConns int
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
func WithMaxOpenConns(n int) Option {
	return func(cfg *config) { cfg.maxOpenConns = n }
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
	return cfg, nil
}

// DB is a PostgreSQL or SQLite database holding prices and the work
// queue. It is the runner's [backfill.Store] and, through the embedded
// [queue.SQL], its durable [backfill.Queue]; [DB.Save] completes a task
// of that queue in the transaction that stores the task's bars, and
// [DB.Ledger] keeps the rate limiters' shared budgets in it. It is safe
// for concurrent use, by many goroutines and, on PostgreSQL, by many
// processes at once.
type DB struct {
	*queue.SQL

	x     *sqlx.DB
	d     *sqldialect.Dialect
	clock pricefill.Clock
	name  string // the DSN, its password redacted
	stmts saveStatements
	// ledger holds the statements of the shared budget; dbClock says
	// whether its time is the database's clock.
	ledger  ledgerStatements
	dbClock bool
	cache   *sqldialect.StmtCache // stmts and ledger, prepared
}

// Open opens the database that dsn names, applies the migrations it has not
// had yet, and returns it. dsn is either a PostgreSQL URL
// (postgres://user:password@host:port/db?sslmode=disable, or
// postgresql://…), or an SQLite database: a file path, optionally prefixed
// with "sqlite:", created when missing.
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
// Errors name the database with its password redacted.
func Open(ctx context.Context, dsn string, opts ...Option) (*DB, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	d, driverDSN, name, err := parseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", name, err)
	}
	var setup func(context.Context, driver.Conn) error
	if !d.IsPostgres() {
		_, query, _ := strings.Cut(driverDSN, "?")
		params, _ := url.ParseQuery(query)
		setup = sqliteSetup(!params.Has("_journal_mode") && !params.Has("_journal"), d.CreateStaging(), SQLiteBusyTimeout)
	}
	conn, err := newConnector(d.Driver, driverDSN, setup)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", name, redact(err, dsn))
	}
	x := sqlx.NewDb(sql.OpenDB(conn), d.Driver)
	db := &DB{x: x, d: d, clock: cfg.clock, name: name}
	if d.IsPostgres() {
		x.SetMaxOpenConns(cfg.maxOpenConns)
		x.SetMaxIdleConns(cfg.maxOpenConns)
	} else {
		// One connection: the write lock is taken in turn, in process.
		x.SetMaxOpenConns(1)
		x.SetMaxIdleConns(1)
	}
	if err := db.open(ctx, cfg); err != nil {
		_ = x.Close()
		return nil, fmt.Errorf("store: open %s: %w", name, redact(err, dsn))
	}
	return db, nil
}

func (db *DB) open(ctx context.Context, cfg config) error {
	if err := db.x.PingContext(ctx); err != nil {
		return err
	}
	if _, err := migrate(ctx, db.x, db.d, cfg.clock); err != nil {
		return err
	}
	qclock := queue.WithDatabaseClock(cfg.clock) // on PostgreSQL
	if cfg.clockGiven {
		qclock = queue.WithClock(cfg.clock)
	}
	q, err := queue.NewSQL(ctx, db.x, qclock)
	if err != nil {
		return err
	}
	db.SQL = q
	db.stmts = newSaveStatements(db.d)
	db.ledger = newLedgerStatements(db.d)
	db.dbClock = db.d.IsPostgres() && !cfg.clockGiven
	// On SQLite every connection has the staging table (see connector),
	// so the statements that read it can be prepared.
	prepared := append(db.stmts.all(), db.d.StagingInserts()...)
	db.cache, err = sqldialect.NewStmtCache(ctx, db.x, append(prepared, db.ledger.all()...)...)
	return err
}

// Close closes the database's connections.
func (db *DB) Close() error {
	err := errors.Join(db.cache.Close(), db.SQL.Close(), db.x.Close())
	if err != nil {
		return fmt.Errorf("store: close %s: %w", db.name, err)
	}
	return nil
}

// Dialect returns "postgres" or "sqlite".
func (db *DB) Dialect() string { return db.d.Name }

// String returns the database's DSN with its password redacted.
func (db *DB) String() string { return db.name }

// parseDSN returns the dialect of dsn, the DSN for its driver, and the DSN
// as errors may show it.
func parseDSN(dsn string) (d *sqldialect.Dialect, driverDSN, name string, err error) {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		u, err := url.Parse(dsn)
		if err != nil {
			// url.Error quotes the whole URL, password included.
			return nil, "", redactedUnparsable(dsn), errors.New("not a valid URL")
		}
		return sqldialect.Postgres, dsn, u.Redacted(), nil
	case strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "//")
		return sqliteDSN(dsn, path)
	case strings.Contains(dsn, "://"):
		scheme, _, _ := strings.Cut(dsn, "://")
		return nil, "", redactedUnparsable(dsn), fmt.Errorf("unknown database scheme %q (want postgres://, postgresql://, sqlite: or a file path)", scheme)
	}
	return sqliteDSN(dsn, dsn)
}

func sqliteDSN(dsn, path string) (*sqldialect.Dialect, string, string, error) {
	file, query, _ := strings.Cut(path, "?")
	if file == "" {
		return nil, "", dsn, errors.New("no SQLite file path")
	}
	params, err := url.ParseQuery(query)
	if err != nil {
		return nil, "", dsn, fmt.Errorf("query parameters: %w", err)
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
	return sqldialect.SQLite, file + "?" + params.Encode(), dsn, nil
}

// redactedUnparsable hides the password of a DSN that is no valid URL:
// what lies between the user's name and the last "@", as url.URL.Redacted
// does for a valid one.
func redactedUnparsable(dsn string) string {
	scheme, rest, ok := strings.Cut(dsn, "://")
	if !ok {
		return dsn
	}
	at := strings.LastIndexByte(rest, '@')
	if at < 0 {
		return dsn
	}
	user, _, hasPassword := strings.Cut(rest[:at], ":")
	if !hasPassword {
		return dsn
	}
	return scheme + "://" + user + ":xxxxx" + rest[at:]
}

// redact keeps the password of dsn out of err's text.
func redact(err error, dsn string) error {
	u, perr := url.Parse(dsn)
	if perr != nil || u.User == nil {
		return err
	}
	pw, ok := u.User.Password()
	if !ok || pw == "" || !strings.Contains(err.Error(), pw) {
		return err
	}
	return &redactedError{err: err, secret: pw}
}

type redactedError struct {
	err    error
	secret string
}

func (e *redactedError) Error() string {
	return strings.ReplaceAll(e.err.Error(), e.secret, "xxxxx")
}

func (e *redactedError) Unwrap() error { return e.err }
