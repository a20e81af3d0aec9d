package store

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
	"github.com/pricefill/pricefill/queue"
	"github.com/pricefill/pricefill/store/internal/sqldialect"
)

// Queue is the queue kept in the backfill_queue table of the store's
// database: durable, and shared by every process that opens the database.
// It is a [queue.Queue] that behaves as [queue.Memory] does and passes the
// same conformance suite, queuetest. [Open] makes the one of a [DB], which
// embeds it; there is no other way to build one.
//
// Claims and summaries name a run (see [queue.RunID]), whose unfinished
// tasks the table backfill_run_tasks lists: they walk those, in ID order,
// and cost the same whatever the run's size. On PostgreSQL a claim locks
// the task it takes with FOR UPDATE SKIP LOCKED, so workers of many
// processes claim different tasks without waiting on each other, and takes
// a transaction-scoped advisory lock on the task's symbol (and schema)
// before it checks, in a statement of its own, that no other task of the
// symbol is held; on SQLite, which has one writer at a time, the claim is
// one statement. A claim's lease token (LockedBy) is the worker's name and
// a random number; Extend and Finish change a task only where its status
// is in_progress and its locked_by is still their token, so a worker
// fenced off by a later claim changes nothing and gets
// [queue.ErrLeaseLost]. [DB.SaveAndComplete] finishes a task the same way,
// in the transaction that stores its bars.
//
// # Time
//
// On PostgreSQL, unless [WithClock] gave a clock, the database's clock
// decides every lease, retry time, heartbeat and claim (SQL
// statement_timestamp()), so processes whose clocks disagree still agree
// on when a lease expires. Times the caller gives (an outcome's
// RetryAfter) are read as a delay from the caller's clock (see
// [WithDatabaseClock]), and times returned (a summary's Wake) are put on
// it the same way. On SQLite, a file that the processes of one machine
// share, the clock of [WithClock] (by default the system's) decides.
//
// A task's identity is its symbol, start date and end date, a UNIQUE
// constraint of the table. Queue is safe for concurrent use.
type Queue struct {
	x       *sqlx.DB
	d       *sqldialect.Dialect
	clock   pricefill.Clock
	dbClock bool // the database's clock decides: PostgreSQL without WithClock
	stmts   *sqldialect.StmtCache

	claimSQL, candidatesSQL, pageEndSQL, takeSQL                            string
	extendSQL, finishSQL, leaveSQL, summarizeSQL, countSQL, getSQL          string
	startSQL, joinSQL, beatSQL, endSQL, runSQL, pruneTasksSQL, pruneRunsSQL string
	enqueueSQL                                                              [4]string
}

// newQueue returns the queue kept in x, a database of dialect d that
// migrate has brought up to date. clock is the caller's; dbClock says the
// database's clock decides instead (on PostgreSQL only).
func newQueue(ctx context.Context, x *sqlx.DB, d *sqldialect.Dialect, clock pricefill.Clock, dbClock bool) (*Queue, error) {
	q := &Queue{x: x, d: d, clock: clock, dbClock: d.IsPostgres() && dbClock}
	q.prepare()
	prepared := append(q.enqueueSQL[:], q.extendSQL, q.finishSQL, q.leaveSQL, q.summarizeSQL, q.getSQL,
		q.beatSQL, q.endSQL, q.runSQL)
	if d.IsPostgres() {
		prepared = append(prepared, q.candidatesSQL, q.pageEndSQL, q.takeSQL)
	} else {
		prepared = append(prepared, q.claimSQL)
	}
	var err error
	q.stmts, err = sqldialect.NewStmtCache(ctx, x, prepared...)
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	return q, nil
}

// errNoRun says a run is unknown to the queue.
func errNoRun(run queue.RunID) error {
	return fmt.Errorf("no run %d (it ended, or was pruned as dead)", run)
}

// taskColumns are the columns of a Task, in the order scanTask reads them.
const taskColumns = `id, symbol, start_date, end_date, status, attempts, retry_after, last_error,
	locked_by, locked_until, locked_run, records_inserted, records_updated, records_skipped, completeness_pct,
	created_at, updated_at`

const (
	waitingStatuses  = `('pending', 'failed', 'rate_limited')`
	terminalStatuses = `('completed', 'permanently_failed')`
	// claimPage is how many of a run's tasks a claim on PostgreSQL looks
	// at in one statement; it pages on while none of them is claimable.
	claimPage = 64
)

