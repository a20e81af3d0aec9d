package queue

import (
	"context"
	"time"
)

// A Queue holds the runner's tasks, one per symbol and range, durably or
// not. [Memory] is one; package store keeps one in its database. The
// package documentation describes the state machine every Queue follows,
// and the suite in queuetest checks an implementation against it.
//
// A run enqueues its tasks, starts a run over them, and then claims and
// summarizes by the run: those calls cost the same whatever the run's
// size. While it goes on, the run beats: a task held by a run that has
// stopped beating may be claimed by another at once, without waiting for
// the task's lease.
type Queue interface {
	// Enqueue adds a task for each spec, idempotently, and returns their IDs.
	Enqueue(ctx context.Context, specs []Spec, opts EnqueueOptions) ([]int64, error)
	// StartRun begins a run over the tasks ids for the process named
	// worker, alive for the given time unless Heartbeat renews it, and
	// returns the run and a summary of the tasks.
	StartRun(ctx context.Context, ids []int64, worker string, alive time.Duration) (RunID, Summary, error)
	// Heartbeat keeps the run alive for the given time from now.
	Heartbeat(ctx context.Context, run RunID, alive time.Duration) error
	// Claim takes one claimable task of the run for worker, with a lease of
	// the given length; it returns nil, nil when none is claimable now.
	Claim(ctx context.Context, run RunID, worker string, lease time.Duration) (*Task, error)
	// Extend renews the caller's lease on t. It returns an error matching
	// [ErrLeaseLost] when the caller no longer holds the task.
	Extend(ctx context.Context, t *Task, lease time.Duration) error
	// Finish ends the caller's claim on t with an outcome. It returns an
	// error matching [ErrLeaseLost], and changes nothing, when the caller
	// no longer holds the task.
	Finish(ctx context.Context, t *Task, o Outcome) error
	// Summarize counts the run's unfinished tasks by status.
	Summarize(ctx context.Context, run RunID) (Summary, error)
	// EndRun ends the run; the tasks it still holds may be claimed at once.
	EndRun(ctx context.Context, run RunID) error
}

var _ Queue = (*Memory)(nil)
