package backfill

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/queue"
	"github.com/pricefill/pricefill/ratelimit"
)

// A scheduler carries out one Run: its workers claim the run's tasks and
// hand each to a [task], until none is left or the run ends; meanwhile it
// beats for the run and reports progress, and it adds everything up in
// its [tally].
//
// It holds the run's two contexts, made by execute: ctx is the run's
// (once it ends no task is claimed, and limiter waits give up), and work
// is the work in flight's, which outlives ctx by the grace period.
type scheduler struct {
	*Runner
	id    queue.RunID
	tally *tally

	ctx    context.Context
	cancel context.CancelFunc
	work   context.Context

	mu      sync.Mutex
	fatal   error
	changed chan struct{} // closed and replaced when a task's state changes

	emitMu sync.Mutex // serializes progress reports
}

func newScheduler(r *Runner, id queue.RunID, tl *tally) *scheduler {
	return &scheduler{Runner: r, id: id, tally: tl, changed: make(chan struct{})}
}

// execute runs the workers until the run is over, ends the run in the
// queue and returns the report.
func (s *scheduler) execute(parent context.Context) (*Report, error) {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	s.ctx, s.cancel, s.work = ctx, cancel, work

	stop := make(chan struct{})
	var bg sync.WaitGroup
	bg.Go(func() { s.graceAfterCancel(stop, cancelWork) })
	bg.Go(func() { s.tickProgress(stop) })
	bg.Go(func() { s.beat(stop) })

	var workers sync.WaitGroup
	for n := range s.cfg.concurrency {
		workers.Go(func() { s.worker(fmt.Sprintf("%s/w%d", s.cfg.worker, n+1)) })
	}
	workers.Wait()
	close(stop)
	bg.Wait()

	rep := s.finalReport()
	ectx, cancelEnd := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	if err := s.cfg.queue.EndRun(ectx, s.id); err != nil {
		s.cfg.logger.Warn("ending the run in the queue failed; other processes take its tasks once it seems dead", "err", err.Error())
	}
	cancelEnd()
	rep.Interrupted = parent.Err() != nil && rep.Unfinished > 0
	s.emitProgress()
	s.cfg.logger.Info("backfill finished", "symbols", rep.Total, "succeeded", rep.Succeeded,
		"failed", rep.Failed, "already_done", rep.AlreadyDone, "unfinished", rep.Unfinished,
		"inserted", rep.Inserted, "skipped", rep.Skipped, "rejected", rep.Rejected,
		"requests", rep.Requests, "duration", rep.Duration.Round(time.Millisecond))
	s.mu.Lock()
	fatal := s.fatal
	s.mu.Unlock()
	switch {
	case fatal != nil:
		return rep, fatal
	case parent.Err() != nil:
		return rep, parent.Err()
	}
	return rep, nil
}

// graceAfterCancel cancels the work in flight once the grace period has
// passed after the run's context ended.
func (s *scheduler) graceAfterCancel(stop <-chan struct{}, cancelWork context.CancelFunc) {
	select {
	case <-stop:
		return
	case <-s.ctx.Done():
	}
	t := s.cfg.clock.NewTimer(s.cfg.grace)
	defer t.Stop()
	select {
	case <-stop:
	case <-t.C():
		cancelWork()
	}
}

// beat tells the queue every HeartbeatInterval that the run is alive,
// until stop is closed.
func (s *scheduler) beat(stop <-chan struct{}) {
	for {
		t := s.cfg.clock.NewTimer(HeartbeatInterval)
		select {
		case <-stop:
			t.Stop()
			return
		case <-t.C():
		}
		ctx, cancel := context.WithTimeout(context.Background(), finishTimeout)
		if err := s.cfg.queue.Heartbeat(ctx, s.id, HeartbeatTimeout); err != nil {
			s.cfg.logger.Warn("the run's heartbeat failed", "err", err.Error())
		}
		cancel()
	}
}

func (s *scheduler) tickProgress(stop <-chan struct{}) {
	for {
		t := s.cfg.clock.NewTimer(s.cfg.progressInt)
		select {
		case <-stop:
			t.Stop()
			return
		case <-t.C():
			s.emitProgress()
		}
	}
}

// worker claims a task and has it done, until no task is left or the run
// ends.
func (s *scheduler) worker(name string) {
	failures, limiterFailures := 0, 0
	for s.ctx.Err() == nil {
		wake := s.changedChan()
		// A claim cut short by the run's end could commit in the database
		// unseen, leaving the task held until its lease lapses: it runs to
		// its end, and a task it takes after the run ended goes back at
		// once (the limiter's wait returns).
		cctx, cancel := context.WithTimeout(context.WithoutCancel(s.ctx), finishTimeout)
		t, err := s.cfg.queue.Claim(cctx, s.id, name, s.cfg.lease)
		cancel()
		if err == nil && t == nil {
			var more bool
			more, err = s.idle(wake)
			if err == nil && !more {
				return
			}
		}
		if err != nil {
			if s.ctx.Err() != nil || !s.backOff(&failures, "queue", name, err) {
				return
			}
			continue
		}
		failures = 0
		if t == nil {
			continue
		}
		// The limiter may fail too (its ledger in a database that is
		// restarting, say): the worker backs off as from a failing queue.
		if lerr := s.process(t); lerr != nil && s.ctx.Err() == nil {
			if !s.backOff(&limiterFailures, "limiter", name, lerr) {
				return
			}
			continue
		}
		limiterFailures = 0
	}
}