// now is the SQL of the time of a statement whose parameter number p is
// [Queue.nowArg]: on PostgreSQL, the database's clock when the parameter is
// NULL.
func (q *Queue) now(p int) string {
	if q.d.IsPostgres() {
		return fmt.Sprintf("coalesce($%d::timestamptz, statement_timestamp())", p)
	}
	return fmt.Sprintf("$%d", p)
}

// after is the SQL of the time of parameter number p (see [Queue.now]) plus
// the duration in parameter number dp, which takes [Queue.durArg].
func (q *Queue) after(p, dp int) string {
	if q.d.IsPostgres() {
		return fmt.Sprintf("(%s + $%d::float8 * interval '1 microsecond')", q.now(p), dp)
	}
	return fmt.Sprintf("$%d", dp)
}

// nowArg is the parameter of [Queue.now]: NULL when the database's clock
// decides, else the queue's clock's time.
func (q *Queue) nowArg() (any, time.Time) {
	now := sqldialect.Now(q.clock)
	if q.dbClock {
		return nil, now
	}
	return sqldialect.FormatTime(now), now
}

// durArg is the parameter of [Queue.after] for a duration d after now, the
// time of nowArg: microseconds on PostgreSQL, where the database adds
// them to its time, and the time itself on SQLite.
func (q *Queue) durArg(now time.Time, d time.Duration) any {
	if q.d.IsPostgres() {
		return d.Microseconds()
	}
	return sqldialect.FormatTime(now.Add(d))
}

// atArg is the parameter of [Queue.after] for the caller's time at, which the
// database's clock reads as the same delay from now (the time of nowArg);
// nil for the zero time.
func (q *Queue) atArg(now, at time.Time) any {
	if at.IsZero() {
		return nil
	}
	return q.durArg(now, at.Sub(now))
}

