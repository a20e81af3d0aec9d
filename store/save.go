package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/queue"
	"github.com/pricefill/pricefill/store/internal/sqldialect"
)

// saveStatements are the statements of a save, in the dialect's form.
type saveStatements struct {
	upsertAsset, update, insert, track string
	recordHoles, forgetHoles           string
	actions                            actionStatements
	// The direct path's (see [DB.insertDirect]).
	anyStored, forgetHolesOn string
}

func (s saveStatements) all() []string {
	return []string{s.upsertAsset, s.update, s.insert, s.track, s.recordHoles, s.forgetHoles,
		s.actions.dividend, s.actions.split, s.anyStored, s.forgetHolesOn}
}

func newSaveStatements(d *sqldialect.Dialect) saveStatements {
	bars := d.BarsSource(2)   // the bars as relation s; $1 is the asset
	holes := d.HolesSource(2) // the holes as relation h; $1 is the asset
	return saveStatements{
		// DO UPDATE, even when nothing changes, locks the asset's row
		// until commit: saves of one symbol take turns, so their counts
		// are exact however many workers store the same bars.
		upsertAsset: d.Rebind(`INSERT INTO assets (symbol, name, currency, exchange, timezone, created_at, sector)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (symbol) DO UPDATE SET
				name = COALESCE(excluded.name, assets.name),
				currency = COALESCE(excluded.currency, assets.currency),
				exchange = COALESCE(excluded.exchange, assets.exchange),
				timezone = COALESCE(excluded.timezone, assets.timezone),
				sector = COALESCE(excluded.sector, assets.sector)
			RETURNING id`),
		// With force: the stored days whose values differ.
		update: d.Rebind(`UPDATE prices SET open = s.open, high = s.high, low = s.low, close = s.close,
				adj_close = s.adj_close, volume = s.volume, source = s.source
			FROM ` + bars + `
			WHERE prices.asset_id = $1 AND prices.date = s.date
				AND (prices.open <> s.open OR prices.high <> s.high OR prices.low <> s.low
					OR prices.close <> s.close OR prices.adj_close IS DISTINCT FROM s.adj_close
					OR prices.volume <> s.volume)`),
		// The new days. (WHERE true tells SQLite's parser that ON CONFLICT
		// belongs to the INSERT.)
		insert: d.Rebind(`INSERT INTO prices (asset_id, date, open, high, low, close, adj_close, volume, source)
			SELECT CAST($1 AS BIGINT), s.date, s.open, s.high, s.low, s.close, s.adj_close, s.volume, s.source
			FROM ` + bars + ` WHERE true
			ON CONFLICT (asset_id, date) DO NOTHING`),
		track: d.Rebind(`INSERT INTO tracked_assets (asset_id, last_price_update, first_date, last_date)
			VALUES ($1, $2,
				(SELECT min(date) FROM prices WHERE asset_id = $1),
				(SELECT max(date) FROM prices WHERE asset_id = $1))
			ON CONFLICT (asset_id) DO UPDATE SET last_price_update = excluded.last_price_update,
				first_date = excluded.first_date, last_date = excluded.last_date`),
		// A hole of a date recorded already replaces it: the runner
		// counts the asks.
		recordHoles: d.Rebind(`INSERT INTO holes (asset_id, date, reason, detail, asks, last_asked)
			SELECT CAST($1 AS BIGINT), h.date, h.reason, h.detail, h.asks, h.last_asked
			FROM ` + holes + ` WHERE true
			ON CONFLICT (asset_id, date) DO UPDATE SET reason = excluded.reason, detail = excluded.detail,
				asks = excluded.asks, last_asked = excluded.last_asked`),
		// A day served is no longer a hole.
		forgetHoles: d.Rebind(`DELETE FROM holes WHERE asset_id = $1 AND ` + d.InBarDates("date", 2)),
		actions:     newActionStatements(d),
		// Whether the asset has a bar stored from $2 to $3: one probe of
		// the primary key.
		anyStored: d.Rebind(`SELECT EXISTS (SELECT 1 FROM prices WHERE asset_id = $1 AND date BETWEEN $2 AND $3)`),
		// forgetHoles, with the dates as a parameter.
		forgetHolesOn: d.Rebind(`DELETE FROM holes WHERE asset_id = $1 AND ` + d.InDates("date", 2)),
	}
}

