// Package queuetest is the conformance suite for queue implementations:
// every implementation of [queue.Queue] runs [Run], so the in-memory and
// SQL queues are held to the very same behaviour.
package queuetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/internal/clocktest"
	"github.com/pricefill/pricefill/queue"
)

// A Queue is what the suite tests: the runner's queue, plus a way to read
// one task.
type Queue interface {
	queue.Queue
	Get(ctx context.Context, id int64) (*queue.Task, error)
	Prune(ctx context.Context, keep time.Duration) (int64, error)
}

// NewFunc returns a new, empty queue whose time is read from clock. Each
// call must return a queue that shares no tasks with the others.
type NewFunc func(t *testing.T, clock pricefill.Clock) Queue

// Start is the fake time at which every test begins: a whole second, which
// every implementation stores exactly.
var Start = time.Date(2026, 1, 5, 14, 30, 0, 0, time.UTC)

// Lease is the lease length the tests claim with.
const Lease = time.Minute

// Alive is how long the tests' runs are alive without a heartbeat, unless
// a test says otherwise: longer than any test's time.
const Alive = 24 * time.Hour

var rng = pricefill.Range{From: pricefill.Date(2025, 1, 1), To: pricefill.Date(2025, 12, 31)}

type env struct {
	t     *testing.T
	ctx   context.Context
	q     Queue
	clock *clocktest.Fake
}

func setup(t *testing.T, newQueue NewFunc) *env {
	t.Helper()
	clock := clocktest.NewFake(Start)
	return &env{t: t, ctx: context.Background(), q: newQueue(t, clock), clock: clock}
}

func (e *env) enqueue(opts queue.EnqueueOptions, symbols ...string) []int64 {
	e.t.Helper()
	specs := make([]queue.Spec, len(symbols))
	for i, s := range symbols {
		specs[i] = queue.Spec{Symbol: s, Range: rng}
	}
	ids, err := e.q.Enqueue(e.ctx, specs, opts)
	if err != nil {
		e.t.Fatalf("Enqueue(%v): %v", symbols, err)
	}
	if len(ids) != len(symbols) {
		e.t.Fatalf("Enqueue(%v) returned %d IDs, want %d", symbols, len(ids), len(symbols))
	}
	return ids
}

// start starts a run over ids, alive for a while, and returns it.
func (e *env) start(ids []int64, alive time.Duration) queue.RunID {
	e.t.Helper()
	run, _, err := e.q.StartRun(e.ctx, ids, "proc", alive)
	if err != nil {
		e.t.Fatalf("StartRun(%v): %v", ids, err)
	}
	return run
}

// count returns the summary of ids: that of a new run over them.
func (e *env) count(ids []int64) queue.Summary {
	e.t.Helper()
	run, s, err := e.q.StartRun(e.ctx, ids, "counter", Alive)
	if err != nil {
		e.t.Fatalf("StartRun(%v): %v", ids, err)
	}
	if err := e.q.EndRun(e.ctx, run); err != nil {
		e.t.Fatalf("EndRun(%d): %v", run, err)
	}
	return s
}

// claim claims a task among ids, for worker of a new run over them.
func (e *env) claim(ids []int64, worker string) *queue.Task {
	e.t.Helper()
	return e.claimIn(e.start(ids, Alive), worker)
}

func (e *env) claimIn(run queue.RunID, worker string) *queue.Task {
	e.t.Helper()
	task, err := e.q.Claim(e.ctx, run, worker, Lease)
	if err != nil {
		e.t.Fatalf("Claim by %s: %v", worker, err)
	}
	return task
}

func (e *env) mustClaimIn(run queue.RunID, worker string) *queue.Task {
	e.t.Helper()
	task := e.claimIn(run, worker)
	if task == nil {
		e.t.Fatalf("Claim by %s in run %d: no task claimable, want one", worker, run)
	}
	return task
}

