package queue

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/internal/sqldialect"
)

// SQL is the queue kept in the backfill_queue table of a PostgreSQL or
// SQLite database, as package store creates it: durable, and shared by
// every process that opens the database. It behaves as [Memory] does, and
// passes the same conformance suite.
//
// On PostgreSQL a claim is one statement that locks the task it takes with
// FOR UPDATE SKIP LOCKED, so workers of many processes claim different
// tasks without waiting on each other; on SQLite, which has one writer at a
// time, the claim is the same statement without the lock clause. A claim's
// lease token (LockedBy) is the worker's name, this database's queue tag
// and a random number; Extend and Finish change a task only where its
// status is in_progress and its locked_by is still their token, so a
// worker fenced off by a later claim changes nothing and gets
// [ErrLeaseLost].
//
// A task's identity is its symbol, start date and end date, a UNIQUE
// constraint of the table. SQL is safe for concurrent use.
type SQL struct {
	db    *sqlx.DB
	d     *sqldialect.Dialect
	clock pricefill.Clock
	tag   string
	stmts *sqldialect.StmtCache

	claimSQL, extendSQL, finishSQL, summarizeSQL, getSQL string
	enqueueSQL                                           [4]string
}

// NewSQL returns the queue kept in db, a database that store.Open has
// migrated: db's driver must be "postgres" (lib/pq) or "sqlite"
// (modernc.org/sqlite). The queue's time is read from the clock of
// [WithClock].
func NewSQL(ctx context.Context, db *sqlx.DB, opts ...Option) (*SQL, error) {
	d, err := sqldialect.ForDriver(db.DriverName())
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	cfg := newConfig(opts)
	q := &SQL{db: db, d: d, clock: cfg.clock}
	if err := db.QueryRowxContext(ctx, "SELECT tag FROM queue_instance").Scan(&q.tag); err != nil {
		return nil, fmt.Errorf("queue: read the queue's tag from table queue_instance (is the database migrated? store.Open does it): %w", err)
	}
	q.prepare()
	prepared := append(q.enqueueSQL[:], q.extendSQL, q.finishSQL, q.summarizeSQL, q.getSQL)
	if !d.IsPostgres() {
		// The claim is prepared on SQLite only. On PostgreSQL, the generic
		// plan that a prepared claim comes to probes the index once for
		// each of the IDs, where a plan for the IDs at hand walks the open
		// tasks in order and stops at the first (measured: twice the
		// claims per second unprepared).
		prepared = append(prepared, q.claimSQL)
	}
	q.stmts, err = sqldialect.NewStmtCache(ctx, db, prepared...)
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	return q, nil
}

// taskColumns are the columns of a Task, in the order scanTask reads them.
const taskColumns = `id, symbol, start_date, end_date, status, attempts, retry_after, last_error,
	locked_by, locked_until, records_inserted, records_updated, records_skipped, completeness_pct,
	created_at, updated_at`

const waitingStatuses = `('pending', 'failed', 'rate_limited')`