// Save stores the bars of req.Series in one transaction: the asset (its
// name, currency, exchange, time zone and sector where given; a value not
// given is kept), the bars of days not stored yet, with
// req.Force the stored days whose values changed, and the asset's
// tracked_assets row (the time of this save and the first and last dates
// stored). [DB.SaveAndComplete] does the same and completes a task of the
// queue in the same transaction.
//
// In the same transaction it stores the dividends and splits of
// req.Series under the source of its bars and the asset's currency, one
// per date and source: an action stored already is replaced (a restated
// amount or ratio), so saving it twice stores it once. A series without
// bars stores no action. See [DB.Dividends] and [DB.Splits].
//
// The store is a [backfill.HoleKeeper]: in the same transaction, Save
// records the holes of req.Holes (a hole of a date recorded already is
// replaced, reason, detail, asks and time last asked as given; of two
// holes of one date in req, the last) and forgets the holes of the symbol
// on the dates of the bars of req.Series, stored now or before: a day
// served is no longer a hole, even when req also gives a hole of it. A
// save with holes and no bars stores the asset too. See [DB.Holes].
//
// Inserted, Updated and Skipped add up to the number of bars: a bar for a
// day stored already with the same values (or without req.Force) is
// skipped, and so is any bar but the last of one day (the rule of
// [pricefill.Series.Dedupe]). Saves of one symbol take turns, so their
// counts are exact under any concurrency.
//
// A bar the schema would refuse (a price not finite and above zero, a
// negative volume, a date not midnight UTC, another symbol) or a hole it
// would (a date not midnight UTC, a reason not one of the four of
// [backfill.HoleReason], asks below 1, no time last asked) fails the whole
// save, and so does the database refusing the data itself: a CHECK or NOT
// NULL constraint, a value it cannot take (PostgreSQL's SQLSTATE class
// 22, SQLite's type mismatches), a trigger's refusal. Those errors match
// [pricefill.ErrPermanent], since the same save would fail the same way,
// and name the constraint, table and column where the database tells
// them; the runner gives the task up at once. Package validate's rules
// keep such bars from a save. Other failures (a lost connection, a lock,
// a unique or foreign key violation, which concern other rows) are
// returned unmarked, to be retried.
func (db *DB) Save(ctx context.Context, req backfill.SaveRequest) (backfill.SaveResult, error) {
	return db.save(ctx, req, nil, 0)
}

// The store completes the tasks of its own queue with their bars.
var _ backfill.TaskCompleter = (*DB)(nil)

// CompletesTasksOf reports whether q is the store's own queue: db, or its
// embedded [Queue]. The runner then saves with [DB.SaveAndComplete].
func (db *DB) CompletesTasksOf(q queue.Queue) bool {
	return q == queue.Queue(db) || q == queue.Queue(db.Queue)
}

// SaveAndComplete stores req as [DB.Save] does and, in the same
// transaction, completes t, a task that the caller claimed from the
// store's queue, with the save's counts and completeness (in percent): a
// crash loses the bars and the completion together, and the task is
// claimed again once its lease expires. When the caller no longer holds
// t's lease (another worker took the task over), it stores nothing and
// returns an error matching [queue.ErrLeaseLost]. A series that names no
// symbol is t's.
func (db *DB) SaveAndComplete(ctx context.Context, req backfill.SaveRequest, t *queue.Task, completeness float64) (backfill.SaveResult, error) {
	if t == nil {
		return backfill.SaveResult{}, errors.New("store: save and complete: no task")
	}
	return db.save(ctx, req, t, completeness)
}