func (e *env) mustClaim(ids []int64, worker string) *queue.Task {
	e.t.Helper()
	task := e.claim(ids, worker)
	if task == nil {
		e.t.Fatalf("Claim by %s: no task claimable, want one", worker)
	}
	return task
}

func (e *env) finish(task *queue.Task, o queue.Outcome) {
	e.t.Helper()
	if err := e.q.Finish(e.ctx, task, o); err != nil {
		e.t.Fatalf("Finish(%d, %s): %v", task.ID, o.Status, err)
	}
}

func (e *env) get(id int64) *queue.Task {
	e.t.Helper()
	task, err := e.q.Get(e.ctx, id)
	if err != nil {
		e.t.Fatalf("Get(%d): %v", id, err)
	}
	return task
}

// Run runs the whole suite against the queues newQueue makes.
func Run(t *testing.T, newQueue NewFunc) {
	tests := []struct {
		name string
		fn   func(t *testing.T, e *env)
	}{
		{"EnqueueIsIdempotent", testEnqueueIdempotent},
		{"EnqueueRejectsBadRange", testEnqueueBadRange},
		{"EnqueueResetsTerminalTasks", testEnqueueResets},
		{"EnqueueReopensTasksCompletedBefore", testReopenCompletedBefore},
		{"ClaimTakesPendingInOrder", testClaimInOrder},
		{"ClaimOnlyAmongIDs", testClaimAmongIDs},
		{"RetryAfterIsRespected", testRetryAfter},
		{"AttemptsCountTransientFailuresOnly", testAttempts},
		{"ReleaseKeepsAttempts", testRelease},
		{"ExpiredLeaseIsReclaimedAndFenced", testLeaseFencing},
		{"ExpiredLeaseNotReclaimedIsHonoured", testExpiredNotReclaimed},
		{"ExtendKeepsTheLease", testExtend},
		{"FinishRejectsBadOutcomes", testBadOutcome},
		{"SummarizeCountsAndWakes", testSummarize},
		{"ConcurrentClaimsTakeEachTaskOnce", testConcurrentClaims},
		{"StateMachine", testStateMachine},
		{"ClaimSkipsAHeldSymbol", testHeldSymbol},
		{"DeadRunsTasksAreTakenOver", testDeadRun},
		{"EndRunFreesItsTasks", testEndRun},
		{"PruneDeletesOldEndedTasks", testPrune},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, setup(t, newQueue))
		})
	}
}