func (q *SQL) prepare() {
	r := q.d.Rebind
	q.enqueueSQL = [4]string{
		r(`SELECT id, status FROM backfill_queue WHERE symbol = $1 AND start_date = $2 AND end_date = $3`),
		// The status is checked again: it may have changed since it was read.
		r(`UPDATE backfill_queue SET status = 'pending', attempts = 0, retry_after = NULL, last_error = NULL,
				locked_by = NULL, locked_until = NULL, records_inserted = 0, records_updated = 0,
				records_skipped = 0, completeness_pct = 0, updated_at = $2
			WHERE id = $1 AND (status = 'permanently_failed' OR (status = 'completed' AND $3 = 1))`),
		r(`INSERT INTO assets (symbol, created_at) VALUES ($1, $2) ON CONFLICT (symbol) DO NOTHING`),
		r(`INSERT INTO backfill_queue (asset_id, symbol, start_date, end_date, status, created_at, updated_at)
			VALUES ((SELECT id FROM assets WHERE symbol = $1), $1, $2, $3, 'pending', $4, $4)
			ON CONFLICT (symbol, start_date, end_date) DO NOTHING
			RETURNING id`),
	}
	// Claimable: waiting and due, or in progress with an expired lease.
	// The sub-select takes the first such task in ID order and, on
	// PostgreSQL, locks it, skipping tasks that other claims hold.
	q.claimSQL = r(`UPDATE backfill_queue SET status = 'in_progress', locked_by = $1, locked_until = $2, updated_at = $3
		WHERE id = (
			SELECT id FROM backfill_queue
			WHERE ` + q.d.InIDs("id", 4) + `
				AND status IN ('pending', 'failed', 'rate_limited', 'in_progress') -- backfill_queue_open_idx
				AND ((status IN ` + waitingStatuses + ` AND (retry_after IS NULL OR retry_after <= $3))
					OR (status = 'in_progress' AND locked_until <= $3))
			ORDER BY id
			LIMIT 1
			` + q.d.SkipLocked() + `
		)
		RETURNING ` + taskColumns)
	q.extendSQL = r(`UPDATE backfill_queue SET locked_until = $3, updated_at = $4
		WHERE id = $1 AND status = 'in_progress' AND locked_by = $2`)
	q.finishSQL = r(`UPDATE backfill_queue SET status = $3, attempts = attempts + $4, retry_after = $5,
			last_error = coalesce($6, last_error),
			records_inserted = $7, records_updated = $8, records_skipped = $9, completeness_pct = $10,
			locked_by = NULL, locked_until = NULL, updated_at = $11
		WHERE id = $1 AND status = 'in_progress' AND locked_by = $2`)
	q.summarizeSQL = r(`SELECT status, count(*), min(CASE
			WHEN status IN ` + waitingStatuses + ` AND retry_after > $1 THEN retry_after
			WHEN status = 'in_progress' AND locked_until > $1 THEN locked_until
		END)
		FROM backfill_queue WHERE ` + q.d.InIDs("id", 2) + `
		GROUP BY status`)
	q.getSQL = r(`SELECT ` + taskColumns + ` FROM backfill_queue WHERE id = $1`)
}

