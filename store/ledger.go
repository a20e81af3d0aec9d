package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/jmoiron/sqlx"

	"github.com/pricefill/pricefill/ratelimit"
	"github.com/pricefill/pricefill/store/internal/sqldialect"
)

var _ ratelimit.Ledger = (*ledger)(nil)

// LedgerGrantsKept is how long the shared budget of [DB.Ledger] keeps a grant
// at least, whatever the limiter that made it asks: the limiters of other
// processes may have a daily limit.
const LedgerGrantsKept = 24 * time.Hour

// stateColumns are the columns of rate_budgets that hold a
// [ratelimit.State], in the order of stateArgs and scanBudget.
const stateColumns = `last_grant, cool_until, refusals, pace, ceiling, hold_until, hold_reason,
	outage_since, outage_cause, next_probe, probes, streak, streak_unreachable, streak_symbols, refusing_since`

// ledgerStatements are the statements of the shared budget, in the
// dialect's form.
type ledgerStatements struct {
	lock, nth, grants string
	// write ends an update that changed the state or added grants: it
	// writes the state and grants_made, and on PostgreSQL it also inserts
	// the new grants and deletes the old ones, in one round trip. SQLite
	// has no data-modifying WITH: there addGrant and forget do those
	// first, in process; on PostgreSQL they are "".
	write, addGrant, forget string
}

func (s ledgerStatements) all() []string {
	qs := []string{s.lock, s.nth, s.grants, s.write}
	if s.addGrant != "" {
		qs = append(qs, s.addGrant, s.forget)
	}
	return qs
}

func newLedgerStatements(d *sqldialect.Dialect) ledgerStatements {
	// $2 is the store's clock, or NULL for the database's (PostgreSQL).
	now := d.TimeOrClock(2)
	// $1 is the key, $2…$16 the state, $17 the new grants_made and $18 the
	// time of the update when it changed the state, or NULL to keep
	// updated_at.
	update := `UPDATE rate_budgets SET last_grant = $2, cool_until = $3, refusals = $4, pace = $5,
				ceiling = $6, hold_until = $7, hold_reason = $8, outage_since = $9, outage_cause = $10,
				next_probe = $11, probes = $12, streak = $13, streak_unreachable = $14, streak_symbols = $15,
				refusing_since = $16, grants_made = $17, updated_at = coalesce($18, updated_at)
			WHERE key = $1`
	s := ledgerStatements{
		// The first statement of an update: it creates the budget's row
		// if missing, locks it until commit (on PostgreSQL DO UPDATE waits
		// for the transaction that holds it; on SQLite the transaction
		// holds the write lock already), moves last_now on to the update's
		// time, never back, and returns the state, that time and the
		// number of grants made. DO UPDATE's SET is evaluated once the row
		// is locked, so the database's clock is read after the previous
		// holder committed.
		lock: d.Rebind(`INSERT INTO rate_budgets (key, last_now, updated_at) VALUES ($1, ` + now + `, ` + now + `)
			ON CONFLICT (key) DO UPDATE SET last_now = CASE
				WHEN rate_budgets.last_now >= ` + now + ` THEN rate_budgets.last_now ELSE ` + now + ` END
			RETURNING ` + stateColumns + `, last_now, grants_made`),
		// Under READ COMMITTED each statement after the lock sees every
		// grant that the previous holders committed.
		nth:    d.Rebind(`SELECT at FROM rate_grants WHERE key = $1 AND seq = $2`),
		grants: d.Rebind(`SELECT at FROM rate_grants WHERE key = $1 AND at > $2 ORDER BY at`),
	}
	if d.IsPostgres() {
		// $19 is grants_made as the lock read it, $20 the time of the
		// update and $21 the time at or before which grants are deleted,
		// or NULL to delete none. The sub-statements see the table as it
		// was before the statement: the deletion never sees the grants
		// inserted.
		s.write = `WITH added AS (
				INSERT INTO rate_grants (key, seq, at)
				SELECT $1::text, s.seq, $20::timestamptz FROM generate_series($19::bigint + 1, $17::bigint) AS s (seq)
			), forgotten AS (
				DELETE FROM rate_grants WHERE key = $1 AND at <= $21::timestamptz
			)
			` + update
		return s
	}
	s.write = d.Rebind(update)
	s.addGrant = d.Rebind(`INSERT INTO rate_grants (key, seq, at) VALUES ($1, $2, $3)`)
	s.forget = d.Rebind(`DELETE FROM rate_grants WHERE key = $1 AND at <= $2`)
	return s
}

