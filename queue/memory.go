package queue

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/pricefill/pricefill"
)

// An Option configures [NewMemory].
type Option func(*config)

type config struct {
	clock pricefill.Clock
}

// WithClock sets the clock that decides when leases expire and retries are
// due. The default is [pricefill.SystemClock]; nil means the default.
func WithClock(c pricefill.Clock) Option {
	return func(cfg *config) { cfg.clock = c }
}

func newConfig(opts []Option) config {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.clock == nil {
		cfg.clock = pricefill.SystemClock()
	}
	return cfg
}

// Memory is a queue held in memory, for tests and for runs in one process
// that need not survive it. It is safe for concurrent use.
type Memory struct {
	clock pricefill.Clock

	mu       sync.Mutex
	tasks    []Task             // tasks[id-1]
	byKey    map[Spec]int64     // identity → id
	bySymbol map[string][]int64 // symbol → ids
	runs     map[RunID]*memRun  // runs going on
	lastRun  RunID              // the latest run's ID
	claims   uint64             // claims made, for lease tokens
}

// memRun is a run of a Memory queue.
type memRun struct {
	aliveUntil time.Time
	open       map[int64]bool // its unfinished tasks
}

// NewMemory returns an empty in-memory queue.
func NewMemory(opts ...Option) *Memory {
	cfg := newConfig(opts)
	return &Memory{clock: cfg.clock, byKey: make(map[Spec]int64), bySymbol: make(map[string][]int64), runs: make(map[RunID]*memRun)}
}

// Enqueue adds a pending task for every spec not queued yet and returns the
// IDs of the specs' tasks, new or old, in order. An existing task keeps its
// state, except that a permanently_failed one is reset to pending with no
// attempts (a new run gives it another chance) and so is a completed one
// with opts.Force, or completed before opts.ReopenCompletedBefore.
func (q *Memory) Enqueue(ctx context.Context, specs []Spec, opts EnqueueOptions) ([]int64, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, s := range specs {
		if err := s.Range.Validate(); err != nil {
			return nil, fmt.Errorf("queue: enqueue %s: %w", s.Symbol, err)
		}
	}
	now := q.clock.Now()
	q.mu.Lock()
	defer q.mu.Unlock()
	ids := make([]int64, len(specs))
	for i, s := range specs {
		key := Spec{Symbol: s.Symbol, Range: s.Range}
		id, ok := q.byKey[key]
		if !ok {
			id = int64(len(q.tasks) + 1)
			q.tasks = append(q.tasks, Task{ID: id, Symbol: s.Symbol, Range: s.Range, Status: Pending, CreatedAt: now, UpdatedAt: now})
			q.byKey[key] = id
			q.bySymbol[s.Symbol] = append(q.bySymbol[s.Symbol], id)
		} else if t := &q.tasks[id-1]; t.Status == PermanentlyFailed || (t.Status == Completed && reopens(opts, t.UpdatedAt)) {
			*t = Task{ID: id, Symbol: t.Symbol, Range: t.Range, Status: Pending, CreatedAt: t.CreatedAt, UpdatedAt: now}
		}
		ids[i] = id
	}
	return ids, nil
}

// StartRun begins a run over the tasks ids for worker, alive for the given
// time unless Heartbeat renews it, and returns it with the tasks' summary.
func (q *Memory) StartRun(ctx context.Context, ids []int64, worker string, alive time.Duration) (RunID, Summary, error) {
	if err := ctx.Err(); err != nil {
		return 0, Summary{}, err
	}
	now := q.clock.Now()
	q.mu.Lock()
	defer q.mu.Unlock()
	q.lastRun++
	r := &memRun{aliveUntil: now.Add(alive), open: make(map[int64]bool)}
	q.runs[q.lastRun] = r
	s := Summary{Counts: make(map[Status]int)}
	for _, id := range ids {
		t := q.task(id)
		if t == nil || r.open[id] {
			continue
		}
		if !t.Status.Terminal() {
			r.open[id] = true
		}
		q.count(&s, t, now)
	}
	return q.lastRun, s, nil
}