func testEnqueueIdempotent(t *testing.T, e *env) {
	first := e.enqueue(queue.EnqueueOptions{}, "AAPL", "MSFT", "AAPL")
	if first[0] != first[2] {
		t.Errorf("the same spec twice in one call got IDs %d and %d, want one task", first[0], first[2])
	}
	if first[0] == first[1] {
		t.Errorf("AAPL and MSFT share ID %d", first[0])
	}
	again := e.enqueue(queue.EnqueueOptions{}, "MSFT", "AAPL")
	if again[0] != first[1] || again[1] != first[0] {
		t.Errorf("enqueue again: IDs %v, want %v", again, []int64{first[1], first[0]})
	}
	other, err := e.q.Enqueue(e.ctx, []queue.Spec{{Symbol: "AAPL", Range: pricefill.Range{From: rng.From, To: rng.To.AddDate(0, 0, 1)}}}, queue.EnqueueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if other[0] == first[0] {
		t.Errorf("AAPL over another range got the same ID %d, want a new task", other[0])
	}
	task := e.get(first[0])
	if task.Symbol != "AAPL" || task.Status != queue.Pending || task.Attempts != 0 || !task.Range.From.Equal(rng.From) || !task.Range.To.Equal(rng.To) {
		t.Errorf("new task = %+v, want AAPL pending over %s with no attempts", task, rng)
	}
	if got := e.count(append(first, other...)).Total(); got != 3 {
		t.Errorf("Summarize counts %d tasks, want 3", got)
	}
}

func testEnqueueBadRange(t *testing.T, e *env) {
	bad := pricefill.Range{From: rng.To, To: rng.From}
	if _, err := e.q.Enqueue(e.ctx, []queue.Spec{{Symbol: "AAPL", Range: bad}}, queue.EnqueueOptions{}); err == nil {
		t.Errorf("Enqueue with range %s succeeded, want an error", bad)
	}
}

func testEnqueueResets(t *testing.T, e *env) {
	ids := e.enqueue(queue.EnqueueOptions{}, "DONE", "GONE", "WAIT")
	e.finish(e.mustClaim(ids[:1], "w"), queue.Succeed(queue.Result{Counts: pricefill.Counts{Inserted: 5}}))
	e.finish(e.mustClaim(ids[1:2], "w"), queue.Retry(Start, errors.New("boom")))
	e.finish(e.mustClaim(ids[1:2], "w"), queue.FailLastAttempt(errors.New("boom")))
	e.finish(e.mustClaim(ids[2:], "w"), queue.Retry(Start.Add(time.Hour), errors.New("later")))

	e.enqueue(queue.EnqueueOptions{}, "DONE", "GONE", "WAIT")
	if got := e.get(ids[0]); got.Status != queue.Completed || got.Result.Inserted != 5 {
		t.Errorf("completed task after enqueue: %s with %+v, want it completed as it was", got.Status, got.Result)
	}
	if got := e.get(ids[1]); got.Status != queue.Pending || got.Attempts != 0 {
		t.Errorf("permanently failed task after enqueue: %s with %d attempts, want pending with 0", got.Status, got.Attempts)
	}
	if got := e.get(ids[2]); got.Status != queue.Failed || got.Attempts != 1 || !got.RetryAfter.Equal(Start.Add(time.Hour)) {
		t.Errorf("failed task after enqueue: %s, %d attempts, retry after %s; want failed, 1, %s unchanged", got.Status, got.Attempts, got.RetryAfter, Start.Add(time.Hour))
	}

	e.enqueue(queue.EnqueueOptions{Force: true}, "DONE")
	if got := e.get(ids[0]); got.Status != queue.Pending || got.Result != (queue.Result{}) {
		t.Errorf("completed task after forced enqueue: %s with %+v, want pending with no result", got.Status, got.Result)
	}
}

// testReopenCompletedBefore: a task completed before the cutoff is
// reopened; one completed after it, or not completed, is left as it is.
func testReopenCompletedBefore(t *testing.T, e *env) {
	ids := e.enqueue(queue.EnqueueOptions{}, "OLD", "NEW", "WAIT")
	e.finish(e.mustClaim(ids[:1], "w"), queue.Succeed(queue.Result{Counts: pricefill.Counts{Inserted: 5}}))
	e.clock.Advance(time.Minute)
	cutoff := e.clock.Now()
	e.clock.Advance(time.Minute)
	e.finish(e.mustClaim(ids[1:2], "w"), queue.Succeed(queue.Result{Counts: pricefill.Counts{Inserted: 7}}))
	e.finish(e.mustClaim(ids[2:], "w"), queue.Retry(Start.Add(time.Hour), errors.New("later")))

	e.enqueue(queue.EnqueueOptions{ReopenCompletedBefore: cutoff}, "OLD", "NEW", "WAIT")
	if got := e.get(ids[0]); got.Status != queue.Pending || got.Result != (queue.Result{}) {
		t.Errorf("task completed before the cutoff: %s with %+v, want pending with no result", got.Status, got.Result)
	}
	if got := e.get(ids[1]); got.Status != queue.Completed || got.Result.Inserted != 7 {
		t.Errorf("task completed after the cutoff: %s with %+v, want it completed as it was", got.Status, got.Result)
	}
	if got := e.get(ids[2]); got.Status != queue.Failed || got.Attempts != 1 {
		t.Errorf("failed task: %s with %d attempts, want failed with 1, unchanged", got.Status, got.Attempts)
	}
}

func testClaimInOrder(t *testing.T, e *env) {
	ids := e.enqueue(queue.EnqueueOptions{}, "A", "B")
	first := e.mustClaim(ids, "w1")
	if first.ID != ids[0] || first.Symbol != "A" || first.Status != queue.InProgress {
		t.Errorf("first claim = %d %s %s, want %d A in_progress", first.ID, first.Symbol, first.Status, ids[0])
	}
	if first.LockedBy == "" || !first.LockedUntil.Equal(Start.Add(Lease)) {
		t.Errorf("first claim lease = %q until %s, want a token until %s", first.LockedBy, first.LockedUntil, Start.Add(Lease))
	}
	second := e.mustClaim(ids, "w1")
	if second.ID != ids[1] {
		t.Errorf("second claim = %d, want %d", second.ID, ids[1])
	}
	if second.LockedBy == first.LockedBy {
		t.Errorf("two claims share the lease token %q", first.LockedBy)
	}
	if got := e.claim(ids, "w2"); got != nil {
		t.Errorf("third claim = task %d, want none (both are leased)", got.ID)
	}
}

func testClaimAmongIDs(t *testing.T, e *env) {
	ids := e.enqueue(queue.EnqueueOptions{}, "A", "B", "C")
	got := e.mustClaim(ids[2:], "w")
	if got.ID != ids[2] {
		t.Errorf("claim among [%d] took %d", ids[2], got.ID)
	}
	if got := e.claim(nil, "w"); got != nil {
		t.Errorf("claim among no IDs took %d", got.ID)
	}
	if got := e.claim([]int64{ids[2] + 1000}, "w"); got != nil {
		t.Errorf("claim among unknown IDs took %d", got.ID)
	}
}

func testRetryAfter(t *testing.T, e *env) {
	ids := e.enqueue(queue.EnqueueOptions{}, "A")
	e.finish(e.mustClaim(ids, "w"), queue.Retry(Start.Add(10*time.Second), errors.New("503")))
	e.clock.Advance(9 * time.Second)
	if got := e.claim(ids, "w"); got != nil {
		t.Fatalf("claimed at +9s a task due at +10s")
	}
	e.clock.Advance(time.Second)
	e.mustClaim(ids, "w")

	ids = e.enqueue(queue.EnqueueOptions{}, "B")
	e.finish(e.mustClaim(ids, "w"), queue.RetryRateLimited(e.clock.Now().Add(30*time.Second), errors.New("429")))
	e.clock.Advance(29 * time.Second)
	if got := e.claim(ids, "w"); got != nil {
		t.Fatalf("claimed a rate-limited task 1s before its retry_after")
	}
	e.clock.Advance(time.Second)
	e.mustClaim(ids, "w")
}

func testAttempts(t *testing.T, e *env) {
	ids := e.enqueue(queue.EnqueueOptions{}, "A")
	steps := []struct {
		o        queue.Outcome
		status   queue.Status
		attempts int
	}{
		{queue.Retry(Start, errors.New("t1")), queue.Failed, 1},
		{queue.RetryRateLimited(Start, errors.New("r1")), queue.RateLimited, 1},
		{queue.Retry(Start, errors.New("t2")), queue.Failed, 2},
		{queue.Release(), queue.Pending, 2},
		{queue.FailLastAttempt(errors.New("t3")), queue.PermanentlyFailed, 3},
	}
	for _, s := range steps {
		e.finish(e.mustClaim(ids, "w"), s.o)
		got := e.get(ids[0])
		if got.Status != s.status || got.Attempts != s.attempts {
			t.Fatalf("after %s: %s with %d attempts, want %s with %d", s.o.Status, got.Status, got.Attempts, s.status, s.attempts)
		}
	}
	if got := e.get(ids[0]); got.LastError != "t3" {
		t.Errorf("last_error = %q, want %q", got.LastError, "t3")
	}
	ids = e.enqueue(queue.EnqueueOptions{}, "B")
	e.finish(e.mustClaim(ids, "w"), queue.Fail(pricefill.NotFound("B", nil)))
	if got := e.get(ids[0]); got.Status != queue.PermanentlyFailed || got.Attempts != 0 || got.LastError != "symbol B not found" {
		t.Errorf("not found: %s, %d attempts, %q; want permanently_failed, 0, %q", got.Status, got.Attempts, got.LastError, "symbol B not found")
	}
}

func testRelease(t *testing.T, e *env) {
	ids := e.enqueue(queue.EnqueueOptions{}, "A")
	e.finish(e.mustClaim(ids, "w"), queue.Retry(Start, errors.New("first")))
	e.finish(e.mustClaim(ids, "w"), queue.Release())
	got := e.get(ids[0])
	if got.Status != queue.Pending || got.Attempts != 1 || got.LastError != "first" || got.LockedBy != "" {
		t.Errorf("released: %s, %d attempts, %q, locked by %q; want pending, 1, %q, none", got.Status, got.Attempts, got.LastError, got.LockedBy, "first")
	}
	e.finish(e.mustClaim(ids, "w"), queue.Defer(errors.New("provider down")))
	got = e.get(ids[0])
	if got.Status != queue.Pending || got.Attempts != 1 || got.LastError != "provider down" || !got.RetryAfter.IsZero() {
		t.Errorf("deferred: %s, %d attempts, %q, retry after %s; want pending, 1, %q, none", got.Status, got.Attempts, got.LastError, got.RetryAfter, "provider down")
	}
	e.finish(e.mustClaim(ids, "w"), queue.Succeed(queue.Result{Counts: pricefill.Counts{Inserted: 1}}))
	if got := e.get(ids[0]); got.Status != queue.Completed || got.LastError != "provider down" {
		t.Errorf("completed after a failure: %s, last error %q; want completed, %q kept as history", got.Status, got.LastError, "provider down")
	}
}

func testLeaseFencing(t *testing.T, e *env) {
	ids := e.enqueue(queue.EnqueueOptions{}, "A")
	stale := e.mustClaim(ids, "w1")
	e.clock.Advance(Lease - time.Second)
	if got := e.claim(ids, "w2"); got != nil {
		t.Fatalf("claimed a task whose lease runs 1s more")
	}
	e.clock.Advance(time.Second)
	fresh := e.mustClaim(ids, "w2")
	if fresh.ID != stale.ID || fresh.LockedBy == stale.LockedBy {
		t.Fatalf("reclaim: task %d token %q, want task %d with a new token", fresh.ID, fresh.LockedBy, stale.ID)
	}
	if err := e.q.Finish(e.ctx, stale, queue.Succeed(queue.Result{Counts: pricefill.Counts{Inserted: 1}})); !errors.Is(err, queue.ErrLeaseLost) {
		t.Errorf("late Finish by the first worker: %v, want ErrLeaseLost", err)
	}
	if err := e.q.Extend(e.ctx, stale, Lease); !errors.Is(err, queue.ErrLeaseLost) {
		t.Errorf("late Extend by the first worker: %v, want ErrLeaseLost", err)
	}
	if got := e.get(ids[0]); got.Status != queue.InProgress || got.LockedBy != fresh.LockedBy {
		t.Errorf("after the refused Finish: %s locked by %q, want in_progress by %q", got.Status, got.LockedBy, fresh.LockedBy)
	}
	e.finish(fresh, queue.Succeed(queue.Result{Counts: pricefill.Counts{Inserted: 2}}))
	if err := e.q.Finish(e.ctx, fresh, queue.Succeed(queue.Result{})); !errors.Is(err, queue.ErrLeaseLost) {
		t.Errorf("second Finish of a finished task: %v, want ErrLeaseLost", err)
	}
	if got := e.get(ids[0]); got.Status != queue.Completed || got.Result.Inserted != 2 {
		t.Errorf("final: %s with %+v, want completed with the second worker's result", got.Status, got.Result)
	}
}

func testExpiredNotReclaimed(t *testing.T, e *env) {
	ids := e.enqueue(queue.EnqueueOptions{}, "A")
	task := e.mustClaim(ids, "w1")
	e.clock.Advance(2 * Lease)
	e.finish(task, queue.Succeed(queue.Result{Counts: pricefill.Counts{Inserted: 3}}))
	if got := e.get(ids[0]); got.Status != queue.Completed {
		t.Errorf("status %s, want completed", got.Status)
	}
}

func testExtend(t *testing.T, e *env) {
	ids := e.enqueue(queue.EnqueueOptions{}, "A")
	task := e.mustClaim(ids, "w1")
	for range 3 {
		e.clock.Advance(Lease - time.Second)
		if err := e.q.Extend(e.ctx, task, Lease); err != nil {
			t.Fatalf("Extend: %v", err)
		}
		if got := e.claim(ids, "w2"); got != nil {
			t.Fatalf("claimed a task whose lease was extended")
		}
	}
	if got := e.get(ids[0]); !got.LockedUntil.Equal(e.clock.Now().Add(Lease)) {
		t.Errorf("locked_until = %s, want %s", got.LockedUntil, e.clock.Now().Add(Lease))
	}
	e.finish(task, queue.Succeed(queue.Result{}))
}

func testBadOutcome(t *testing.T, e *env) {
	ids := e.enqueue(queue.EnqueueOptions{}, "A")
	task := e.mustClaim(ids, "w")
	for _, o := range []queue.Outcome{
		{Status: queue.InProgress},
		{Status: queue.Completed, Attempt: true},
		{Status: "bogus"},
	} {
		if err := e.q.Finish(e.ctx, task, o); err == nil {
			t.Errorf("Finish with %+v succeeded, want an error", o)
		}
	}
	if got := e.get(ids[0]); got.Status != queue.InProgress {
		t.Errorf("after refused outcomes: %s, want in_progress", got.Status)
	}
}

func testSummarize(t *testing.T, e *env) {
	ids := e.enqueue(queue.EnqueueOptions{}, "A", "B", "C", "D", "E")
	run := e.start(ids, Alive)
	e.finish(e.mustClaimIn(run, "w"), queue.Succeed(queue.Result{}))                                      // A
	e.finish(e.mustClaimIn(run, "w"), queue.Retry(Start.Add(time.Hour), errors.New("x")))                 // B
	e.finish(e.mustClaimIn(run, "w"), queue.RetryRateLimited(Start.Add(20*time.Second), errors.New("y"))) // C
	e.mustClaimIn(run, "w")                                                                               // D, lease to +1m
	s, err := e.q.Summarize(e.ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	// A completed, and left the run.
	want := map[queue.Status]int{queue.Failed: 1, queue.RateLimited: 1, queue.InProgress: 1, queue.Pending: 1}
	for _, st := range queue.Statuses {
		if s.Counts[st] != want[st] {
			t.Errorf("Summarize: Counts[%s] = %d, want %d", st, s.Counts[st], want[st])
		}
	}
	if s.Done() {
		t.Errorf("Done with tasks open")
	}
	if !s.Wake.Equal(Start.Add(20 * time.Second)) {
		t.Errorf("Wake = %s, want %s (the rate-limited retry)", s.Wake, Start.Add(20*time.Second))
	}
	all := e.count(ids)
	want[queue.Completed] = 1
	for _, st := range queue.Statuses {
		if all.Counts[st] != want[st] {
			t.Errorf("StartRun's summary: Counts[%s] = %d, want %d", st, all.Counts[st], want[st])
		}
	}
	if one := e.count(ids[:1]); !one.Done() || one.Total() != 1 || !one.Wake.IsZero() {
		t.Errorf("summary of the completed task = %+v, want done, 1 task, no wake", one)
	}
	if err := e.q.EndRun(e.ctx, run); err != nil {
		t.Fatal(err)
	}
	if _, err := e.q.Summarize(e.ctx, run); err == nil {
		t.Errorf("Summarize of an ended run succeeded, want an error")
	}
}

func testConcurrentClaims(t *testing.T, e *env) {
	const tasks, workers = 200, 8
	symbols := make([]string, tasks)
	for i := range symbols {
		symbols[i] = fmt.Sprintf("S%03d", i)
	}
	ids := e.enqueue(queue.EnqueueOptions{}, symbols...)
	run := e.start(ids, Alive)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		claimed  = make(map[int64]string)
		failures atomic.Int64
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("w%d", w)
			for {
				task, err := e.q.Claim(e.ctx, run, name, Lease)
				if err != nil {
					failures.Add(1)
					t.Errorf("Claim by %s: %v", name, err)
					return
				}
				if task == nil {
					return
				}
				mu.Lock()
				if other, dup := claimed[task.ID]; dup {
					t.Errorf("task %d claimed by %s and %s", task.ID, other, name)
				}
				claimed[task.ID] = name
				mu.Unlock()
				if err := e.q.Finish(e.ctx, task, queue.Succeed(queue.Result{Counts: pricefill.Counts{Inserted: 1}})); err != nil {
					t.Errorf("Finish %d by %s: %v", task.ID, name, err)
				}
			}
		}()
	}
	wg.Wait()
	if len(claimed) != tasks {
		t.Errorf("%d tasks claimed, want %d", len(claimed), tasks)
	}
	if s := e.count(ids); s.Counts[queue.Completed] != tasks {
		t.Errorf("%d tasks completed, want %d", s.Counts[queue.Completed], tasks)
	}
	if s, err := e.q.Summarize(e.ctx, run); err != nil || s.Total() != 0 {
		t.Errorf("Summarize of the run after all completed = %+v, %v; want no task left", s, err)
	}
}

