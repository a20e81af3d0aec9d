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
	_ "github.com/lib/pq" // the "postgres" driver

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
		return nil, fmt.Errorf("store: open %s: %w", name, redact.New(redact.DSNSecrets(dsn)...).Error(err))
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
		return nil, fmt.Errorf("store: open %s: %w", name, redact.New(redact.DSNSecrets(dsn)...).Error(err))
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
	prepared := append(db.stmts.all(), db.d.StagingInserts()...)
	db.cache, err = sqldialect.NewStmtCache(ctx, db.x, append(prepared, db.ledger.all()...)...)
	return err
}

// Close closes the database's connections.
func (db *DB) Close() error {
	err := errors.Join(db.cache.Close(), db.Queue.close(), db.x.Close())
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
