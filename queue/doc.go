// Package queue holds the runner's work: one task per symbol and date
// range, with its status, attempts, retry time and lease. It defines the
// [Queue] interface that package backfill's runner works through, the
// vocabulary the implementations share ([Task], [Status], [Outcome],
// [Spec], [RunID], [Summary]…), and [Memory], a queue held in memory.
// Package store keeps a durable one in its database (store.Queue, embedded
// in store.DB). Both pass the conformance suite in package queuetest.
//
// # States
//
// A task is created pending by Enqueue. StartRun begins a run over a list
// of tasks (see [RunID]); Claim takes a task of the run that is waiting and
// due, giving the worker a lease: a token (LockedBy) and an expiry
// (LockedUntil) that the worker renews with Extend while it works. Finish
// moves the task on with an [Outcome]:
//
//	from                       to                   by
//	(none)                     pending              Enqueue
//	pending, failed,           in_progress          Claim, once retry_after has passed
//	  rate_limited
//	in_progress                in_progress          Claim by another worker, once the lease expired
//	                                                  or the holder's run is no longer alive
//	in_progress                completed            Finish(Succeed(result))
//	in_progress                failed               Finish(Retry(at, err)): attempts+1
//	in_progress                rate_limited         Finish(RetryRateLimited(at, err)): attempts unchanged
//	in_progress                permanently_failed   Finish(Fail(err)): not found or permanent, attempts unchanged
//	in_progress                permanently_failed   Finish(FailLastAttempt(err)): the last transient failure, attempts+1
//	in_progress                pending              Finish(Release()): given back on shutdown, attempts unchanged
//	in_progress                pending              Finish(Defer(err)): given back for the provider's outage, attempts unchanged
//	completed                  pending              Enqueue with Force, or completed before ReopenCompletedBefore
//	permanently_failed         pending              Enqueue: a new run, attempts reset to 0
//
// completed and permanently_failed are terminal: a run is over when every
// one of its tasks is in one of them. [CanTransition] holds this table.
//
// # Leases and fencing
//
// A lease token is unique to a claim. Extend and Finish name the token they
// hold, and once another worker has claimed the task after the lease
// expired, they fail with [ErrLeaseLost] and change nothing, so a worker
// that stalled cannot overwrite the work of the one that took over. A lease
// that expired while nobody claimed the task is still honoured.
//
// A claim takes a task only while no other task of its symbol is held:
// two runs over different ranges of one symbol take turns on it, and the
// later finds the earlier's bars stored.
//
// # Runs and heartbeats
//
// Claims and summaries name a run, not a list of tasks: a run holds its
// unfinished tasks, and a task leaves its runs when it becomes terminal,
// so a claim or a summary walks only what is left and costs the same
// whatever the run's size. A run is alive for the time StartRun and
// Heartbeat give it; the runner beats every few seconds. A task held by a
// run that stopped beating, or that ended, may be claimed at once: after
// a process is killed its tasks move within seconds, where their leases
// would hold them for a minute.
//
// # Time
//
// A queue's clock decides every lease, retry time, heartbeat and claim:
// [WithClock] gives [Memory] one (tests give a fake), and the times of an
// [Outcome] and a [Summary] are on it. A queue shared by processes on
// several machines may let its database's clock decide instead, as
// package store's does on PostgreSQL, so that processes whose clocks
// disagree still agree on who holds what.
//
// # Identity and retention
//
// A task is identified by its symbol and range: enqueueing the same [Spec]
// twice returns the same task, so re-running a job does not duplicate it.
// Prune deletes the tasks that ended long ago; enqueueing one of their
// specs again makes a new task.
//
// # Implementing a Queue
//
// A Queue of your own (on another database, say) implements the eight
// methods of [Queue] and follows the table above: a claim is fenced by
// its lease token, Finish and Extend return an error matching
// [ErrLeaseLost] and change nothing once another worker took the task
// over, and [Outcome.Validate] tells which outcomes may end a task. Then
// it runs the suite, with a fresh queue for each test on the clock the
// suite gives:
//
//	func TestConformance(t *testing.T) {
//		queuetest.Run(t, func(t *testing.T, clock pricefill.Clock) queuetest.Queue {
//			return myqueue.New(t, clock) // with Get and Prune too
//		})
//	}
//
// The suite checks the state machine, idempotent enqueueing, leases and
// fencing, runs and heartbeats, and concurrent claims; [Memory] and both
// of package store's databases run it.
package queue
