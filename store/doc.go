// Package store keeps prices and the work queue in PostgreSQL or in an
// embedded SQLite file.
//
// [Open] takes a DSN, applies the embedded migrations the database has not
// had, and returns a [DB]: the runner's [backfill.Store] and, through the
// embedded [Queue], its durable [queue.Queue]. [OpenDB] does the same over
// a PostgreSQL *sql.DB that the caller owns.
//
//	db, err := store.Open(ctx, "backfill.db") // or "postgres://user:pw@host/db"
//	…
//	defer db.Close()
//	r, err := backfill.New(fetcher, db) // db is the store and the queue
//
// # Schema
//
// The tables are public: other tools read them. Dates are date on
// PostgreSQL and YYYY-MM-DD text on SQLite; times are timestamptz on
// PostgreSQL and RFC 3339 text in UTC with six fractional digits on
// SQLite, so that text order is time order.
//
//	assets            id, symbol UNIQUE, name, currency, exchange, timezone, created_at,
//	                  sector (where known: from a universe, see [DB.PutAssets])
//	prices            asset_id → assets, date, open, high, low, close, adj_close, volume, source
//	                  PRIMARY KEY (asset_id, date); prices > 0 and finite, volume ≥ 0,
//	                  adj_close NULL when the provider gives none
//	tracked_assets    asset_id → assets, last_price_update, first_date, last_date
//	holes             asset_id → assets (ON DELETE CASCADE), date, reason, detail, asks,
//	                  last_asked: the days asked for and not served; PRIMARY KEY (asset_id, date),
//	                  reason one of missing, late, null, invalid, asks ≥ 1
//	backfill_queue    id, asset_id → assets, symbol, start_date, end_date, status, attempts,
//	                  retry_after, last_error, locked_by, locked_until, locked_run,
//	                  records_inserted, records_updated, records_skipped, completeness_pct,
//	                  created_at, updated_at
//	                  UNIQUE (symbol, start_date, end_date): a task's identity
//	backfill_runs     id, worker, started_at, alive_until: the runs going on, their heartbeats
//	backfill_run_tasks run_id → backfill_runs, task_id → backfill_queue: each run's
//	                  unfinished tasks; PRIMARY KEY (run_id, task_id)
//	fetcher_logs      id, ts, level, message, symbol, task_id, attrs (JSON)
//	queue_instance    tag: unused (lease tokens once carried it); kept, since a
//	                  shipped migration is never edited
//	rate_budgets      key PRIMARY KEY, the state of a rate budget (see below), grants_made,
//	                  last_now, updated_at
//	rate_grants       key → rate_budgets, seq, at: one row a grant, numbered per key;
//	                  PRIMARY KEY (key, seq), INDEX (key, at)
//	pricefill_migrations version, name, applied_at
//
// Migrations are numbered SQL files per dialect, each applied in a
// transaction that records it in [MigrationsTable]. Processes that open a
// database at once take turns: on PostgreSQL under an advisory lock, on
// SQLite under the write lock that IMMEDIATE transactions take.
//
// # Fitting into a database
//
// The store shares a database with other tools' tables:
//
//	need                                   how
//	its own PostgreSQL schema              [WithSchema]: every table, the record included, in it;
//	                                       created if missing; each connection's search_path
//	migrations at deploy time              [Migrate] (or [MigrateDB]), then Open [WithoutMigrating],
//	                                       which checks the version ([ErrSchemaOlder], [ErrSchemaNewer])
//	a pool the service owns (lib/pq, pgx)  [OpenDB]; Close leaves the pool open
//	names and sectors of a universe        [DB.PutAssets]
//
// The migration record is pricefill_migrations, never schema_migrations,
// which golang-migrate and others use: a schema_migrations that an older
// pricefill wrote (its columns version, name, applied_at and only its
// migrations' rows) is moved into pricefill_migrations and dropped in the
// first migration's transaction; any other is left as it is.
//
// # Saving
//
// [DB.Save] stores one symbol's bars in one transaction: the asset, the
// new days (with force, also the days whose values changed) and the
// asset's tracked_assets row. [DB.SaveAndComplete] adds to the same
// transaction the completion of a task claimed from the store's queue: a
// DB is a [backfill.TaskCompleter], so a runner whose queue is the store's
// saves that way. Where nothing can be merged the bars go straight into
// prices: on PostgreSQL one COPY when the asset has no stored bar between
// the first and the last date of the save (a unique violation there, from
// a writer that does not lock the asset, rolls back to a savepoint and
// the merge runs instead); on SQLite, without force, prepared multi-row
// INSERTs into prices that skip the dates stored already. Otherwise the
// bars reach SQL as one relation (on PostgreSQL eight array parameters of
// one statement, unnested; on SQLite a temporary table that prepared
// multi-row INSERTs fill) and go into prices with INSERT … ON CONFLICT DO
// NOTHING. Either way saving is idempotent and its counts exact; with
// force, an UPDATE first replaces the stored days whose values differ. A crash before the commit loses the bars and the completion
// together, so the task is claimed again once its lease expires
// and stores them then.
//
// # Holes
//
// A DB is a [backfill.HoleKeeper]: the same transaction records the holes
// of the save (the trading days the provider did not serve with a valid
// bar, as the runner found them: one statement for all, a hole of a date
// recorded already replaced) and deletes the symbol's holes on the dates
// of its bars, since a day served is no longer a hole. [DB.Holes] reads
// them back for the runner's back-off, and [DB.HoleCounts] counts them by
// reason for a status view.
//
// # Concurrency
//
// A [DB] is safe for concurrent use. On PostgreSQL, any number of
// processes can share the database: claims skip the tasks that others
// lock, and saves of one symbol take turns on its assets row. An SQLite
// database uses one connection per [DB], so the writes of one process
// queue in turn, and several processes wait for each other's write lock
// up to [SQLiteBusyTimeout].
//
// # Shared budget
//
// [DB.Ledger] keeps the budgets of package ratelimit's limiters, so that
// every process that opens the database draws on one budget per name
// ("yahoo", "stooq"…), across restarts: one minimum interval, one rolling
// hour and day, one cool-down, one adaptive pace, one outage breaker.
//
//	limiter, err := ratelimit.New(ratelimit.WithLedger(db.Ledger()), ratelimit.WithName("yahoo"), …)
//
// A row of rate_budgets holds a budget's [ratelimit.State], a column a
// field (last_grant, cool_until, refusals, pace, ceiling, hold_until,
// hold_reason, outage_since, outage_cause, next_probe, probes, streak,
// streak_unreachable, streak_symbols: the symbols separated by spaces;
// NULL for a time or a text that is none), the time of its latest update
// (last_now) and of the latest that changed it (updated_at). rate_grants
// holds a row per grant; the rolling windows count them. Each update is
// one transaction that first locks the budget's row (creating it), so
// updates of one budget take turns, in any number of processes.
//
// On PostgreSQL the database's clock decides the time of an update, read
// once the row is locked, so that machines whose clocks disagree keep one
// schedule; a store opened with [WithClock], and an SQLite store, use the
// store's clock. The time of an update is never before that of an earlier
// one of the same budget. Grants are kept a day ([LedgerGrantsKept]),
// whatever the limits of the limiter that made them, since limiters of
// other processes may have a daily limit.
//
// # Logging
//
// [DB.NewLogHandler] returns a [log/slog] handler that writes records to
// fetcher_logs in batches, never blocking the caller; join it with a
// console handler through [slog.NewMultiHandler].
//
// # Reading
//
// [DB.StoredDates] tells the runner which days a symbol has, so it fetches
// only the missing ones, and [DB.Holes] which of those not to ask for
// again yet; [DB.Bars], [DB.Asset] and [DB.Tracked] read back
// what was stored; [DB.AllBars] streams the bars of many symbols, by
// symbol then date, for an export (package export writes them to CSV or
// Parquet); [DB.Coverage] says per symbol what is stored, with its
// completeness by a calendar; [Queue.Counts], [Queue.OldestWaiting], [Queue.LastErrors]
// and [Queue.Runs] summarize the queue for a status view.
//
// # Retention
//
// [DB.Retain] deletes the history older than a given age: the tasks that
// ended (and the runs that died) longer ago, and the records of
// fetcher_logs. Prices, holes, assets and budgets are kept. examples/cli calls it
// after each run (--keep, 90 days by default).
package store