// Enqueue adds a pending task for every spec not queued yet and returns the
// IDs of the specs' tasks, new or old, in order; the same spec twice gets
// one task. An existing task keeps its state, except that a
// permanently_failed one is reset to pending with no attempts and, with
// opts.Force, so is a completed one. A spec's symbol becomes a row of
// assets if it is not one yet. Enqueue is one transaction.
func (q *SQL) Enqueue(ctx context.Context, specs []Spec, opts EnqueueOptions) (ids []int64, err error) {
	for _, s := range specs {
		if err := s.Range.Validate(); err != nil {
			return nil, fmt.Errorf("queue: enqueue %s: %w", s.Symbol, err)
		}
	}
	// Take each spec once, in the order of its key, so that two processes
	// enqueueing the same specs lock the same rows in the same order.
	unique := slices.Clone(specs)
	slices.SortFunc(unique, compareSpecs)
	unique = slices.Compact(unique)

	now := sqldialect.Now(q.clock)
	force := 0
	if opts.Force {
		force = 1
	}
	byKey := make(map[Spec]int64, len(unique))
	err = q.inTx(ctx, func(tx *sqlx.Tx) error {
		for _, s := range unique {
			id, err := q.enqueueOne(ctx, tx, s, now, force)
			if err != nil {
				return fmt.Errorf("queue: enqueue %s %s: %w", s.Symbol, s.Range, err)
			}
			byKey[s] = id
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	ids = make([]int64, len(specs))
	for i, s := range specs {
		ids[i] = byKey[s]
	}
	return ids, nil
}

func compareSpecs(a, b Spec) int {
	return cmp.Or(
		strings.Compare(a.Symbol, b.Symbol),
		a.Range.From.Compare(b.Range.From),
		a.Range.To.Compare(b.Range.To),
	)
}

func (q *SQL) enqueueOne(ctx context.Context, tx *sqlx.Tx, s Spec, now time.Time, force int) (int64, error) {
	ts := sqldialect.FormatTime(now)
	from, to := sqldialect.FormatDate(s.Range.From), sqldialect.FormatDate(s.Range.To)
	for range 2 {
		var (
			id     int64
			status Status
		)
		err := q.stmts.QueryRow(ctx, tx, q.enqueueSQL[0], s.Symbol, from, to).Scan(&id, &status)
		switch {
		case err == nil:
			if status == PermanentlyFailed || (force == 1 && status == Completed) {
				if _, err := q.stmts.Exec(ctx, tx, q.enqueueSQL[1], id, ts, force); err != nil {
					return 0, err
				}
			}
			return id, nil
		case !errors.Is(err, sql.ErrNoRows):
			return 0, err
		}
		if _, err := q.stmts.Exec(ctx, tx, q.enqueueSQL[2], s.Symbol, ts); err != nil {
			return 0, err
		}
		err = q.stmts.QueryRow(ctx, tx, q.enqueueSQL[3], s.Symbol, from, to, ts).Scan(&id)
		if err == nil {
			return id, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, err
		}
		// Another process enqueued the same spec meanwhile: read it.
	}
	return 0, errors.New("task neither found nor inserted")
}

// Claim takes the first claimable task among ids, in ID order, for worker
// and a lease of the given length. A task is claimable when it is waiting
// (pending, failed or rate_limited) and its retry_after has passed, or when
// it is in progress and its lease has expired. Claim returns nil and no
// error when no task is claimable now.
func (q *SQL) Claim(ctx context.Context, ids []int64, worker string, lease time.Duration) (*Task, error) {
	if len(ids) == 0 {
		return nil, ctx.Err()
	}
	now := sqldialect.Now(q.clock)
	token := worker + "#" + q.tag + "." + strconv.FormatUint(rand.Uint64(), 16)
	row := q.stmts.QueryRow(ctx, nil, q.claimSQL, token, sqldialect.FormatTime(now.Add(lease)), sqldialect.FormatTime(now), q.d.IDs(ids))
	t, err := scanTask(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("queue: claim by %s: %w", worker, err)
	}
	return t, nil
}

// Owns reports whether t was claimed from this database's queue: its
// lease token carries the queue's tag. A store in the same database
// completes such a task in the transaction that stores its bars.
func (q *SQL) Owns(t *Task) bool {
	if t == nil {
		return false
	}
	i := strings.LastIndexByte(t.LockedBy, '#')
	return i >= 0 && strings.HasPrefix(t.LockedBy[i+1:], q.tag+".")
}

// Extend moves the lease of t, which the caller claimed, to lease from now.
// It returns [ErrLeaseLost] when the caller no longer holds the task.
func (q *SQL) Extend(ctx context.Context, t *Task, lease time.Duration) error {
	now := sqldialect.Now(q.clock)
	res, err := q.stmts.Exec(ctx, nil, q.extendSQL, t.ID, t.LockedBy, sqldialect.FormatTime(now.Add(lease)), sqldialect.FormatTime(now))
	if err != nil {
		return fmt.Errorf("queue: extend task %d (%s): %w", t.ID, t.Symbol, err)
	}
	return held(res, t)
}

// Finish ends the caller's claim on t with outcome o. It returns
// [ErrLeaseLost], and changes nothing, when the caller no longer holds the
// task. A lease that expired without anyone claiming the task since is
// still good.
func (q *SQL) Finish(ctx context.Context, t *Task, o Outcome) error {
	return q.finish(ctx, nil, t, o)
}

// FinishTx is [SQL.Finish] in tx, a transaction on the queue's database: a
// store calls it to complete a task in the transaction that stores the
// task's bars. On [ErrLeaseLost] the caller should roll tx back.
func (q *SQL) FinishTx(ctx context.Context, tx *sqlx.Tx, t *Task, o Outcome) error {
	if tx == nil {
		return errors.New("queue: FinishTx without a transaction")
	}
	return q.finish(ctx, tx, t, o)
}

// finish ends the claim on t in tx, or on the database when tx is nil.
func (q *SQL) finish(ctx context.Context, tx *sqlx.Tx, t *Task, o Outcome) error {
	if err := o.Validate(); err != nil {
		return err
	}
	now := sqldialect.Now(q.clock)
	attempt := 0
	if o.Attempt {
		attempt = 1
	}
	// An outcome without an error (a success, a release) keeps the last one.
	var lastError any
	if o.Error != "" {
		lastError = o.Error
	}
	r := o.Result
	res, err := q.stmts.Exec(ctx, tx, q.finishSQL, t.ID, t.LockedBy, string(o.Status), attempt,
		sqldialect.FormatTime(o.RetryAfter), lastError,
		r.Inserted, r.Updated, r.Skipped, r.Completeness, sqldialect.FormatTime(now))
	if err != nil {
		return fmt.Errorf("queue: finish task %d (%s) as %s: %w", t.ID, t.Symbol, o.Status, err)
	}
	return held(res, t)
}

// held turns the result of a fenced update into nil, or ErrLeaseLost when
// it changed no row.
func held(res sql.Result, t *Task) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("queue: task %d (%s): %w", t.ID, t.Symbol, err)
	}
	if n == 0 {
		return fmt.Errorf("task %d (%s) by %s: %w", t.ID, t.Symbol, t.LockedBy, ErrLeaseLost)
	}
	return nil
}

// Summarize counts the tasks among ids by status.
func (q *SQL) Summarize(ctx context.Context, ids []int64) (Summary, error) {
	s := Summary{Counts: make(map[Status]int)}
	if len(ids) == 0 {
		return s, ctx.Err()
	}
	now := sqldialect.Now(q.clock)
	rows, err := q.stmts.Query(ctx, q.summarizeSQL, sqldialect.FormatTime(now), q.d.IDs(ids))
	if err != nil {
		return Summary{}, fmt.Errorf("queue: summarize %d tasks: %w", len(ids), err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			status Status
			n      int
			wake   sqldialect.Time
		)
		if err := rows.Scan(&status, &n, &wake); err != nil {
			return Summary{}, fmt.Errorf("queue: summarize %d tasks: %w", len(ids), err)
		}
		s.Counts[status] = n
		if !wake.IsZero() && (s.Wake.IsZero() || wake.Before(s.Wake)) {
			s.Wake = wake.Time
		}
	}
	if err := rows.Err(); err != nil {
		return Summary{}, fmt.Errorf("queue: summarize %d tasks: %w", len(ids), err)
	}
	return s, nil
}

// Close closes the queue's prepared statements, not its database.
func (q *SQL) Close() error {
	if err := q.stmts.Close(); err != nil {
		return fmt.Errorf("queue: close: %w", err)
	}
	return nil
}

// Get returns the task with the given ID.
func (q *SQL) Get(ctx context.Context, id int64) (*Task, error) {
	t, err := scanTask(q.stmts.QueryRow(ctx, nil, q.getSQL, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("queue: no task %d", id)
	}
	if err != nil {
		return nil, fmt.Errorf("queue: get task %d: %w", id, err)
	}
	return t, nil
}

// Counts counts every task of the queue by status.
func (q *SQL) Counts(ctx context.Context) (map[Status]int, error) {
	rows, err := q.db.QueryxContext(ctx, `SELECT status, count(*) FROM backfill_queue GROUP BY status`)
	if err != nil {
		return nil, fmt.Errorf("queue: count tasks: %w", err)
	}
	defer rows.Close()
	counts := make(map[Status]int)
	for rows.Next() {
		var (
			s Status
			n int
		)
		if err := rows.Scan(&s, &n); err != nil {
			return nil, fmt.Errorf("queue: count tasks: %w", err)
		}
		counts[s] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("queue: count tasks: %w", err)
	}
	return counts, nil
}

// OldestWaiting returns the waiting task (pending, failed or rate_limited)
// that was enqueued first, or nil when no task waits.
func (q *SQL) OldestWaiting(ctx context.Context) (*Task, error) {
	t, err := scanTask(q.db.QueryRowxContext(ctx, `SELECT `+taskColumns+` FROM backfill_queue
		WHERE status IN `+waitingStatuses+` ORDER BY created_at, id LIMIT 1`))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("queue: oldest waiting task: %w", err)
	}
	return t, nil
}

// LastErrors returns up to n tasks that hold an error, the most recently
// updated first.
func (q *SQL) LastErrors(ctx context.Context, n int) ([]*Task, error) {
	rows, err := q.db.QueryxContext(ctx, q.d.Rebind(`SELECT `+taskColumns+` FROM backfill_queue
		WHERE last_error IS NOT NULL ORDER BY updated_at DESC, id DESC LIMIT $1`), n)
	if err != nil {
		return nil, fmt.Errorf("queue: last %d errors: %w", n, err)
	}
	defer rows.Close()
	var tasks []*Task
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return nil, fmt.Errorf("queue: last %d errors: %w", n, err)
		}
		tasks = append(tasks, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("queue: last %d errors: %w", n, err)
	}
	return tasks, nil
}

func (q *SQL) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := q.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("queue: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("queue: commit: %w", err)
	}
	return nil
}

func scanTask(row interface{ Scan(...any) error }) (*Task, error) {
	var (
		t                          Task
		from, to                   sqldialect.Date
		retry, until, created, upd sqldialect.Time
		lastError, lockedBy        sql.NullString
	)
	err := row.Scan(&t.ID, &t.Symbol, &from, &to, &t.Status, &t.Attempts, &retry, &lastError,
		&lockedBy, &until, &t.Result.Inserted, &t.Result.Updated, &t.Result.Skipped, &t.Result.Completeness,
		&created, &upd)
	if err != nil {
		return nil, err
	}
	t.Range = pricefill.Range{From: from.Time, To: to.Time}
	t.RetryAfter, t.LockedUntil, t.CreatedAt, t.UpdatedAt = retry.Time, until.Time, created.Time, upd.Time
	t.LastError, t.LockedBy = lastError.String, lockedBy.String
	return &t, nil
}