func (q *Queue) prepare() {
	r := q.d.Rebind
	q.enqueueSQL = [4]string{
		r(`SELECT id, status FROM backfill_queue WHERE symbol = $1 AND start_date = $2 AND end_date = $3`),
		// The status is checked again: it may have changed since it was read.
		r(`UPDATE backfill_queue SET status = 'pending', attempts = 0, retry_after = NULL, last_error = NULL,
				locked_by = NULL, locked_until = NULL, locked_run = NULL, records_inserted = 0, records_updated = 0,
				records_skipped = 0, completeness_pct = 0, updated_at = $2
			WHERE id = $1 AND (status = 'permanently_failed'
				OR (status = 'completed' AND ($3 = 1 OR updated_at < ` + q.after(4, 5) + `)))`),
		r(`INSERT INTO assets (symbol, created_at) VALUES ($1, $2) ON CONFLICT (symbol) DO NOTHING`),
		r(`INSERT INTO backfill_queue (asset_id, symbol, start_date, end_date, status, created_at, updated_at)
			VALUES ((SELECT id FROM assets WHERE symbol = $1), $1, $2, $3, 'pending', $4, $4)
			ON CONFLICT (symbol, start_date, end_date) DO NOTHING
			RETURNING id`),
	}

	// A task is held while it is in progress under a lease that has not
	// expired, by a run that is alive (or by no run: a claim made before
	// runs existed). A task is claimable when it is waiting and due, or in
	// progress and no longer held; a claim takes it only if no other task
	// of its symbol is held.
	held := func(t, now string) string {
		return `(` + t + `.status = 'in_progress' AND ` + t + `.locked_until > ` + now + `
			AND (` + t + `.locked_run IS NULL OR EXISTS (SELECT 1 FROM backfill_runs r
				WHERE r.id = ` + t + `.locked_run AND r.alive_until > ` + now + `)))`
	}
	claimable := func(now string) string {
		return `((q.status IN ` + waitingStatuses + ` AND (q.retry_after IS NULL OR q.retry_after <= ` + now + `))
			OR (q.status = 'in_progress' AND NOT ` + held("q", now) + `))`
	}
	siblingFree := func(now string) string {
		return `NOT EXISTS (SELECT 1 FROM backfill_queue o
			WHERE o.symbol = q.symbol AND o.id <> q.id AND ` + held("o", now) + `)`
	}
	// The run's open tasks, in ID order through the primary key of
	// backfill_run_tasks.
	candidates := func(now string) string {
		return `SELECT q.id FROM backfill_run_tasks m JOIN backfill_queue q ON q.id = m.task_id
			WHERE m.run_id = $1 AND ` + claimable(now) + ` AND ` + siblingFree(now) + `
			ORDER BY m.task_id`
	}
	take := `UPDATE backfill_queue SET status = 'in_progress', locked_by = $3, locked_until = ` + q.after(2, 4) + `,
			locked_run = $1, updated_at = ` + q.now(2)
	// SQLite: one statement, the one writer's.
	q.claimSQL = r(take + `
		WHERE id = (` + candidates(q.now(2)) + ` LIMIT 1)
		RETURNING ` + taskColumns)
	// PostgreSQL: among a page of the run's tasks (after the task ID $3),
	// lock a few candidates and try their symbols' locks, then take the
	// first whose lock was had where, as a statement that began after the
	// lock was had sees, no other task of the symbol is held. The page is
	// an ARRAY(sub-select), planned on its own, that reads
	// backfill_run_tasks through its primary key (StartRun analyzes the
	// table, so that the planner knows it holds the run's tasks), and the
	// candidates are looked up by ID: a join the planner were free to
	// order could walk all of backfill_queue's tasks, ended ones too. The
	// symbols' locks are tried in the outer select, on the rows the inner
	// one locked: never on a task that another claim holds.
	page := `SELECT task_id FROM backfill_run_tasks WHERE run_id = $1 AND task_id > $3
		ORDER BY run_id, task_id LIMIT ` + strconv.Itoa(claimPage)
	q.pageEndSQL = `SELECT max(task_id) FROM (` + strings.Replace(page, "$3", "$2", 1) + `) p`
	q.candidatesSQL = `SELECT c.id, c.symbol,
			pg_try_advisory_xact_lock(hashtext('pricefill:' || current_schema()), hashtext(c.symbol))
		FROM (SELECT q.id, q.symbol FROM backfill_queue q
			WHERE q.id = ANY(ARRAY(` + page + `)) AND ` + claimable(q.now(2)) + ` AND ` + siblingFree(q.now(2)) + `
			ORDER BY q.id LIMIT 4 FOR UPDATE SKIP LOCKED) c
		ORDER BY c.id`
	q.takeSQL = strings.Replace(take, "UPDATE backfill_queue", "UPDATE backfill_queue AS q", 1) + `
		WHERE q.id = $5 AND ` + siblingFree(q.now(2)) + `
		RETURNING ` + taskColumns

	q.extendSQL = r(`UPDATE backfill_queue SET locked_until = ` + q.after(4, 3) + `, updated_at = ` + q.now(4) + `
		WHERE id = $1 AND status = 'in_progress' AND locked_by = $2`)
	q.finishSQL = r(`UPDATE backfill_queue SET status = $3, attempts = attempts + $4, retry_after = ` + q.after(11, 5) + `,
			last_error = coalesce($6, last_error),
			records_inserted = $7, records_updated = $8, records_skipped = $9, completeness_pct = $10,
			locked_by = NULL, locked_until = NULL, locked_run = NULL, updated_at = ` + q.now(11) + `
		WHERE id = $1 AND status = 'in_progress' AND locked_by = $2`)
	q.leaveSQL = r(`DELETE FROM backfill_run_tasks WHERE task_id = $1`)

	wake := func(now string) string {
		return `min(CASE
			WHEN q.status IN ` + waitingStatuses + ` AND q.retry_after > ` + now + ` THEN q.retry_after
			WHEN ` + held("q", now) + ` THEN q.locked_until
		END)`
	}
	q.summarizeSQL = r(`SELECT q.status, count(*), ` + wake(q.now(2)) + `, ` + q.now(2) + `
		FROM backfill_run_tasks m JOIN backfill_queue q ON q.id = m.task_id
		WHERE m.run_id = $1
		GROUP BY q.status`)
	q.countSQL = r(`SELECT q.status, count(*), ` + wake(q.now(2)) + `, ` + q.now(2) + `
		FROM backfill_queue q WHERE ` + q.d.InIDs("q.id", 1) + `
		GROUP BY q.status`)
	q.getSQL = r(`SELECT ` + taskColumns + ` FROM backfill_queue WHERE id = $1`)

	q.startSQL = r(`INSERT INTO backfill_runs (worker, started_at, alive_until) VALUES ($1, ` + q.now(2) + `, ` + q.after(2, 3) + `)
		RETURNING id`)
	q.joinSQL = r(`INSERT INTO backfill_run_tasks (run_id, task_id)
		SELECT CAST($1 AS bigint), id FROM backfill_queue WHERE ` + q.d.InIDs("id", 2) + ` AND status NOT IN ` + terminalStatuses + `
		ON CONFLICT DO NOTHING`)
	q.beatSQL = r(`UPDATE backfill_runs SET alive_until = ` + q.after(2, 3) + ` WHERE id = $1`)
	q.endSQL = r(`DELETE FROM backfill_runs WHERE id = $1`)
	q.runSQL = r(`SELECT count(*) FROM backfill_runs WHERE id = $1`)
	q.pruneTasksSQL = r(`DELETE FROM backfill_queue WHERE status IN ` + terminalStatuses + ` AND updated_at < ` + q.after(1, 2))
	q.pruneRunsSQL = r(`DELETE FROM backfill_runs WHERE alive_until < ` + q.after(1, 2))
}

