package backfill_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/internal/fake"
	"github.com/pricefill/pricefill/queue"
)

// recordingLimiter never waits and records what it is told.
type recordingLimiter struct {
	mu  sync.Mutex
	log []string
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

func (l *recordingLimiter) Wait(ctx context.Context) error { l.add("wait"); return ctx.Err() }
func (l *recordingLimiter) CoolDown(d time.Duration)       { l.add(fmt.Sprintf("cooldown %s", d)) }
func (l *recordingLimiter) Recovered()                     { l.add("recovered") }

// losingQueue refuses every lease renewal, as when another worker took the
// task over.
type losingQueue struct{ *queue.Memory }

func (q *losingQueue) Extend(context.Context, *queue.Task, time.Duration) error {
	return queue.ErrLeaseLost
}

// brokenQueue fails every claim.
type brokenQueue struct{ *queue.Memory }

func (q *brokenQueue) Claim(context.Context, []int64, string, time.Duration) (*queue.Task, error) {
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

// completingStore completes the task itself, as a store that keeps the
// queue in its own database does.
type completingStore struct {
	*fake.Store
	q *queue.Memory
}

func (s *completingStore) Save(ctx context.Context, req backfill.SaveRequest) (backfill.SaveResult, error) {
	res, err := s.Store.Save(ctx, req)
	if err != nil {
		return res, err
	}
	if err := s.q.Finish(ctx, req.Task, queue.Succeed(queue.Result{Inserted: res.Inserted, Skipped: res.Skipped})); err != nil {
		return backfill.SaveResult{}, err
	}
	res.TaskCompleted = true
	return res, nil
}