// Heartbeat keeps run alive for the given time from now.
func (q *Memory) Heartbeat(ctx context.Context, run RunID, alive time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := q.clock.Now()
	q.mu.Lock()
	defer q.mu.Unlock()
	r := q.runs[run]
	if r == nil {
		return fmt.Errorf("queue: heartbeat: %w", errNoRun(run))
	}
	r.aliveUntil = now.Add(alive)
	return nil
}

// EndRun ends run: the tasks it still holds may be claimed at once.
func (q *Memory) EndRun(ctx context.Context, run RunID) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.runs, run)
	return nil
}

// Claim takes the first claimable task of run, in ID order, for worker
// and a lease of the given length. A task is claimable when it is waiting
// (pending, failed or rate_limited) and its retry_after has passed, or
// when it is in progress and its lease has expired or its run is no
// longer alive; and no other task of its symbol is held. Claim returns nil
// and no error when no task is claimable now.
func (q *Memory) Claim(ctx context.Context, run RunID, worker string, lease time.Duration) (*Task, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	now := q.clock.Now()
	q.mu.Lock()
	defer q.mu.Unlock()
	r := q.runs[run]
	if r == nil {
		return nil, fmt.Errorf("queue: claim by %s: %w", worker, errNoRun(run))
	}
	for _, id := range slices.Sorted(maps.Keys(r.open)) {
		t := q.task(id)
		if t == nil || !q.claimable(t, now) || q.siblingHeld(t, now) {
			continue
		}
		q.claims++
		t.Status = InProgress
		t.LockedBy = worker + "#" + strconv.FormatUint(q.claims, 10)
		t.LockedUntil = now.Add(lease)
		t.Run = run
		t.UpdatedAt = now
		c := *t
		return &c, nil
	}
	return nil, nil
}

func (q *Memory) claimable(t *Task, now time.Time) bool {
	switch {
	case t.Status.Waiting():
		return !now.Before(t.RetryAfter)
	case t.Status == InProgress:
		return !q.live(t, now)
	}
	return false
}

// live reports whether t is held under a lease that has not expired, by a
// run that is alive (or by no run).
func (q *Memory) live(t *Task, now time.Time) bool {
	if t.Status != InProgress || !now.Before(t.LockedUntil) {
		return false
	}
	if t.Run == 0 {
		return true
	}
	r := q.runs[t.Run]
	return r != nil && now.Before(r.aliveUntil)
}

// siblingHeld reports whether another task of t's symbol is held.
func (q *Memory) siblingHeld(t *Task, now time.Time) bool {
	for _, id := range q.bySymbol[t.Symbol] {
		if o := q.task(id); id != t.ID && o != nil && q.live(o, now) {
			return true
		}
	}
	return false
}

// Extend moves the lease of t, which the caller claimed, to lease from now.
// It returns [ErrLeaseLost] when another worker holds the task now.
func (q *Memory) Extend(ctx context.Context, t *Task, lease time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := q.clock.Now()
	q.mu.Lock()
	defer q.mu.Unlock()
	cur, err := q.held(t)
	if err != nil {
		return err
	}
	cur.LockedUntil = now.Add(lease)
	cur.UpdatedAt = now
	return nil
}