// Enqueue adds a pending task for every spec not queued yet and returns the
// IDs of the specs' tasks, new or old, in order; the same spec twice gets
// one task. An existing task keeps its state, except that a
// permanently_failed one is reset to pending with no attempts and, with
// opts.Force, so is a completed one. A spec's symbol becomes a row of
// assets if it is not one yet. Enqueue is one transaction.
func (q *Queue) Enqueue(ctx context.Context, specs []queue.Spec, opts queue.EnqueueOptions) (ids []int64, err error) {
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
	reopen := reopenArgs{}
	if !opts.ReopenCompletedBefore.IsZero() {
		nowArg, callerNow := q.nowArg()
		reopen = reopenArgs{set: true, now: nowArg, before: q.atArg(callerNow, opts.ReopenCompletedBefore)}
	}
	byKey := make(map[queue.Spec]int64, len(unique))
	err = inTx(ctx, q.x, func(tx *sqlx.Tx) error {
		for _, s := range unique {
			id, err := q.enqueueOne(ctx, tx, s, now, force, reopen)
			if err != nil {
				return fmt.Errorf("enqueue %s %s: %w", s.Symbol, s.Range, err)
			}
			byKey[s] = id
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	ids = make([]int64, len(specs))
	for i, s := range specs {
		ids[i] = byKey[s]
	}
	return ids, nil
}

func compareSpecs(a, b queue.Spec) int {
	return cmp.Or(
		strings.Compare(a.Symbol, b.Symbol),
		a.Range.From.Compare(b.Range.From),
		a.Range.To.Compare(b.Range.To),
	)
}

// reopenArgs are the parameters of EnqueueOptions.ReopenCompletedBefore in
// the statement that resets a task: the time of [Queue.nowArg] and the
// cutoff as [Queue.atArg] has it, both nil when it is not set.
type reopenArgs struct {
	set         bool
	now, before any
}

func (q *Queue) enqueueOne(ctx context.Context, tx *sqlx.Tx, s queue.Spec, now time.Time, force int, reopen reopenArgs) (int64, error) {
	ts := sqldialect.FormatTime(now)
	from, to := sqldialect.FormatDate(s.Range.From), sqldialect.FormatDate(s.Range.To)
	for range 2 {
		var (
			id     int64
			status queue.Status
		)
		err := q.stmts.QueryRow(ctx, tx, q.enqueueSQL[0], s.Symbol, from, to).Scan(&id, &status)
		switch {
		case err == nil:
			if status == queue.PermanentlyFailed || (status == queue.Completed && (force == 1 || reopen.set)) {
				if _, err := q.stmts.Exec(ctx, tx, q.enqueueSQL[1], id, ts, force, reopen.now, reopen.before); err != nil {
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

// StartRun begins a run over the tasks ids for worker, alive for the given
// time unless Heartbeat renews it, and returns it with the tasks' summary.
// It is one transaction; its cost grows with len(ids), once per run.
func (q *Queue) StartRun(ctx context.Context, ids []int64, worker string, alive time.Duration) (queue.RunID, queue.Summary, error) {
	var (
		run queue.RunID
		s   queue.Summary
	)
	nowArg, now := q.nowArg()
	err := inTx(ctx, q.x, func(tx *sqlx.Tx) error {
		if err := q.stmts.QueryRow(ctx, tx, q.startSQL, worker, nowArg, q.durArg(now, alive)).Scan(&run); err != nil {
			return err
		}
		if _, err := q.stmts.Exec(ctx, tx, q.joinSQL, run, q.d.IDs(ids)); err != nil {
			return err
		}
		rows, err := tx.QueryxContext(ctx, q.countSQL, q.d.IDs(ids), nowArg)
		if err != nil {
			return err
		}
		s, err = q.scanSummary(rows)
		return err
	})
	if err != nil {
		return 0, queue.Summary{}, fmt.Errorf("queue: start a run of %d tasks for %s: %w", len(ids), worker, err)
	}
	if q.d.IsPostgres() && len(ids) >= claimPage {
		// Fresh statistics, so that the claims read the run's tasks through
		// the primary key: just filled, the table looks empty to the
		// planner until autovacuum analyzes it.
		if _, err := q.x.ExecContext(ctx, `ANALYZE backfill_run_tasks`); err != nil {
			return 0, queue.Summary{}, fmt.Errorf("queue: start a run of %d tasks for %s: analyze: %w", len(ids), worker, err)
		}
	}
	return run, s, nil
}

// Heartbeat keeps run alive for the given time from now.
func (q *Queue) Heartbeat(ctx context.Context, run queue.RunID, alive time.Duration) error {
	nowArg, now := q.nowArg()
	res, err := q.stmts.Exec(ctx, nil, q.beatSQL, run, nowArg, q.durArg(now, alive))
	if err == nil {
		var n int64
		if n, err = res.RowsAffected(); err == nil && n == 0 {
			err = errNoRun(run)
		}
	}
	if err != nil {
		return fmt.Errorf("queue: heartbeat of run %d: %w", run, err)
	}
	return nil
}

// EndRun ends run: the tasks it still holds may be claimed at once.
func (q *Queue) EndRun(ctx context.Context, run queue.RunID) error {
	if _, err := q.stmts.Exec(ctx, nil, q.endSQL, run); err != nil {
		return fmt.Errorf("queue: end run %d: %w", run, err)
	}
	return nil
}

// Claim takes the first claimable task of run, in ID order, for worker
// and a lease of the given length. A task is claimable when it is waiting
// (pending, failed or rate_limited) and its retry_after has passed, or
// when it is in progress and its lease has expired or its run is no
// longer alive; and no other task of its symbol is held. Claim returns nil
// and no error when no task is claimable now.
func (q *Queue) Claim(ctx context.Context, run queue.RunID, worker string, lease time.Duration) (*queue.Task, error) {
	nowArg, now := q.nowArg()
	token := worker + "#" + strconv.FormatUint(rand.Uint64(), 16)
	args := []any{run, nowArg, token, q.durArg(now, lease)}
	var (
		t   *queue.Task
		err error
	)
	if q.d.IsPostgres() {
		err = inTx(ctx, q.x, func(tx *sqlx.Tx) error {
			t, err = q.claimPostgres(ctx, tx, args)
			return err
		})
	} else {
		t, err = scanTask(q.stmts.QueryRow(ctx, nil, q.claimSQL, args...))
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("queue: claim by %s: %w", worker, err)
	}
	return t, nil
}

// claimPostgres is a claim in tx: page by page of the run's tasks, it
// locks a few candidates and tries their symbols' locks, and takes the
// first whose lock it had and no other task of whose symbol is held, as a
// statement that began once the lock was had sees it. It returns
// sql.ErrNoRows when it takes none. The symbols' locks are only tried,
// never waited for, so claims never deadlock; a symbol whose lock another
// claim holds (taking a task of it from another run) is skipped.
func (q *Queue) claimPostgres(ctx context.Context, tx *sqlx.Tx, args []any) (*queue.Task, error) {
	for after := int64(0); ; {
		t, err := q.claimPage(ctx, tx, args, after)
		if !errors.Is(err, sql.ErrNoRows) {
			return t, err
		}
		var end sql.NullInt64
		if err := q.stmts.QueryRow(ctx, tx, q.pageEndSQL, args[0], after).Scan(&end); err != nil {
			return nil, err
		}
		if !end.Valid {
			return nil, sql.ErrNoRows // past the run's last task
		}
		after = end.Int64
	}
}

// claimPage is a claim among the page of the run's tasks after the task ID
// after: it returns sql.ErrNoRows when it takes none of them.
func (q *Queue) claimPage(ctx context.Context, tx *sqlx.Tx, args []any, after int64) (*queue.Task, error) {
	rows, err := q.stmts.QueryTx(ctx, tx, q.candidatesSQL, args[0], args[1], after)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for rows.Next() {
		var (
			id     int64
			symbol string
			locked bool
		)
		if err := rows.Scan(&id, &symbol, &locked); err != nil {
			rows.Close()
			return nil, err
		}
		if locked {
			ids = append(ids, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, id := range ids {
		t, err := scanTask(q.stmts.QueryRow(ctx, tx, q.takeSQL, append(args, id)...))
		if !errors.Is(err, sql.ErrNoRows) {
			return t, err
		}
	}
	return nil, sql.ErrNoRows
}

// Extend moves the lease of t, which the caller claimed, to lease from now.
// It returns [queue.ErrLeaseLost] when the caller no longer holds the task.
func (q *Queue) Extend(ctx context.Context, t *queue.Task, lease time.Duration) error {
	nowArg, now := q.nowArg()
	res, err := q.stmts.Exec(ctx, nil, q.extendSQL, t.ID, t.LockedBy, q.durArg(now, lease), nowArg)
	if err != nil {
		return fmt.Errorf("queue: extend task %d (%s): %w", t.ID, t.Symbol, err)
	}
	return held(res, t)
}

// Finish ends the caller's claim on t with outcome o. It returns
// [queue.ErrLeaseLost], and changes nothing, when the caller no longer holds the
// task. A lease that expired without anyone claiming the task since is
// still good.
func (q *Queue) Finish(ctx context.Context, t *queue.Task, o queue.Outcome) error {
	return q.finish(ctx, nil, t, o)
}

// finish ends the claim on t in tx, or on the database when tx is nil.
// On [queue.ErrLeaseLost] the caller should roll tx back.
func (q *Queue) finish(ctx context.Context, tx *sqlx.Tx, t *queue.Task, o queue.Outcome) error {
	if err := o.Validate(); err != nil {
		return err
	}
	nowArg, now := q.nowArg()
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
		q.atArg(now, o.RetryAfter), lastError,
		r.Inserted, r.Updated, r.Skipped, r.Completeness, nowArg)
	if err == nil {
		if err = held(res, t); err != nil {
			return err
		}
		if o.Status.Terminal() {
			// The task leaves its runs. Outside a transaction a failure here
			// leaves a row that claims skip and summaries count as done.
			_, err = q.stmts.Exec(ctx, tx, q.leaveSQL, t.ID)
		}
	}
	if err != nil {
		return fmt.Errorf("queue: finish task %d (%s) as %s: %w", t.ID, t.Symbol, o.Status, err)
	}
	return nil
}

// held turns the result of a fenced update into nil, or ErrLeaseLost when
// it changed no row.
func held(res sql.Result, t *queue.Task) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("queue: task %d (%s): %w", t.ID, t.Symbol, err)
	}
	if n == 0 {
		return fmt.Errorf("task %d (%s) by %s: %w", t.ID, t.Symbol, t.LockedBy, queue.ErrLeaseLost)
	}
	return nil
}

// Summarize counts the unfinished tasks of run by status. Its cost grows
// with their number, not with the run's.
func (q *Queue) Summarize(ctx context.Context, run queue.RunID) (queue.Summary, error) {
	nowArg, _ := q.nowArg()
	rows, err := q.stmts.Query(ctx, q.summarizeSQL, run, nowArg)
	if err == nil {
		var s queue.Summary
		if s, err = q.scanSummary(rows); err == nil && s.Total() == 0 {
			// Done, or no such run: a run that ended cannot be done.
			var n int
			if err = q.stmts.QueryRow(ctx, nil, q.runSQL, run).Scan(&n); err == nil && n == 0 {
				err = errNoRun(run)
			}
		}
		if err == nil {
			return s, nil
		}
	}
	return queue.Summary{}, fmt.Errorf("queue: summarize run %d: %w", run, err)
}

// scanSummary reads the rows of a summary, status, count, wake and the
// database's time, and closes them. It puts Wake on the queue's clock.
func (q *Queue) scanSummary(rows *sqlx.Rows) (queue.Summary, error) {
	defer rows.Close()
	s := queue.Summary{Counts: make(map[queue.Status]int)}
	local := sqldialect.Now(q.clock)
	for rows.Next() {
		var (
			status    queue.Status
			n         int
			wake, now sqldialect.Time
		)
		if err := rows.Scan(&status, &n, &wake, &now); err != nil {
			return queue.Summary{}, err
		}
		s.Counts[status] = n
		if wake.IsZero() {
			continue
		}
		at := local.Add(wake.Sub(now.Time))
		if s.Wake.IsZero() || at.Before(s.Wake) {
			s.Wake = at
		}
	}
	return s, rows.Err()
}

// Prune deletes the tasks that ended (completed or permanently_failed)
// longer than keep ago, and the runs that have not been alive for as
// long, and returns how many tasks it deleted.
func (q *Queue) Prune(ctx context.Context, keep time.Duration) (int64, error) {
	nowArg, now := q.nowArg()
	var n int64
	err := inTx(ctx, q.x, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, q.pruneTasksSQL, nowArg, q.durArg(now, -keep))
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, q.pruneRunsSQL, nowArg, q.durArg(now, -keep))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("queue: prune what ended %s ago: %w", keep, err)
	}
	return n, nil
}

// Runs returns the runs that have not ended, alive or dead (killed before
// they could end), the latest first.
func (q *Queue) Runs(ctx context.Context) ([]queue.RunInfo, error) {
	nowArg, _ := q.nowArg()
	rows, err := q.x.QueryxContext(ctx, q.d.Rebind(`SELECT r.id, r.worker, r.started_at, r.alive_until,
			r.alive_until > `+q.now(1)+`, (SELECT count(*) FROM backfill_run_tasks m WHERE m.run_id = r.id)
		FROM backfill_runs r ORDER BY r.id DESC`), nowArg)
	return scanAll(rows, err, "queue: runs", func(rows *sqlx.Rows) (queue.RunInfo, error) {
		var (
			r            queue.RunInfo
			start, alive sqldialect.Time
		)
		err := rows.Scan(&r.ID, &r.Worker, &start, &alive, &r.Alive, &r.Open)
		r.StartedAt, r.AliveUntil = start.Time, alive.Time
		return r, err
	})
}

// close closes the queue's prepared statements, not its database.
func (q *Queue) close() error {
	if err := q.stmts.Close(); err != nil {
		return fmt.Errorf("queue: close: %w", err)
	}
	return nil
}

// Get returns the task with the given ID.
func (q *Queue) Get(ctx context.Context, id int64) (*queue.Task, error) {
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
func (q *Queue) Counts(ctx context.Context) (map[queue.Status]int, error) {
	rows, err := q.x.QueryxContext(ctx, `SELECT status, count(*) FROM backfill_queue GROUP BY status`)
	if err != nil {
		return nil, fmt.Errorf("queue: count tasks: %w", err)
	}
	defer rows.Close()
	counts := make(map[queue.Status]int)
	for rows.Next() {
		var (
			s queue.Status
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
func (q *Queue) OldestWaiting(ctx context.Context) (*queue.Task, error) {
	t, err := scanTask(q.x.QueryRowxContext(ctx, `SELECT `+taskColumns+` FROM backfill_queue
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
func (q *Queue) LastErrors(ctx context.Context, n int) ([]*queue.Task, error) {
	rows, err := q.x.QueryxContext(ctx, q.d.Rebind(`SELECT `+taskColumns+` FROM backfill_queue
		WHERE last_error IS NOT NULL ORDER BY updated_at DESC, id DESC LIMIT $1`), n)
	return scanAll(rows, err, fmt.Sprintf("queue: last %d errors", n), func(rows *sqlx.Rows) (*queue.Task, error) { return scanTask(rows) })
}

func scanTask(row interface{ Scan(...any) error }) (*queue.Task, error) {
	var (
		t                          queue.Task
		from, to                   sqldialect.Date
		retry, until, created, upd sqldialect.Time
		lastError, lockedBy        sql.NullString
		run                        sql.NullInt64
	)
	err := row.Scan(&t.ID, &t.Symbol, &from, &to, &t.Status, &t.Attempts, &retry, &lastError,
		&lockedBy, &until, &run, &t.Result.Inserted, &t.Result.Updated, &t.Result.Skipped, &t.Result.Completeness,
		&created, &upd)
	if err != nil {
		return nil, err
	}
	t.Range = pricefill.Range{From: from.Time, To: to.Time}
	t.RetryAfter, t.LockedUntil, t.CreatedAt, t.UpdatedAt = retry.Time, until.Time, created.Time, upd.Time
	t.LastError, t.LockedBy, t.Run = lastError.String, lockedBy.String, queue.RunID(run.Int64)
	return &t, nil
}
