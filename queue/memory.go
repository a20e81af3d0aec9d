package queue

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/pricefill/pricefill"
)

// An Option configures a queue.
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

	mu     sync.Mutex
	tasks  []Task         // tasks[id-1]
	byKey  map[Spec]int64 // identity → id
	claims uint64         // claims made, for lease tokens
}

// NewMemory returns an empty in-memory queue.
func NewMemory(opts ...Option) *Memory {
	cfg := newConfig(opts)
	return &Memory{clock: cfg.clock, byKey: make(map[Spec]int64)}
}

// Enqueue adds a pending task for every spec not queued yet and returns the
// IDs of the specs' tasks, new or old, in order. An existing task keeps its
// state, except that a permanently_failed one is reset to pending with no
// attempts (a new run gives it another chance) and, with opts.Force, so is
// a completed one.
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
		} else if t := &q.tasks[id-1]; t.Status == PermanentlyFailed || (opts.Force && t.Status == Completed) {
			*t = Task{ID: id, Symbol: t.Symbol, Range: t.Range, Status: Pending, CreatedAt: t.CreatedAt, UpdatedAt: now}
		}
		ids[i] = id
	}
	return ids, nil
}

// Claim takes the first claimable task among ids, in ID order, for worker
// and a lease of the given length. A task is claimable when it is waiting
// (pending, failed or rate_limited) and its retry_after has passed, or when
// it is in progress and its lease has expired. Claim returns nil and no
// error when no task is claimable now.
func (q *Memory) Claim(ctx context.Context, ids []int64, worker string, lease time.Duration) (*Task, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	now := q.clock.Now()
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, id := range ids {
		t := q.task(id)
		if t == nil || !claimable(t, now) {
			continue
		}
		q.claims++
		t.Status = InProgress
		t.LockedBy = worker + "#" + strconv.FormatUint(q.claims, 10)
		t.LockedUntil = now.Add(lease)
		t.UpdatedAt = now
		c := *t
		return &c, nil
	}
	return nil, nil
}

func claimable(t *Task, now time.Time) bool {
	switch {
	case t.Status.Waiting():
		return !now.Before(t.RetryAfter)
	case t.Status == InProgress:
		return !now.Before(t.LockedUntil)
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
	cur.UpdatedAt = now
	return nil
}

// Summarize counts the tasks among ids by status.
func (q *Memory) Summarize(ctx context.Context, ids []int64) (Summary, error) {
	if err := ctx.Err(); err != nil {
		return Summary{}, err
	}
	now := q.clock.Now()
	q.mu.Lock()
	defer q.mu.Unlock()
	s := Summary{Counts: make(map[Status]int)}
	seen := make(map[int64]bool, len(ids))
	for _, id := range ids {
		t := q.task(id)
		if t == nil || seen[id] {
			continue
		}
		seen[id] = true
		s.Counts[t.Status]++
		var at time.Time
		switch {
		case t.Status.Waiting():
			at = t.RetryAfter
		case t.Status == InProgress:
			at = t.LockedUntil
		}
		if at.After(now) && (s.Wake.IsZero() || at.Before(s.Wake)) {
			s.Wake = at
		}
	}
	return s, nil
}

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
	return slices.Clone(q.tasks), nil
}

func (q *Memory) task(id int64) *Task {
	if id < 1 || id > int64(len(q.tasks)) {
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
