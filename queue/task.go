package queue

import (
	"errors"
	"fmt"
	"time"

	"github.com/pricefill/pricefill"
)

// ErrLeaseLost is returned by Extend and Finish when the caller no longer
// holds the task's lease: another worker claimed it after the lease expired,
// or the task is no longer in progress. The call changed nothing.
var ErrLeaseLost = errors.New("queue: lease lost")

// A Status is the state of a task. The values are the ones stored in the
// backfill_queue table.
type Status string

// The statuses. See the package documentation for the transitions.
const (
	Pending           Status = "pending"
	InProgress        Status = "in_progress"
	Completed         Status = "completed"
	Failed            Status = "failed"
	RateLimited       Status = "rate_limited"
	PermanentlyFailed Status = "permanently_failed"
)

// Statuses lists every status, in the order of the package documentation.
var Statuses = []Status{Pending, InProgress, Completed, Failed, RateLimited, PermanentlyFailed}

// Terminal reports whether s is final for a run: completed or permanently_failed.
func (s Status) Terminal() bool { return s == Completed || s == PermanentlyFailed }

// Waiting reports whether a task in s waits to be claimed, now or after its
// retry_after: pending, failed or rate_limited.
func (s Status) Waiting() bool { return s == Pending || s == Failed || s == RateLimited }

// transitions is the state machine of the package documentation: which
// status may follow which. Claim moves a waiting task, or one whose lease
// expired, to in_progress; Finish moves an in_progress task on; Enqueue
// resets a terminal one to pending.
var transitions = map[Status][]Status{
	Pending:           {InProgress},
	Failed:            {InProgress},
	RateLimited:       {InProgress},
	InProgress:        {InProgress, Completed, Failed, RateLimited, PermanentlyFailed, Pending},
	Completed:         {Pending},
	PermanentlyFailed: {Pending},
}

// CanTransition reports whether the state machine allows a task to move
// from one status to another.
func CanTransition(from, to Status) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// A Spec names the work of one task: one symbol over one range. A symbol
// and range make the task's identity: enqueueing the same Spec again finds
// the same task.
type Spec struct {
	Symbol string
	Range  pricefill.Range
}

// EnqueueOptions change what Enqueue does with tasks that exist already.
type EnqueueOptions struct {
	// Force resets completed tasks to pending, so their symbols are fetched
	// again. Without it a completed task stays completed.
	Force bool
	// ReopenCompletedBefore, when set, resets to pending, as Force does,
	// the tasks completed before it: those whose completion a check begun
	// then may have found stale, while a task that another process
	// completed since is left alone. Zero reopens none.
	ReopenCompletedBefore time.Time
}

// A Task is one row of the queue.
type Task struct {
	ID     int64
	Symbol string
	Range  pricefill.Range
	Status Status
	// Attempts counts the transient failures so far; rate limits and
	// permanent failures do not count.
	Attempts int
	// RetryAfter is the earliest time a failed or rate_limited task may be
	// claimed again; zero when it may be claimed at once.
	RetryAfter time.Time
	// LastError is the text of the last failure, or empty; a later success
	// or release keeps it, as history.
	LastError string
	// LockedBy is the lease token of the worker holding an in_progress task:
	// the worker's name and a number unique to the claim.
	LockedBy string
	// LockedUntil is when the lease expires unless it is extended.
	LockedUntil time.Time
	// Run is the run whose worker holds an in_progress task, or 0. The
	// task may be claimed again before LockedUntil once that run is no
	// longer alive (see [Run]).
	Run RunID
	// Result holds the statistics of a completed task.
	Result    Result
	CreatedAt time.Time
	UpdatedAt time.Time
}

// A Result is what a completed task did.
type Result struct {
	// Counts counts the bars the task stored, by what became of them.
	pricefill.Counts
	// Completeness is the share of the range's expected trading days that
	// are stored after the task, in percent (0 to 100).
	Completeness float64
}