// Finish ends the caller's claim on t with outcome o. It returns
// [ErrLeaseLost], and changes nothing, when another worker holds the task
// now. A lease that expired without anyone claiming the task since is
// still good.
func (q *Memory) Finish(ctx context.Context, t *Task, o Outcome) error {
	if err := o.Validate(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	now := q.clock.Now()
	q.mu.Lock()
	defer q.mu.Unlock()
	cur, err := q.held(t)
	if err != nil {
		return err
	}
	cur.Status = o.Status
	if o.Attempt {
		cur.Attempts++
	}
	cur.RetryAfter = o.RetryAfter
	if o.Error != "" {
		cur.LastError = o.Error
	}
	cur.Result = o.Result
	cur.LockedBy = ""
	cur.LockedUntil = time.Time{}
	cur.Run = 0
	cur.UpdatedAt = now
	if cur.Status.Terminal() {
		for _, r := range q.runs {
			delete(r.open, cur.ID)
		}
	}
	return nil
}

// Summarize counts the unfinished tasks of run by status.
func (q *Memory) Summarize(ctx context.Context, run RunID) (Summary, error) {
	if err := ctx.Err(); err != nil {
		return Summary{}, err
	}
	now := q.clock.Now()
	q.mu.Lock()
	defer q.mu.Unlock()
	r := q.runs[run]
	if r == nil {
		return Summary{}, fmt.Errorf("queue: summarize: %w", errNoRun(run))
	}
	s := Summary{Counts: make(map[Status]int)}
	for id := range r.open {
		if t := q.task(id); t != nil {
			q.count(&s, t, now)
		}
	}
	return s, nil
}

// count adds t to s.
func (q *Memory) count(s *Summary, t *Task, now time.Time) {
	s.Counts[t.Status]++
	var at time.Time
	switch {
	case t.Status.Waiting():
		at = t.RetryAfter
	case q.live(t, now):
		at = t.LockedUntil
	}
	if at.After(now) && (s.Wake.IsZero() || at.Before(s.Wake)) {
		s.Wake = at
	}
}

// Prune deletes the tasks that ended (completed or permanently_failed)
// longer than keep ago, and the runs that have not been alive for as
// long, and returns how many tasks it deleted. Their IDs are not reused.
func (q *Memory) Prune(ctx context.Context, keep time.Duration) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	before := q.clock.Now().Add(-keep)
	q.mu.Lock()
	defer q.mu.Unlock()
	var n int64
	for i := range q.tasks {
		t := &q.tasks[i]
		if t.Status.Terminal() && t.UpdatedAt.Before(before) {
			delete(q.byKey, Spec{Symbol: t.Symbol, Range: t.Range})
			q.bySymbol[t.Symbol] = slices.DeleteFunc(q.bySymbol[t.Symbol], func(id int64) bool { return id == t.ID })
			*t = Task{ID: t.ID, Status: pruned}
			n++
		}
	}
	for id, r := range q.runs {
		if r.aliveUntil.Before(before) {
			delete(q.runs, id)
		}
	}
	return n, nil
}

// pruned marks the slot of a deleted task of a Memory queue.
const pruned Status = ""

// Get returns a copy of the task with the given ID.
func (q *Memory) Get(ctx context.Context, id int64) (*Task, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	t := q.task(id)
	if t == nil {
		return nil, fmt.Errorf("queue: no task %d", id)
	}
	c := *t
	return &c, nil
}

// Tasks returns a copy of every task, in ID order.
func (q *Memory) Tasks(ctx context.Context) ([]Task, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.DeleteFunc(slices.Clone(q.tasks), func(t Task) bool { return t.Status == pruned }), nil
}

func (q *Memory) task(id int64) *Task {
	if id < 1 || id > int64(len(q.tasks)) || q.tasks[id-1].Status == pruned {
		return nil
	}
	return &q.tasks[id-1]
}

// held returns the stored task t when the caller still holds its lease.
func (q *Memory) held(t *Task) (*Task, error) {
	cur := q.task(t.ID)
	if cur == nil || cur.Status != InProgress || cur.LockedBy != t.LockedBy {
		return nil, fmt.Errorf("task %d (%s) by %s: %w", t.ID, t.Symbol, t.LockedBy, ErrLeaseLost)
	}
	return cur, nil
}

// reopens reports whether opts reopen a task completed at done.
func reopens(opts EnqueueOptions, done time.Time) bool {
	return opts.Force || (!opts.ReopenCompletedBefore.IsZero() && done.Before(opts.ReopenCompletedBefore))
}