func testHeldSymbol(t *testing.T, e *env) {
	// Two runs over different ranges of AAPL: while one holds its task,
	// the other takes its other symbols, then AAPL once it is free.
	early := pricefill.Range{From: rng.From.AddDate(0, 0, 1), To: rng.To}
	first, err := e.q.Enqueue(e.ctx, []queue.Spec{{Symbol: "AAPL", Range: rng}}, queue.EnqueueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	second, err := e.q.Enqueue(e.ctx, []queue.Spec{{Symbol: "AAPL", Range: early}, {Symbol: "MSFT", Range: early}}, queue.EnqueueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r1, r2 := e.start(first, Alive), e.start(second, Alive)
	held := e.mustClaimIn(r1, "p1")
	if got := e.mustClaimIn(r2, "p2"); got.Symbol != "MSFT" {
		t.Fatalf("second run claimed %s %s while AAPL was held, want MSFT", got.Symbol, got.Range)
	}
	if got := e.claimIn(r2, "p2"); got != nil {
		t.Fatalf("second run claimed %s %s while AAPL was held, want none", got.Symbol, got.Range)
	}
	e.finish(held, queue.Succeed(queue.Result{}))
	if got := e.mustClaimIn(r2, "p2"); got.ID != second[0] {
		t.Errorf("after AAPL's first task ended, the second run claimed task %d, want %d", got.ID, second[0])
	}

	// A lease that lapsed frees its symbol too.
	third, err := e.q.Enqueue(e.ctx, []queue.Spec{{Symbol: "AAPL", Range: pricefill.Range{From: early.From, To: early.To.AddDate(0, 0, -1)}}}, queue.EnqueueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r3 := e.start(third, Alive)
	if got := e.claimIn(r3, "p3"); got != nil {
		t.Fatalf("a third run claimed AAPL while the second held it")
	}
	e.clock.Advance(Lease)
	if got := e.mustClaimIn(r3, "p3"); got.ID != third[0] {
		t.Errorf("after the second run's lease lapsed, the third claimed task %d, want %d", got.ID, third[0])
	}
}

func testDeadRun(t *testing.T, e *env) {
	ids := e.enqueue(queue.EnqueueOptions{}, "A")
	const alive = 10 * time.Second
	dead := e.start(ids, alive)
	held := e.mustClaimIn(dead, "p1")
	if held.Run != dead {
		t.Errorf("claimed task's Run = %d, want %d", held.Run, dead)
	}
	other := e.start(ids, Alive)
	e.clock.Advance(5 * time.Second)
	if err := e.q.Heartbeat(e.ctx, dead, alive); err != nil { // alive until +15s
		t.Fatal(err)
	}
	e.clock.Advance(6 * time.Second)
	if got := e.claimIn(other, "p2"); got != nil {
		t.Fatalf("at +11s, a task of a run that beat at +5s was claimed (lease to +1m), want none")
	}
	if s, err := e.q.Summarize(e.ctx, other); err != nil || !s.Wake.Equal(held.LockedUntil) {
		t.Errorf("Summarize while the task is held = %+v, %v; want Wake at the lease's end %s", s, err, held.LockedUntil)
	}
	e.clock.Advance(5 * time.Second) // +16s: the first run missed its beats
	taken := e.mustClaimIn(other, "p2")
	if taken.ID != held.ID || taken.LockedBy == held.LockedBy {
		t.Fatalf("claim after the run died = task %d by %s, want task %d by a new token", taken.ID, taken.LockedBy, held.ID)
	}
	if err := e.q.Finish(e.ctx, held, queue.Succeed(queue.Result{})); !errors.Is(err, queue.ErrLeaseLost) {
		t.Errorf("Finish by the dead run's worker = %v, want ErrLeaseLost", err)
	}
	e.finish(taken, queue.Succeed(queue.Result{Counts: pricefill.Counts{Inserted: 1}}))
}

func testEndRun(t *testing.T, e *env) {
	ids := e.enqueue(queue.EnqueueOptions{}, "A")
	ended := e.start(ids, Alive)
	held := e.mustClaimIn(ended, "p1")
	if got := e.claim(ids, "p2"); got != nil {
		t.Fatalf("a held task was claimed by another run")
	}
	if err := e.q.EndRun(e.ctx, ended); err != nil {
		t.Fatal(err)
	}
	if got := e.claim(ids, "p2"); got == nil || got.ID != held.ID {
		t.Fatalf("after its run ended, the task was not claimable at once: %+v", got)
	}
	if err := e.q.Heartbeat(e.ctx, ended, Alive); err == nil {
		t.Errorf("Heartbeat of an ended run succeeded, want an error")
	}
	if got, err := e.q.Claim(e.ctx, ended, "p1", Lease); got != nil {
		t.Errorf("Claim in an ended run = task %d (err %v), want none", got.ID, err)
	}
}

func testPrune(t *testing.T, e *env) {
	ids := e.enqueue(queue.EnqueueOptions{}, "DONE", "GONE", "WAIT", "LATE")
	e.finish(e.mustClaim(ids[:1], "w"), queue.Succeed(queue.Result{Counts: pricefill.Counts{Inserted: 5}}))
	e.finish(e.mustClaim(ids[1:2], "w"), queue.Fail(errors.New("unknown")))
	e.finish(e.mustClaim(ids[2:3], "w"), queue.Retry(Start, errors.New("503")))
	e.clock.Advance(2 * time.Hour)
	e.finish(e.mustClaim(ids[3:], "w"), queue.Succeed(queue.Result{Counts: pricefill.Counts{Inserted: 1}}))
	n, err := e.q.Prune(e.ctx, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("Prune deleted %d tasks, want 2 (DONE and GONE ended 2h ago)", n)
	}
	for i, id := range ids {
		_, err := e.q.Get(e.ctx, id)
		if gone := err != nil; gone != (i < 2) {
			t.Errorf("task %d after Prune: Get error %v, want gone=%v", id, err, i < 2)
		}
	}
	again := e.enqueue(queue.EnqueueOptions{}, "DONE")
	if again[0] == ids[0] {
		t.Errorf("a pruned spec enqueued again got its old ID %d", ids[0])
	}
	if got := e.get(again[0]); got.Status != queue.Pending {
		t.Errorf("a pruned spec enqueued again is %s, want pending", got.Status)
	}
}