// save is Save, completing t in the same transaction unless t is nil.
func (db *DB) save(ctx context.Context, req backfill.SaveRequest, t *queue.Task, completeness float64) (backfill.SaveResult, error) {
	if req.Series == nil {
		return backfill.SaveResult{}, pricefill.Permanent(errors.New("store: save: no series"))
	}
	a := req.Series.Asset
	if a.Symbol == "" && t != nil {
		a.Symbol = t.Symbol
	}
	if a.Symbol == "" && len(req.Series.Bars) > 0 {
		a.Symbol = req.Series.Bars[0].Symbol
	}
	if a.Symbol == "" {
		return backfill.SaveResult{}, pricefill.Permanent(errors.New("store: save: the series names no symbol"))
	}
	bars, dups, err := checkBars(a.Symbol, req.Series.Bars)
	if err != nil {
		return backfill.SaveResult{}, pricefill.Permanent(fmt.Errorf("store: save %s: %w", a.Symbol, err))
	}
	holes, err := checkHoles(req.Holes)
	if err != nil {
		return backfill.SaveResult{}, pricefill.Permanent(fmt.Errorf("store: save %s: %w", a.Symbol, err))
	}
	if err := checkActions(req.Series); err != nil {
		return backfill.SaveResult{}, pricefill.Permanent(fmt.Errorf("store: save %s: %w", a.Symbol, err))
	}

	var res backfill.SaveResult
	err = inTx(ctx, db.x, func(tx *sqlx.Tx) error {
		res = backfill.SaveResult{Skipped: int64(dups)}
		now := sqldialect.Now(db.clock)
		var assetID int64
		if err := db.cache.QueryRow(ctx, tx, db.stmts.upsertAsset, a.Symbol, orNull(a.Name), orNull(a.Currency),
			orNull(a.Exchange), orNull(a.Timezone), sqldialect.FormatTime(now), orNull(a.Sector)).Scan(&assetID); err != nil {
			return fmt.Errorf("store asset: %w", err)
		}
		if len(holes) > 0 {
			args := append([]any{assetID}, db.d.HolesArgs(holes)...)
			if _, err := db.cache.Exec(ctx, tx, db.stmts.recordHoles, args...); err != nil {
				return fmt.Errorf("record holes: %w", err)
			}
		}
		if len(bars) > 0 {
			if err := db.merge(ctx, tx, assetID, bars, req.Force, &res); err != nil {
				return err
			}
		}
		if err := db.saveActions(ctx, tx, assetID, req.Series); err != nil {
			return err
		}
		if _, err := db.cache.Exec(ctx, tx, db.stmts.track, assetID, sqldialect.FormatTime(now)); err != nil {
			return fmt.Errorf("track asset: %w", err)
		}
		if t == nil {
			return nil
		}
		o := queue.Succeed(queue.Result{Counts: res, Completeness: completeness})
		return db.Queue.finish(ctx, tx, t, o)
	})
	if err != nil {
		return backfill.SaveResult{}, fmt.Errorf("store: save %s: %w", a.Symbol, refusal(err))
	}
	return res, nil
}

// refusal returns err marked permanent, with what the database named,
// when it is the database refusing the data itself: the same statement
// with the same values would be refused again. Any other err is returned
// as it is.
func refusal(err error) error {
	if cause, ok := refusedBy(err); ok {
		return pricefill.Permanent(fmt.Errorf("the database refused the data (%s): %w", cause, err))
	}
	return err
}

// The SQLite result codes that refuse the data itself, by name.
var sqliteRefusals = map[int]string{
	sqlite3.SQLITE_CONSTRAINT_CHECK:    "SQLITE_CONSTRAINT_CHECK",
	sqlite3.SQLITE_CONSTRAINT_NOTNULL:  "SQLITE_CONSTRAINT_NOTNULL",
	sqlite3.SQLITE_CONSTRAINT_DATATYPE: "SQLITE_CONSTRAINT_DATATYPE",
	sqlite3.SQLITE_CONSTRAINT_TRIGGER:  "SQLITE_CONSTRAINT_TRIGGER",
	sqlite3.SQLITE_MISMATCH:            "SQLITE_MISMATCH",
	sqlite3.SQLITE_TOOBIG:              "SQLITE_TOOBIG",
}

// refusedBy reports whether err is the database refusing the data, and
// what refused it: on PostgreSQL a check or not-null violation, a data
// exception (SQLSTATE class 22: a number out of range, a date overflow,
// bad text) or a trigger's RAISE EXCEPTION (P0001), with the SQLSTATE and
// the constraint, table and column the server names; on SQLite a CHECK,
// NOT NULL, STRICT type or trigger constraint, a type mismatch or a value
// too big, by its result code. Unique and foreign key violations are not:
// they depend on other rows, which may change.
func refusedBy(err error) (string, bool) {
	var pe *pq.Error
	if errors.As(err, &pe) {
		switch {
		case pe.Code == pqerror.CheckViolation, pe.Code == pqerror.NotNullViolation,
			pe.Code == pqerror.RaiseException, pe.Code.Class() == "22":
		default:
			return "", false
		}
		parts := []string{fmt.Sprintf("SQLSTATE %s %s", pe.Code, pe.Code.Name())}
		for _, f := range []struct{ name, v string }{{"constraint", pe.Constraint}, {"table", pe.Table}, {"column", pe.Column}} {
			if f.v != "" {
				parts = append(parts, f.name+" "+f.v)
			}
		}
		return strings.Join(parts, ", "), true
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		name, ok := sqliteRefusals[se.Code()]
		if !ok {
			name, ok = sqliteRefusals[se.Code()&0xff]
		}
		return name, ok
	}
	return "", false
}