// backOff counts one more failure in a row of what (the queue, the
// limiter) for worker. After queueRetries of them it ends the run and
// returns false; before, it waits 1, 2, 4… s and returns true.
func (s *scheduler) backOff(failures *int, what, worker string, err error) bool {
	*failures++
	if *failures >= queueRetries {
		s.stopRun(fmt.Errorf("backfill: the %s failed %d times in a row: %w", what, *failures, err))
		return false
	}
	delay := time.Duration(1<<(*failures-1)) * time.Second
	s.cfg.logger.Warn(what+" unavailable; waiting", "worker", worker, "err", err.Error(), "retry_in", delay)
	_ = pricefill.Sleep(s.ctx, s.cfg.clock, delay)
	return true
}

// idle waits for a task to become claimable. It returns false when every
// task of the run is over.
func (s *scheduler) idle(wake <-chan struct{}) (bool, error) {
	sum, err := s.cfg.queue.Summarize(s.ctx, s.id)
	if err != nil {
		return false, err
	}
	if sum.Done() {
		s.notify() // wake the other idle workers so they stop too
		return false, nil
	}
	wait := pollInterval
	if !sum.Wake.IsZero() {
		wait = min(wait, sum.Wake.Sub(s.cfg.clock.Now()))
	}
	if wait <= 0 {
		return true, nil
	}
	t := s.cfg.clock.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C():
	case <-wake:
	case <-s.ctx.Done():
	}
	return true, nil
}

func (s *scheduler) changedChan() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// notify wakes the idle workers: a task's state changed.
func (s *scheduler) notify() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.changed)
	s.changed = make(chan struct{})
}

// stopRun ends the run for err: no task is claimed any more, and those in
// flight are given back.
func (s *scheduler) stopRun(err error) {
	s.mu.Lock()
	if s.fatal == nil {
		s.fatal = err
	}
	s.mu.Unlock()
	s.cancel()
}

// cancelled reports whether the run is ending.
func (s *scheduler) cancelled() bool { return s.ctx.Err() != nil }

// process has claimed task t done, from the limiter to the queue, and
// counts its end. It returns the limiter's error when the limiter failed
// for a reason other than the run's end or an outage (which stops the
// run).
func (s *scheduler) process(t *queue.Task) error {
	s.tally.claimed()
	tk := s.start(t)
	res := tk.attempt()
	lost := tk.end()

	switch {
	case lost:
		s.takenOver(tk)
		return res.limiterErr
	case !res.completed:
		fctx, cancel := context.WithTimeout(context.WithoutCancel(s.ctx), finishTimeout)
		err := s.cfg.queue.Finish(fctx, t, res.outcome)
		cancel()
		switch {
		case errors.Is(err, queue.ErrLeaseLost):
			s.takenOver(tk)
			return res.limiterErr
		case err != nil:
			tk.log.Error("recording the task's end failed; it will be redone after its lease", "status", string(res.outcome.Status), "err", err.Error())
			s.tally.unrecorded()
			s.notify()
			return res.limiterErr
		}
	}
	if s.tally.record(t, res) {
		s.emitProgress()
	}
	s.notify()
	return res.limiterErr
}

// takenOver counts a task that another worker took over.
func (s *scheduler) takenOver(tk *task) {
	tk.log.Warn("lease lost: another worker took the task over")
	s.tally.takenOver()
	s.notify()
}

// emitProgress logs the progress and hands it to the progress function.
func (s *scheduler) emitProgress() {
	s.emitMu.Lock()
	defer s.emitMu.Unlock()
	p := s.tally.progress(s.cfg.clock.Now())
	s.addLimiter(&p)
	attrs := []any{"done", p.Done, "total", p.Total, "succeeded", p.Succeeded,
		"failed", p.Failed, "requests", p.Requests, "rate_per_s", math.Round(p.Rate*100) / 100,
		"eta", p.ETA.Round(time.Second)}
	if p.Limiter != nil && p.Limiter.Holding() {
		attrs = append(attrs, "held", p.Limiter.String())
	}
	s.cfg.logger.Info("progress", attrs...)
	if s.cfg.progress != nil {
		s.cfg.progress(p)
	}
}

// statusTimeout bounds the reads of the limiter's status for a report.
const statusTimeout = 5 * time.Second

// addLimiter adds the limiter's status to p, where the limiter tells it,
// and puts the ETA after the wait that the budget imposes on the tasks
// left, where the limiter can forecast it.
func (s *scheduler) addLimiter(p *Progress) {
	ctx, cancel := context.WithTimeout(context.Background(), statusTimeout)
	defer cancel()
	p.Limiter = s.limiterStatus(ctx)
	fc, ok := s.cfg.limiter.(Forecaster)
	if left := p.Total - p.Done; ok && left > 0 {
		if f, err := fc.Forecast(ctx, left); err == nil {
			p.ETA = max(p.ETA, f.Last.Sub(f.Now))
		}
	}
}

// limiterStatus returns the limiter's status, or nil when it tells none.
func (s *scheduler) limiterStatus(ctx context.Context) *ratelimit.Status {
	if s.cfg.status == nil {
		return nil
	}
	st, err := s.cfg.status.Status(ctx)
	if err != nil {
		return nil
	}
	return &st
}

// finalReport completes the report once the workers have stopped.
func (s *scheduler) finalReport() *Report {
	ctx, cancel := context.WithTimeout(context.Background(), finishTimeout)
	defer cancel()
	var left *queue.Summary
	if sum, err := s.cfg.queue.Summarize(ctx, s.id); err == nil {
		left = &sum
	}
	return s.tally.report(s.cfg.clock.Now(), left, s.limiterStatus(ctx))
}