// Ledger returns the budgets of package ratelimit's limiters kept in db,
// for [ratelimit.WithLedger]: the limiters of one name draw on one budget
// in every process that opens the database, and across restarts. The
// state of a budget is a row of rate_budgets and its grants are rows of
// rate_grants (see the package documentation).
//
// Each Update is one transaction. It first locks the budget's row,
// creating it when missing, so that the updates of one key take turns,
// whichever process makes them; then fn runs, and the grants it adds are
// held in memory, where its Nth and Grants count them too; then, if fn
// changed the state or added grants, one statement writes the state and
// the grants and deletes the budget's old grants when it adds some (on
// SQLite, which has no data-modifying WITH, a statement each, in
// process), and the transaction commits. When fn returns an error, the
// transaction is rolled back and Update returns that error. fn runs once:
// Update does not retry.
//
// The grants of a budget are numbered in the order they were made
// (rate_budgets.grants_made is the number of the latest), so that
// Entry.Nth looks one up by its number, or answers without a query when
// fewer were ever made, instead of counting through the window. On
// PostgreSQL a grant of a limiter with an hourly limit costs five round
// trips (BEGIN, the lock, the hour's Nth, the write, COMMIT), one more
// with a daily limit too; an update that changes nothing costs three
// (BEGIN, the lock, COMMIT), and four when it changes the state.
//
// The time of an update (Entry.Now) is, on PostgreSQL, the database's
// clock, read once the row is locked, so that machines whose clocks
// disagree keep one schedule; with [WithClock], and always on SQLite, it
// is the store's clock. Either way it is in microseconds and never before
// the time of an earlier update of the same key. Grants are kept for
// [LedgerGrantsKept] at least, whatever AddGrant's keep says (longer when it
// says more): an update that adds grants deletes the budget's older ones.
//
// The ledger is safe for concurrent use and lasts until db is closed.
func (db *DB) Ledger() ratelimit.Ledger { return &ledger{db: db} }

// ledger is the [ratelimit.Ledger] of a DB. Its errors begin "store: rate
// budget:", without the key, which the limiters' own errors name.
type ledger struct{ db *DB }

// Update runs fn on the budget of key in one transaction.
func (l *ledger) Update(ctx context.Context, key string, fn func(ratelimit.Entry) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var opts *sql.TxOptions
	if l.db.d.IsPostgres() {
		// Statements after the lock must see what the previous holder
		// committed, whatever the server's default isolation.
		opts = &sql.TxOptions{Isolation: sql.LevelReadCommitted}
	}
	tx, err := l.db.x.BeginTxx(ctx, opts)
	if err != nil {
		return fmt.Errorf("store: rate budget: begin: %w", err)
	}
	// Rolls back unless committed, even when fn panics: on SQLite the
	// transaction holds the store's one connection.
	defer func() { _ = tx.Rollback() }()
	e, err := l.lock(ctx, tx, key)
	if err != nil {
		return err
	}
	if err := fn(e); err != nil {
		return err
	}
	if err := e.write(); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: rate budget: commit: %w", err)
	}
	return nil
}