// merge merges bars into prices, counting what it did into res, and
// deletes the asset's holes on the dates of bars. bars are in date order,
// one a date.
func (db *DB) merge(ctx context.Context, tx *sqlx.Tx, assetID int64, bars []pricefill.Bar, force bool, res *backfill.SaveResult) error {
	if done, err := db.insertDirect(ctx, tx, assetID, bars, force, res); done || err != nil {
		return err
	}
	if err := db.d.LoadBars(ctx, tx, db.cache, bars); err != nil {
		return err
	}
	args := append([]any{assetID}, db.d.BarsArgs(bars)...)
	if force {
		r, err := db.cache.Exec(ctx, tx, db.stmts.update, args...)
		if err != nil {
			return fmt.Errorf("update changed bars: %w", err)
		}
		if res.Updated, err = r.RowsAffected(); err != nil {
			return err
		}
	}
	r, err := db.cache.Exec(ctx, tx, db.stmts.insert, args...)
	if err != nil {
		return fmt.Errorf("insert new bars: %w", err)
	}
	if res.Inserted, err = r.RowsAffected(); err != nil {
		return err
	}
	res.Skipped += int64(len(bars)) - res.Inserted - res.Updated
	if _, err := db.cache.Exec(ctx, tx, db.stmts.forgetHoles, append([]any{assetID}, db.d.BarDatesArgs(args[1:])...)...); err != nil {
		return fmt.Errorf("forget the holes of the days served: %w", err)
	}
	if clear := db.d.ClearStaging(); clear != "" {
		if _, err := tx.ExecContext(ctx, clear); err != nil {
			return fmt.Errorf("clear staging table: %w", err)
		}
	}
	return nil
}

// copySavepoint is the savepoint a COPY into prices runs under.
const copySavepoint = "pricefill_copy_prices"

// insertDirect is merge's direct path, where it applies: it writes bars
// straight into prices, counts them into res, deletes the asset's holes on
// their dates and reports true; or, where it does not apply, does nothing
// and reports false.
//
// On PostgreSQL it applies when the asset has no stored bar from the first
// date of bars to the last (the asset's row, locked by the save's upsert,
// keeps another save from storing one before commit): one COPY writes them
// all. Should a bar be stored there all the same (by a writer that does
// not lock the asset), the COPY fails with a unique violation, is rolled
// back to the savepoint before it and the merge stores bars instead, with
// exact counts. On SQLite it applies to any save without force: multi-row
// INSERTs into prices skip the dates stored already and count the others.
func (db *DB) insertDirect(ctx context.Context, tx *sqlx.Tx, assetID int64, bars []pricefill.Bar, force bool, res *backfill.SaveResult) (bool, error) {
	var inserted int64
	if db.d.IsPostgres() {
		if !db.copyIn {
			return false, nil
		}
		var stored bool
		first, last := sqldialect.FormatDate(bars[0].Date), sqldialect.FormatDate(bars[len(bars)-1].Date)
		if err := db.cache.QueryRow(ctx, tx, db.stmts.anyStored, assetID, first, last).Scan(&stored); err != nil {
			return false, fmt.Errorf("look for stored bars: %w", err)
		}
		if stored {
			return false, nil
		}
		if _, err := tx.ExecContext(ctx, "SAVEPOINT "+copySavepoint); err != nil {
			return false, fmt.Errorf("copy bars: %w", err)
		}
		n, err := sqldialect.CopyPrices(ctx, tx, assetID, bars)
		if pe := (*pq.Error)(nil); errors.As(err, &pe) && pe.Code == pqerror.UniqueViolation {
			if _, err := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT "+copySavepoint); err != nil {
				return false, fmt.Errorf("copy bars: %w", err)
			}
			return false, nil
		}
		if err != nil {
			return false, err
		}
		inserted = n
	} else {
		if force {
			return false, nil
		}
		n, err := db.d.InsertPrices(ctx, tx, db.cache, assetID, bars)
		if err != nil {
			return false, err
		}
		inserted = n
	}
	res.Inserted = inserted
	res.Skipped += int64(len(bars)) - inserted
	if _, err := db.cache.Exec(ctx, tx, db.stmts.forgetHolesOn, assetID, db.d.Dates(bars)); err != nil {
		return false, fmt.Errorf("forget the holes of the days served: %w", err)
	}
	return true, nil
}

