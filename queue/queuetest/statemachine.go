package queuetest

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/queue"
)

// modelTask is what the suite expects a task to be.
type modelTask struct {
	status      queue.Status
	attempts    int
	retryAfter  time.Time
	token       string
	lockedUntil time.Time
}

func (m *modelTask) claimable(now time.Time) bool {
	switch {
	case m.status.Waiting():
		return !now.Before(m.retryAfter)
	case m.status == queue.InProgress:
		return !now.Before(m.lockedUntil)
	}
	return false
}

var checkSeq atomic.Int64

// testStateMachine drives one queue with random operations and compares it
// with a model after each: only the documented transitions happen, attempts
// count transient failures only, claims go to the first due task, and a
// worker that lost its lease changes nothing.
func testStateMachine(t *testing.T, e *env) {
	rapid.Check(t, func(rt *rapid.T) {
		prefix := fmt.Sprintf("P%d_", checkSeq.Add(1))
		n := rapid.IntRange(1, 4).Draw(rt, "tasks")
		symbols := make([]string, n)
		for i := range symbols {
			symbols[i] = fmt.Sprintf("%s%d", prefix, i)
		}
		ids := e.enqueue(queue.EnqueueOptions{}, symbols...)
		model := make(map[int64]*modelTask, n)
		for _, id := range ids {
			model[id] = &modelTask{status: queue.Pending}
		}
		var handles []*queue.Task

		check := func(id int64, before queue.Status) {
			got := e.get(id)
			want := model[id]
			if before != want.status && !queue.CanTransition(before, want.status) {
				rt.Fatalf("model moved task %d from %s to %s, which the state machine forbids", id, before, want.status)
			}
			if got.Status != want.status || got.Attempts != want.attempts {
				rt.Fatalf("task %d: %s with %d attempts, want %s with %d", id, got.Status, got.Attempts, want.status, want.attempts)
			}
			if want.status.Waiting() && want.status != queue.Pending && !got.RetryAfter.Equal(want.retryAfter) {
				rt.Fatalf("task %d: retry_after %s, want %s", id, got.RetryAfter, want.retryAfter)
			}
			if want.status == queue.InProgress && (got.LockedBy != want.token || !got.LockedUntil.Equal(want.lockedUntil)) {
				rt.Fatalf("task %d: lease %q until %s, want %q until %s", id, got.LockedBy, got.LockedUntil, want.token, want.lockedUntil)
			}
		}

		steps := rapid.IntRange(1, 30).Draw(rt, "steps")
		for range steps {
			now := e.clock.Now()
			switch op := rapid.IntRange(0, 5).Draw(rt, "op"); op {
			case 0: // claim
				var want int64
				for _, id := range ids {
					if model[id].claimable(now) {
						want = id
						break
					}
				}
				task := e.claim(ids, "w")
				switch {
				case want == 0 && task != nil:
					rt.Fatalf("claimed task %d (%s), want none claimable", task.ID, task.Status)
				case want != 0 && task == nil:
					rt.Fatalf("no task claimed, want task %d (%s)", want, model[want].status)
				case task != nil && task.ID != want:
					rt.Fatalf("claimed task %d, want %d, the first due", task.ID, want)
				}
				if task == nil {
					continue
				}
				m := model[want]
				before := m.status
				m.status, m.token, m.lockedUntil = queue.InProgress, task.LockedBy, now.Add(Lease)
				handles = append(handles, task)
				check(want, before)
			case 1, 2: // finish
				if len(handles) == 0 {
					continue
				}
				h := handles[rapid.IntRange(0, len(handles)-1).Draw(rt, "handle")]
				m := model[h.ID]
				delay := time.Duration(rapid.IntRange(0, 120).Draw(rt, "delay")) * time.Second
				var o queue.Outcome
				switch rapid.IntRange(0, 6).Draw(rt, "outcome") {
				case 0:
					o = queue.Succeed(queue.Result{Counts: pricefill.Counts{Inserted: 1}})
				case 1:
					o = queue.Retry(now.Add(delay), errors.New("transient"))
				case 2:
					o = queue.RetryRateLimited(now.Add(delay), errors.New("429"))
				case 3:
					o = queue.Fail(errors.New("not found"))
				case 4:
					o = queue.FailLastAttempt(errors.New("transient"))
				case 5:
					o = queue.Release()
				case 6:
					o = queue.Defer(errors.New("provider down"))
				}
				err := e.q.Finish(e.ctx, h, o)
				held := m.status == queue.InProgress && m.token == h.LockedBy
				if !held {
					if !errors.Is(err, queue.ErrLeaseLost) {
						rt.Fatalf("Finish with a lost lease on task %d: %v, want ErrLeaseLost", h.ID, err)
					}
					check(h.ID, m.status)
					continue
				}
				if err != nil {
					rt.Fatalf("Finish(%s) on task %d: %v", o.Status, h.ID, err)
				}
				before := m.status
				m.status, m.token = o.Status, ""
				if o.Attempt {
					m.attempts++
				}
				m.retryAfter = o.RetryAfter
				check(h.ID, before)
			case 3: // extend
				if len(handles) == 0 {
					continue
				}
				h := handles[rapid.IntRange(0, len(handles)-1).Draw(rt, "handle")]
				m := model[h.ID]
				err := e.q.Extend(e.ctx, h, Lease)
				if m.status == queue.InProgress && m.token == h.LockedBy {
					if err != nil {
						rt.Fatalf("Extend on task %d: %v", h.ID, err)
					}
					m.lockedUntil = now.Add(Lease)
				} else if !errors.Is(err, queue.ErrLeaseLost) {
					rt.Fatalf("Extend with a lost lease on task %d: %v, want ErrLeaseLost", h.ID, err)
				}
				check(h.ID, m.status)
			case 4: // time passes
				e.clock.Advance(time.Duration(rapid.IntRange(1, 90).Draw(rt, "seconds")) * time.Second)
			case 5: // enqueue again
				force := rapid.Bool().Draw(rt, "force")
				e.enqueue(queue.EnqueueOptions{Force: force}, symbols...)
				for _, id := range ids {
					m := model[id]
					before := m.status
					if m.status == queue.PermanentlyFailed || (force && m.status == queue.Completed) {
						*m = modelTask{status: queue.Pending}
					}
					check(id, before)
				}
			}
		}
	})
}