// lock locks the row of key in tx, creating it when missing, and returns
// its entry.
func (l *ledger) lock(ctx context.Context, tx *sqlx.Tx, key string) (*ledgerEntry, error) {
	var now any // NULL: the database's clock
	if !l.db.dbClock {
		now = sqldialect.FormatTime(sqldialect.Now(l.db.clock))
	}
	e := &ledgerEntry{ctx: ctx, tx: tx, db: l.db, key: key}
	var err error
	e.state, e.now, e.made, err = scanBudget(l.db.cache.QueryRow(ctx, tx, l.db.ledger.lock, key, now))
	if err != nil {
		return nil, fmt.Errorf("store: rate budget: lock the row: %w", err)
	}
	if e.read, err = stateArgs(&e.state); err != nil {
		return nil, fmt.Errorf("store: rate budget: the state read: %w", err)
	}
	return e, nil
}

// ledgerEntry is the [ratelimit.Entry] of an update, valid until the
// update's fn returns.
type ledgerEntry struct {
	ctx   context.Context
	tx    *sqlx.Tx
	db    *DB
	key   string
	now   time.Time
	state ratelimit.State
	read  []any // the state as read, in the form of stateArgs
	made  int64 // grants_made as read: the number of the latest grant stored

	added int           // the grants AddGrant made, numbered made+1 … made+added at commit
	keep  time.Duration // the longest keep it was given
}

func (e *ledgerEntry) Now() time.Time          { return e.now }
func (e *ledgerEntry) State() *ratelimit.State { return &e.state }

// Nth looks up the n-th latest grant by its number. The grants of a
// budget are numbered under the lock of its row, in the order they are
// made, each at the time of its update, and that time never runs back for
// a key (last_now): so the n-th latest by number is the n-th latest in
// time, and when it is not after since, fewer than n grants are.
func (e *ledgerEntry) Nth(since time.Time, n int) (time.Time, bool, error) {
	if n < 1 {
		return time.Time{}, false, nil
	}
	seq := e.made + int64(e.added) - int64(n) + 1
	switch {
	case seq < 1: // fewer than n grants were ever made
		return time.Time{}, false, nil
	case seq > e.made: // one of this update's
		return e.now, e.now.After(since), nil
	}
	var at sqldialect.Time
	err := e.db.cache.QueryRow(e.ctx, e.tx, e.db.ledger.nth, e.key, seq).Scan(&at)
	switch {
	case errors.Is(err, sql.ErrNoRows): // deleted, with the grants older than those kept
		return time.Time{}, false, nil
	case err != nil:
		return time.Time{}, false, fmt.Errorf("store: rate budget: grant %d after %s: %w", n, since, err)
	}
	return at.Time, at.After(since), nil
}

func (e *ledgerEntry) Grants(since time.Time) ([]time.Time, error) {
	rows, err := e.db.cache.QueryTx(e.ctx, e.tx, e.db.ledger.grants, e.key, sinceArg(since))
	out, err := scanAll(rows, err, fmt.Sprintf("store: rate budget: grants after %s", since), func(rows *sqlx.Rows) (time.Time, error) {
		var at sqldialect.Time
		err := rows.Scan(&at)
		return at.Time, err
	})
	if err != nil {
		return nil, err
	}
	if e.now.After(since) {
		for range e.added {
			out = append(out, e.now)
		}
	}
	return out, nil
}

// AddGrant counts a grant, which write stores.
func (e *ledgerEntry) AddGrant(keep time.Duration) error {
	e.added++
	e.keep = max(e.keep, keep)
	return nil
}