// checkBars returns bars with one bar per date, by the rule of
// [pricefill.Series.Dedupe] (the last of a date), and how many it left out,
// or an error naming the first bar the schema would refuse. bars is left as
// it was.
func checkBars(symbol string, bars []pricefill.Bar) ([]pricefill.Bar, int, error) {
	for _, b := range bars {
		if err := checkBar(symbol, b); err != nil {
			return nil, 0, err
		}
	}
	s := pricefill.Series{Bars: bars}
	if s.Ordered() { // as the runner saves them
		return bars, 0, nil
	}
	s.Bars = slices.Clone(bars)
	dups := s.Dedupe()
	return s.Bars, len(dups), nil
}

// checkHoles returns holes with one hole per date, the last given of a
// date, in date order, or an error naming the first hole the schema would
// refuse. holes is left as it was.
func checkHoles(holes []backfill.Hole) ([]backfill.Hole, error) {
	for _, h := range holes {
		if err := checkHole(h); err != nil {
			return nil, err
		}
	}
	ordered := true // as the runner gives them: dates rising, none twice
	for i := 1; i < len(holes) && ordered; i++ {
		ordered = holes[i-1].Date.Before(holes[i].Date)
	}
	if ordered {
		return holes, nil
	}
	out := slices.Clone(holes)
	slices.SortStableFunc(out, func(a, b backfill.Hole) int { return a.Date.Compare(b.Date) })
	// Keep the last of each date: walk back, skipping the earlier ones.
	j := len(out)
	for i := len(out) - 1; i >= 0; i-- {
		if j < len(out) && out[i].Date.Equal(out[j].Date) {
			continue
		}
		j--
		out[j] = out[i]
	}
	return out[j:], nil
}

func checkHole(h backfill.Hole) error {
	day := h.Date.Format(pricefill.DateLayout)
	switch {
	case h.Date.IsZero() || !h.Date.Equal(pricefill.DateOf(h.Date)):
		return fmt.Errorf("hole date %s: want a date at midnight UTC", h.Date)
	case !validReason(h.Reason):
		return fmt.Errorf("hole %s: reason %q: want missing, late, null or invalid", day, h.Reason)
	case h.Asks < 1:
		return fmt.Errorf("hole %s: asks %d: want 1 or more", day, h.Asks)
	case h.LastAsked.IsZero():
		return fmt.Errorf("hole %s: no time it was last asked for", day)
	}
	return nil
}

func validReason(r backfill.HoleReason) bool {
	switch r {
	case backfill.HoleMissing, backfill.HoleLate, backfill.HoleNull, backfill.HoleInvalid:
		return true
	}
	return false
}

func checkBar(symbol string, b pricefill.Bar) error {
	day := b.Date.Format(pricefill.DateLayout)
	switch {
	case b.Symbol != "" && b.Symbol != symbol:
		return fmt.Errorf("bar %s of symbol %s in the series of %s", day, b.Symbol, symbol)
	case b.Date.IsZero() || !b.Date.Equal(pricefill.DateOf(b.Date)):
		return fmt.Errorf("bar date %s: want a date at midnight UTC", b.Date)
	case b.Volume < 0:
		return fmt.Errorf("bar %s: volume %d is negative", day, b.Volume)
	}
	for _, p := range [...]struct {
		name string
		v    float64
	}{{"open", b.Open}, {"high", b.High}, {"low", b.Low}, {"close", b.Close}, {"adj_close", b.AdjClose}} {
		if math.IsNaN(p.v) || math.IsInf(p.v, 0) || p.v < 0 || (p.v == 0 && p.name != "adj_close") {
			return fmt.Errorf("bar %s: %s %v: want a finite price above 0", day, p.name, p.v)
		}
	}
	return nil
}

func orNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// inTx runs fn in a transaction on x, committed when fn returns nil and
// rolled back otherwise.
func inTx(ctx context.Context, x *sqlx.DB, fn func(tx *sqlx.Tx) error) error {
	tx, err := x.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