// An Outcome is how a claimed task ended, as given to Finish. Build one
// with [Succeed], [Retry], [RetryRateLimited], [Fail], [FailLastAttempt] or
// [Release] or [Defer].
type Outcome struct {
	// Status is the task's next status.
	Status Status
	// Attempt says the outcome uses up an attempt: Attempts grows by one.
	Attempt bool
	// RetryAfter is when a failed or rate_limited task may be claimed again.
	RetryAfter time.Time
	// Error is the failure, stored as last_error.
	Error string
	// Result is the statistics of a completed task.
	Result Result
}

// Succeed completes a task with its statistics.
func Succeed(r Result) Outcome { return Outcome{Status: Completed, Result: r} }

// Retry records a transient failure: the task is failed, uses up an
// attempt, and may be claimed again from at on.
func Retry(at time.Time, err error) Outcome {
	return Outcome{Status: Failed, Attempt: true, RetryAfter: at, Error: errText(err)}
}

// RetryRateLimited records a refusal for rate: the task is rate_limited and
// may be claimed again from at on, without using up an attempt.
func RetryRateLimited(at time.Time, err error) Outcome {
	return Outcome{Status: RateLimited, RetryAfter: at, Error: errText(err)}
}

// Fail ends a task for good without using up an attempt: the symbol is
// unknown or the failure is permanent.
func Fail(err error) Outcome {
	return Outcome{Status: PermanentlyFailed, Error: errText(err)}
}

// FailLastAttempt ends a task for good after a transient failure on its last
// allowed attempt: it uses up that attempt.
func FailLastAttempt(err error) Outcome {
	return Outcome{Status: PermanentlyFailed, Attempt: true, Error: errText(err)}
}

// Release gives an unfinished task back: it is pending again, with its
// attempts and last error unchanged. Workers release their tasks when the
// run is cancelled.
func Release() Outcome { return Outcome{Status: Pending} }

// Defer gives a task back after a failure that was not the task's own,
// such as the provider's outage: it is pending again, with its attempts
// unchanged and err recorded as its last error.
func Defer(err error) Outcome { return Outcome{Status: Pending, Error: errText(err)} }

// Validate reports an error when the outcome cannot end an in_progress task.
func (o Outcome) Validate() error {
	if !CanTransition(InProgress, o.Status) || o.Status == InProgress {
		return fmt.Errorf("queue: outcome status %q cannot end a task", o.Status)
	}
	if o.Attempt && o.Status != Failed && o.Status != PermanentlyFailed {
		return fmt.Errorf("queue: outcome %q cannot use up an attempt", o.Status)
	}
	return nil
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// A RunID names a run: the tasks that one backfill run works through and
// waits for, and the process doing them. StartRun begins a run over a list
// of tasks; claims and summaries then name the run instead of listing its
// tasks, so that they cost the same whatever the run's size (a run holds
// only its unfinished tasks: a task leaves its runs when it becomes
// terminal). A run is alive for the time StartRun and Heartbeat give it; a
// task held by a run that is no longer alive may be claimed at once,
// without waiting for its lease to expire, so that a process that was
// killed leaves its work to the next within seconds. EndRun ends a run,
// and its held tasks may be claimed at once too.
type RunID int64

// errNoRun says a run is unknown to its queue.
func errNoRun(run RunID) error { return fmt.Errorf("no run %d (it ended, or was pruned as dead)", run) }

// A Summary counts a set of tasks by status: the tasks of a list
// (StartRun) or the unfinished tasks of a run (Summarize).
type Summary struct {
	Counts map[Status]int
	// Wake is the earliest time a task of the set that cannot be claimed
	// now may become claimable: a retry_after ahead, or the expiry of a
	// lease held by a worker. It is zero when there is none.
	Wake time.Time
}

// Total returns the number of tasks counted.
func (s Summary) Total() int {
	n := 0
	for _, c := range s.Counts {
		n += c
	}
	return n
}

// Done reports whether every task counted is terminal.
func (s Summary) Done() bool {
	return s.Counts[Completed]+s.Counts[PermanentlyFailed] == s.Total()
}

// A RunInfo is a run as a status view shows it.
type RunInfo struct {
	ID         RunID
	Worker     string
	StartedAt  time.Time
	AliveUntil time.Time
	// Alive says the run's heartbeat has not lapsed, by the queue's clock.
	Alive bool
	// Open counts the run's unfinished tasks.
	Open int
}
