package backfill_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/internal/fake"
	"github.com/pricefill/pricefill/queue"
)

// recordingLimiter never waits and records what it is told. Failed
// reports an outage while outage is set; Wait returns the errors of
// waitErrs first, one a call.
type recordingLimiter struct {
	mu       sync.Mutex
	log      []string
	outage   bool
	waitErrs []error
}

func (l *recordingLimiter) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.log = append(l.log, s)
}

func (l *recordingLimiter) events() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.log...)
}

var _ backfill.Feedback = (*recordingLimiter)(nil)

func (l *recordingLimiter) Wait(ctx context.Context) error {
	l.add("wait")
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.waitErrs) > 0 {
		err := l.waitErrs[0]
		l.waitErrs = l.waitErrs[1:]
		return err
	}
	return ctx.Err()
}

func (l *recordingLimiter) Answered(context.Context) error { l.add("answered"); return nil }

func (l *recordingLimiter) Refused(_ context.Context, err *pricefill.RateLimitError) error {
	l.add(fmt.Sprintf("refused %s", err.RetryAfter))
	return nil
}

func (l *recordingLimiter) Failed(_ context.Context, symbol string, err error) (bool, error) {
	l.add(fmt.Sprintf("failed %s %s", symbol, pricefill.KindOf(err)))
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.outage, nil
}

// losingQueue refuses every lease renewal, as when another worker took the
// task over.
type losingQueue struct{ *queue.Memory }

func (q *losingQueue) Extend(context.Context, *queue.Task, time.Duration) error {
	return queue.ErrLeaseLost
}

// brokenQueue fails every claim.
type brokenQueue struct{ *queue.Memory }

func (q *brokenQueue) Claim(context.Context, queue.RunID, string, time.Duration) (*queue.Task, error) {
	return nil, errors.New("connection refused")
}

// countingQueue counts Finish calls.
type countingQueue struct {
	*queue.Memory
	mu       sync.Mutex
	finishes int
}

func (q *countingQueue) Finish(ctx context.Context, t *queue.Task, o queue.Outcome) error {
	q.mu.Lock()
	q.finishes++
	q.mu.Unlock()
	return q.Memory.Finish(ctx, t, o)
}

// completingStore completes the tasks of queue own with their bars, as a
// store that keeps the queue in its own database does (finishing them
// beneath own's count of the runner's Finish calls), and counts its calls.
type completingStore struct {
	*fake.Store
	own *countingQueue

	mu                 sync.Mutex
	saves, completions int
}

var _ backfill.TaskCompleter = (*completingStore)(nil)

func (s *completingStore) Save(ctx context.Context, req backfill.SaveRequest) (backfill.SaveResult, error) {
	s.mu.Lock()
	s.saves++
	s.mu.Unlock()
	return s.Store.Save(ctx, req)
}

func (s *completingStore) CompletesTasksOf(q queue.Queue) bool { return q == queue.Queue(s.own) }

func (s *completingStore) SaveAndComplete(ctx context.Context, req backfill.SaveRequest, t *queue.Task, completeness float64) (backfill.SaveResult, error) {
	s.mu.Lock()
	s.completions++
	s.mu.Unlock()
	res, err := s.Store.Save(ctx, req)
	if err != nil {
		return res, err
	}
	o := queue.Succeed(queue.Result{Counts: res, Completeness: completeness})
	if err := s.own.Memory.Finish(ctx, t, o); err != nil {
		return backfill.SaveResult{}, err
	}
	return res, nil
}