// write writes what fn left, if anything: the state if fn changed it, and
// the grants it added, deleting the grants no limiter looks back to.
func (e *ledgerEntry) write() error {
	args, err := stateArgs(&e.state)
	if err != nil {
		return fmt.Errorf("store: rate budget: %w", err)
	}
	changed := !slices.Equal(args, e.read)
	if !changed && e.added == 0 {
		return nil
	}
	var updatedAt, cut any // NULL: keep updated_at; delete no grant
	if changed {
		updatedAt = sqldialect.FormatTime(e.now)
	}
	if e.added > 0 {
		cut = sqldialect.FormatTime(e.now.Add(-max(e.keep, LedgerGrantsKept)))
	}
	made := e.made + int64(e.added)
	args = append(append([]any{e.key}, args...), made, updatedAt)
	if e.db.d.IsPostgres() {
		args = append(args, e.made, sqldialect.FormatTime(e.now), cut)
	} else if e.added > 0 {
		if _, err := e.db.cache.Exec(e.ctx, e.tx, e.db.ledger.forget, e.key, cut); err != nil {
			return fmt.Errorf("store: rate budget: forget old grants: %w", err)
		}
		for seq := e.made + 1; seq <= made; seq++ {
			if _, err := e.db.cache.Exec(e.ctx, e.tx, e.db.ledger.addGrant, e.key, seq, sqldialect.FormatTime(e.now)); err != nil {
				return fmt.Errorf("store: rate budget: record grant %d: %w", seq, err)
			}
		}
	}
	if _, err := e.db.cache.Exec(e.ctx, e.tx, e.db.ledger.write, args...); err != nil {
		return fmt.Errorf("store: rate budget: write: %w", err)
	}
	return nil
}

// stateArgs returns s as the parameters of the columns of stateColumns:
// zero times and empty texts are NULL, the symbols one text separated by
// spaces. It fails on a symbol that this text cannot hold.
func stateArgs(s *ratelimit.State) ([]any, error) {
	for _, sym := range s.StreakSymbols {
		if sym == "" || strings.ContainsFunc(sym, unicode.IsSpace) {
			return nil, fmt.Errorf("symbol %q of the streak: want a symbol without spaces", sym)
		}
	}
	t := sqldialect.FormatTime
	return []any{
		t(s.LastGrant), t(s.CoolUntil), s.Refusals, s.Pace, s.Ceiling, t(s.HoldUntil), orNull(s.HoldReason),
		t(s.OutageSince), orNull(s.OutageCause), t(s.NextProbe), s.Probes, s.Streak, s.StreakUnreachable,
		orNull(strings.Join(s.StreakSymbols, " ")), t(s.RefusingSince),
	}, nil
}

// scanBudget reads the columns of stateColumns, last_now and grants_made.
func scanBudget(row *sqlx.Row) (ratelimit.State, time.Time, int64, error) {
	var (
		s                                                       ratelimit.State
		lastGrant, coolUntil, holdUntil, outageSince, nextProbe sqldialect.Time
		refusingSince                                           sqldialect.Time
		holdReason, outageCause, symbols                        sql.NullString
		lastNow                                                 sqldialect.Time
		made                                                    int64
	)
	err := row.Scan(&lastGrant, &coolUntil, &s.Refusals, &s.Pace, &s.Ceiling, &holdUntil, &holdReason,
		&outageSince, &outageCause, &nextProbe, &s.Probes, &s.Streak, &s.StreakUnreachable, &symbols, &refusingSince, &lastNow, &made)
	if err != nil {
		return s, time.Time{}, 0, err
	}
	s.LastGrant, s.CoolUntil, s.HoldUntil = lastGrant.Time, coolUntil.Time, holdUntil.Time
	s.OutageSince, s.NextProbe, s.RefusingSince = outageSince.Time, nextProbe.Time, refusingSince.Time
	s.HoldReason, s.OutageCause = holdReason.String, outageCause.String
	if symbols.String != "" {
		s.StreakSymbols = strings.Fields(symbols.String)
	}
	return s, lastNow.Time, made, nil
}

// sinceArg returns since as the parameter of "at > since": truncated to
// microseconds, which keeps the comparison exact for stored times, and no
// earlier than year 1, which both databases read.
func sinceArg(since time.Time) string {
	if since.Before(time.Time{}) {
		since = time.Time{}
	}
	return sqldialect.Trunc(since).Format(sqldialect.TimeLayout)
}
