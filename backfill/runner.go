package backfill

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/queue"
	"github.com/pricefill/pricefill/ratelimit"
	"github.com/pricefill/pricefill/validate"
)

// A Runner backfills symbols: it queues a task per symbol and has a pool
// of workers claim, fetch, validate and store them under a shared limiter.
// Build one with [New]; one Runner may serve many runs, one after another
// or at once.
type Runner struct {
	fetcher Fetcher
	store   Store
	cfg     config
}

// New returns a Runner that fetches with f and stores into s, configured by
// opts. It returns an error naming the option when an option is invalid.
func New(f Fetcher, s Store, opts ...Option) (*Runner, error) {
	if f == nil {
		return nil, errors.New("backfill: nil Fetcher")
	}
	if s == nil {
		return nil, errors.New("backfill: nil Store")
	}
	cfg := defaults()
	for _, o := range opts {
		o(&cfg)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if err := cfg.fillNils(s); err != nil {
		return nil, err
	}
	return &Runner{fetcher: f, store: s, cfg: cfg}, nil
}

// A Request is the work of one run: symbols over an inclusive date range.
type Request struct {
	// Symbols are normalised by [pricefill.NormalizeSymbol]; duplicates are
	// dropped.
	Symbols []string
	// Range is the dates to fill, both ends included, as midnight UTC.
	Range pricefill.Range
}

// Timeouts of the writes that record a task's end; they run even when the
// run's context is cancelled, so that finished work is not lost.
const (
	saveTimeout   = 30 * time.Second
	finishTimeout = 10 * time.Second
	// pollInterval bounds how long an idle worker waits before it looks at
	// the queue again, for tasks that other processes hold or finish.
	pollInterval = time.Second
	// queueRetries is how many times in a row a worker tolerates a failing
	// queue (a database restarting, say) before the run gives up.
	queueRetries = 6
)

// A run's heartbeat: every HeartbeatInterval the run tells the queue that
// it is alive for HeartbeatTimeout more. A task held by a run that missed
// its beats for HeartbeatTimeout may be claimed by another process at
// once: after a hard stop (kill -9, a crash, a lost machine) the next run
// takes the work over within seconds, where the tasks' leases would hold
// it for their length.
const (
	HeartbeatInterval = 2 * time.Second
	HeartbeatTimeout  = 10 * time.Second
)

// Run backfills req and returns its report. Each symbol fails or succeeds
// on its own: Run returns an error only when the run itself cannot go on
// (a bad request, a queue that keeps failing) or when ctx ends first, in
// which case the report covers what was done, Interrupted is set, and the
// error is ctx's. Once ctx ends no task is claimed; tasks in flight have
// the grace period to finish, then are given back to the queue. Run returns
// when every worker has stopped.
func (r *Runner) Run(ctx context.Context, req Request) (*Report, error) {
	symbols, err := normalizeSymbols(req.Symbols)
	if err != nil {
		return nil, err
	}
	if err := req.Range.Validate(); err != nil {
		return nil, fmt.Errorf("backfill: %w", err)
	}
	specs := make([]queue.Spec, len(symbols))
	for i, s := range symbols {
		specs[i] = queue.Spec{Symbol: s, Range: req.Range}
	}
	ids, err := r.cfg.queue.Enqueue(ctx, specs, queue.EnqueueOptions{Force: r.cfg.force})
	if err != nil {
		return nil, fmt.Errorf("backfill: enqueue %d tasks: %w", len(specs), err)
	}
	id, sum, err := r.cfg.queue.StartRun(ctx, ids, r.cfg.worker, HeartbeatTimeout)
	if err != nil {
		return nil, fmt.Errorf("backfill: start the run: %w", err)
	}
	ru := newRun(r, id, len(ids), req.Range, sum)
	r.cfg.logger.Info("backfill started", "symbols", len(ids), "range", req.Range.String(),
		"already_done", sum.Counts[queue.Completed], "workers", r.cfg.concurrency)
	return ru.execute(ctx)
}

func normalizeSymbols(in []string) ([]string, error) {
	if len(in) == 0 {
		return nil, errors.New("backfill: no symbols")
	}
	out := make([]string, 0, len(in))
	seen := make(map[string]bool, len(in))
	var errs []error
	for _, s := range in {
		sym, err := pricefill.NormalizeSymbol(s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !seen[sym] {
			seen[sym] = true
			out = append(out, sym)
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("backfill: %d malformed symbols: %w", len(errs), errors.Join(errs...))
	}
	return out, nil
}

func defaultWorkerName() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "host"
	}
	var b [3]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// run is the state of one Run.
type run struct {
	*Runner
	id    queue.RunID
	start time.Time
	step  int // progress is reported every step tasks done

	ctx    context.Context // the run's: once it ends, no task is claimed
	cancel context.CancelFunc

	mu       sync.Mutex
	rep      Report
	done     int // tasks terminal, AlreadyDone included
	reported int // done/step at the last progress report on a step
	fatal    error
	changed  chan struct{} // closed and replaced when a task's state changes
	requests map[int64]int // fetches per task

	emitMu sync.Mutex // serializes progress reports
}

func newRun(r *Runner, id queue.RunID, total int, rng pricefill.Range, sum queue.Summary) *run {
	already := sum.Counts[queue.Completed]
	ru := &run{
		Runner:   r,
		id:       id,
		start:    r.cfg.clock.Now(),
		step:     max(1, min(total/10, 10)),
		done:     already,
		changed:  make(chan struct{}),
		requests: make(map[int64]int),
	}
	ru.reported = already / ru.step
	ru.rep = Report{
		Range:          rng,
		Started:        ru.start,
		Total:          total,
		AlreadyDone:    already,
		RejectedByRule: make(map[pricefill.Rule]int),
	}
	return ru
}

func (ru *run) execute(parent context.Context) (*Report, error) {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	ru.ctx, ru.cancel = ctx, cancel
	// Work in flight outlives ctx by the grace period.
	workCtx, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	stop := make(chan struct{})
	var bg sync.WaitGroup
	bg.Add(3)
	go func() {
		defer bg.Done()
		ru.graceAfterCancel(ctx, stop, cancelWork)
	}()
	go func() {
		defer bg.Done()
		ru.tickProgress(stop)
	}()
	go func() {
		defer bg.Done()
		ru.beat(stop)
	}()

	var workers sync.WaitGroup
	for n := range ru.cfg.concurrency {
		workers.Add(1)
		go func() {
			defer workers.Done()
			ru.work(ctx, workCtx, fmt.Sprintf("%s/w%d", ru.cfg.worker, n+1), cancel)
		}()
	}
	workers.Wait()
	close(stop)
	bg.Wait()

	rep := ru.finalReport()
	ectx, cancelEnd := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	if err := ru.cfg.queue.EndRun(ectx, ru.id); err != nil {
		ru.cfg.logger.Warn("ending the run in the queue failed; other processes take its tasks once it seems dead", "err", err.Error())
	}
	cancelEnd()
	rep.Interrupted = parent.Err() != nil && rep.Unfinished > 0
	ru.emitProgress()
	ru.cfg.logger.Info("backfill finished", "symbols", rep.Total, "succeeded", rep.Succeeded,
		"failed", rep.Failed, "already_done", rep.AlreadyDone, "unfinished", rep.Unfinished,
		"inserted", rep.Inserted, "skipped", rep.Skipped, "rejected", rep.Rejected,
		"requests", rep.Requests, "duration", rep.Duration.Round(time.Millisecond).String())
	ru.mu.Lock()
	fatal := ru.fatal
	ru.mu.Unlock()
	switch {
	case fatal != nil:
		return rep, fatal
	case parent.Err() != nil:
		return rep, parent.Err()
	}
	return rep, nil
}

// graceAfterCancel cancels the work in flight once the grace period has
// passed after ctx ended.
func (ru *run) graceAfterCancel(ctx context.Context, stop <-chan struct{}, cancelWork context.CancelFunc) {
	select {
	case <-stop:
		return
	case <-ctx.Done():
	}
	t := ru.cfg.clock.NewTimer(ru.cfg.grace)
	defer t.Stop()
	select {
	case <-stop:
	case <-t.C():
		cancelWork()
	}
}

// beat tells the queue every HeartbeatInterval that the run is alive,
// until stop is closed.
func (ru *run) beat(stop <-chan struct{}) {
	for {
		t := ru.cfg.clock.NewTimer(HeartbeatInterval)
		select {
		case <-stop:
			t.Stop()
			return
		case <-t.C():
		}
		ctx, cancel := context.WithTimeout(context.Background(), finishTimeout)
		if err := ru.cfg.queue.Heartbeat(ctx, ru.id, HeartbeatTimeout); err != nil {
			ru.cfg.logger.Warn("the run's heartbeat failed", "err", err.Error())
		}
		cancel()
	}
}

func (ru *run) tickProgress(stop <-chan struct{}) {
	for {
		t := ru.cfg.clock.NewTimer(ru.cfg.progressInt)
		select {
		case <-stop:
			t.Stop()
			return
		case <-t.C():
			ru.emitProgress()
		}
	}
}

// work is one worker: claim a task, do it, until no task is left or ctx ends.
func (ru *run) work(ctx, workCtx context.Context, name string, cancelRun context.CancelFunc) {
	failures, limiterFailures := 0, 0
	for ctx.Err() == nil {
		wake := ru.changedChan()
		// A claim cut short by the run's end could commit in the database
		// unseen, leaving the task held until its lease lapses: it runs to
		// its end, and a task it takes after the run ended goes back at
		// once (the limiter's wait returns).
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
		t, err := ru.cfg.queue.Claim(cctx, ru.id, name, ru.cfg.lease)
		cancel()
		if err == nil && t == nil {
			var more bool
			more, err = ru.idle(ctx, wake)
			if err == nil && !more {
				return
			}
		}
		if err != nil {
			if ctx.Err() != nil || !ru.backOff(ctx, &failures, "queue", name, err, cancelRun) {
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
		if lerr := ru.process(ctx, workCtx, t); lerr != nil && ctx.Err() == nil {
			if !ru.backOff(ctx, &limiterFailures, "limiter", name, lerr, cancelRun) {
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
func (ru *run) backOff(ctx context.Context, failures *int, what, worker string, err error, cancelRun context.CancelFunc) bool {
	*failures++
	if *failures >= queueRetries {
		ru.setFatal(fmt.Errorf("backfill: the %s failed %d times in a row: %w", what, *failures, err))
		cancelRun()
		return false
	}
	delay := time.Duration(1<<(*failures-1)) * time.Second
	ru.cfg.logger.Warn(what+" unavailable; waiting", "worker", worker, "err", err.Error(), "retry_in", delay.String())
	_ = pricefill.Sleep(ctx, ru.cfg.clock, delay)
	return true
}

// idle waits for a task to become claimable. It returns false when every
// task of the run is over.
func (ru *run) idle(ctx context.Context, wake <-chan struct{}) (bool, error) {
	s, err := ru.cfg.queue.Summarize(ctx, ru.id)
	if err != nil {
		return false, err
	}
	if s.Done() {
		ru.notify() // wake the other idle workers so they stop too
		return false, nil
	}
	wait := pollInterval
	if !s.Wake.IsZero() {
		wait = min(wait, s.Wake.Sub(ru.cfg.clock.Now()))
	}
	if wait <= 0 {
		return true, nil
	}
	t := ru.cfg.clock.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C():
	case <-wake:
	case <-ctx.Done():
	}
	return true, nil
}

func (ru *run) changedChan() <-chan struct{} {
	ru.mu.Lock()
	defer ru.mu.Unlock()
	return ru.changed
}

func (ru *run) notify() {
	ru.mu.Lock()
	defer ru.mu.Unlock()
	close(ru.changed)
	ru.changed = make(chan struct{})
}

// stopRun ends the run for err: no task is claimed any more, and those in
// flight are given back.
func (ru *run) stopRun(err error) {
	ru.setFatal(err)
	ru.cancel()
}

// cancelled reports whether the run is ending.
func (ru *run) cancelled() bool { return ru.ctx.Err() != nil }

func (ru *run) setFatal(err error) {
	ru.mu.Lock()
	defer ru.mu.Unlock()
	if ru.fatal == nil {
		ru.fatal = err
	}
}

// process does one claimed task, from the limiter to the queue. It
// returns the limiter's error when the limiter failed for a reason other
// than the run's end or an outage (which stops the run).
func (ru *run) process(ctx, workCtx context.Context, t *queue.Task) error {
	taskCtx, cancelTask := context.WithCancel(workCtx)
	defer cancelTask()
	ls := ru.keepLease(taskCtx, t, cancelTask)
	res := ru.attempt(ctx, taskCtx, t, ls)
	lost := ls.end()
	cancelTask()

	log := ru.cfg.logger.With("symbol", t.Symbol, "task_id", t.ID)
	if lost {
		ru.takenOver(log)
		return res.limiterErr
	}
	if !res.storeCompleted {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
		err := ru.cfg.queue.Finish(fctx, t, res.outcome)
		cancel()
		switch {
		case errors.Is(err, queue.ErrLeaseLost):
			ru.takenOver(log)
			return res.limiterErr
		case err != nil:
			log.Error("recording the task's end failed; it will be redone after its lease", "status", string(res.outcome.Status), "err", err.Error())
			ru.notify()
			return res.limiterErr
		}
	}
	ru.record(t, res)
	ru.notify()
	return res.limiterErr
}

// takenOver counts a task that another worker took over.
func (ru *run) takenOver(log *slog.Logger) {
	log.Warn("lease lost: another worker took the task over")
	ru.mu.Lock()
	ru.rep.TakenOver++
	ru.mu.Unlock()
	ru.notify()
}

// A lease is the renewal of a task's lease while the task runs.
type lease struct {
	stop context.CancelFunc
	done chan struct{}
	lost atomic.Bool
}

// end stops renewing the lease, once the renewals in flight are over, and
// reports whether the lease was lost to another worker.
func (l *lease) end() bool {
	l.stop()
	<-l.done
	return l.lost.Load()
}

// keepLease renews t's lease every third of its length until the lease is
// ended or ctx ends. If another worker took the task over, it cancels the
// task's work.
func (ru *run) keepLease(ctx context.Context, t *queue.Task, cancelTask context.CancelFunc) *lease {
	ctx, stop := context.WithCancel(ctx)
	l := &lease{stop: stop, done: make(chan struct{})}
	go func() {
		defer close(l.done)
		for {
			if err := pricefill.Sleep(ctx, ru.cfg.clock, ru.cfg.lease/3); err != nil {
				return
			}
			err := ru.cfg.queue.Extend(ctx, t, ru.cfg.lease)
			switch {
			case errors.Is(err, queue.ErrLeaseLost):
				l.lost.Store(true)
				cancelTask()
				return
			case err != nil && ctx.Err() == nil:
				ru.cfg.logger.Warn("renewing the lease failed", "symbol", t.Symbol, "task_id", t.ID, "err", err.Error())
			}
		}
	}()
	return l
}

// result is how one attempt at a task went.
type result struct {
	outcome        queue.Outcome
	storeCompleted bool // the store completed the task with the bars
	covered        bool // the store held the range already: nothing fetched
	kind           pricefill.Kind
	saved          SaveResult
	rejected       int
	byRule         map[pricefill.Rule]int
	dropped        map[pricefill.Rule]int // fields dropped from bars kept, by rule
	completeness   float64
	limiterErr     error // the limiter failed: the worker backs off
}

// RuleDuplicateDate is the rule a bar breaks when its series has an
// earlier bar of the same date: the runner keeps the first.
const RuleDuplicateDate pricefill.Rule = "duplicate_date"

// attempt fetches the days a task misses, validates them and stores the
// valid ones.
func (ru *run) attempt(ctx, taskCtx context.Context, t *queue.Task, ls *lease) result {
	now := ru.cfg.clock.Now()
	settled := ru.settled(t, pricefill.Asset{Symbol: t.Symbol}, now)
	spans, stored, err := ru.plan(taskCtx, t, settled)
	if err != nil {
		return ru.failure(t, fmt.Errorf("reading the stored dates: %w", err))
	}
	if len(spans) == 0 {
		c := validate.Completeness(ru.cfg.calendarFor(pricefill.Asset{Symbol: t.Symbol}), settled, stored)
		return result{outcome: queue.Succeed(queue.Result{Completeness: c}), covered: true, completeness: c}
	}

	series := &pricefill.Series{Asset: pricefill.Asset{Symbol: t.Symbol}}
	// paceErr is set when the run stopped the fetcher at a Pace, or the
	// limiter failed there: the task goes back to the queue, its attempt
	// unspent.
	var (
		paceMu  sync.Mutex
		paceErr error
	)
	fetchCtx := withPace(taskCtx, func(c context.Context) error {
		if err := ru.waitLimiter(ctx, c); err != nil {
			paceMu.Lock()
			paceErr = err
			paceMu.Unlock()
			return err
		}
		ru.countRequest(t)
		return nil
	})
	for _, span := range spans {
		if err := ru.waitLimiter(ctx, taskCtx); err != nil {
			return ru.limiterStopped(taskCtx, t, err)
		}
		ru.countRequest(t)
		s, err := ru.fetch(fetchCtx, t.Symbol, span)
		paceMu.Lock()
		perr := paceErr
		paceMu.Unlock()
		switch {
		case err == nil:
		case perr != nil:
			return ru.limiterStopped(taskCtx, t, perr)
		case taskCtx.Err() != nil:
			// The grace period ran out or the lease was lost.
			return result{outcome: queue.Release()}
		default:
			return ru.fetchFailure(taskCtx, t, err)
		}
		ru.answered(taskCtx, t)
		mergeAsset(&series.Asset, s.Asset)
		series.Bars = append(series.Bars, s.Bars...)
	}

	valid, rejected, byRule, dropped := ru.validate(t, series)
	have := stored
	for _, b := range valid {
		have = append(have, b.Date)
	}
	completeness := validate.Completeness(ru.cfg.calendarFor(series.Asset), ru.settled(t, series.Asset, now), have)
	// A store that keeps the queue completes the task with the bars, after
	// which a renewal would find the lease gone: stop renewing first.
	if ls.end() {
		return result{outcome: queue.Release()}
	}
	// The bars are fetched: store them even if the run is being cancelled.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(taskCtx), saveTimeout)
	defer cancel()
	req := SaveRequest{
		Series:       &pricefill.Series{Asset: series.Asset, Bars: valid},
		Range:        t.Range,
		Force:        ru.cfg.force,
		Task:         t,
		Completeness: completeness,
	}
	saved, err := ru.store.Save(sctx, req)
	switch {
	case errors.Is(err, queue.ErrLeaseLost):
		// The store keeps the queue and found the task taken over: it
		// stored nothing, and the task is the other worker's now.
		return result{outcome: queue.Release()}
	case err != nil:
		return ru.failure(t, fmt.Errorf("saving the bars: %w", err))
	}
	return result{
		outcome: queue.Succeed(queue.Result{
			Inserted: saved.Inserted, Updated: saved.Updated, Skipped: saved.Skipped,
			Completeness: completeness,
		}),
		storeCompleted: saved.TaskCompleted,
		saved:          saved,
		rejected:       rejected,
		byRule:         byRule,
		dropped:        dropped,
		completeness:   completeness,
	}
}

// settled returns the part of t's range whose sessions are over at now on
// the asset's exchange: the days a provider has final bars for. It is
// empty (To before From) when none is over yet.
func (r *Runner) settled(t *queue.Task, a pricefill.Asset, now time.Time) pricefill.Range {
	rng := t.Range
	if last := validate.LastSessionOver(r.cfg.calendarFor(a), a, now); last.Before(rng.To) {
		rng.To = last
	}
	return rng
}

// plan returns the spans of settled to fetch and the dates stored already.
// Without a DateLister store, or with force, it is the whole of settled;
// otherwise only the missing trading days, nearby gaps joined.
func (r *Runner) plan(ctx context.Context, t *queue.Task, settled pricefill.Range) (spans []pricefill.Range, stored []time.Time, err error) {
	if settled.To.Before(settled.From) {
		return nil, nil, nil
	}
	lister, ok := r.store.(DateLister)
	if !ok {
		return []pricefill.Range{settled}, nil, nil
	}
	stored, err = lister.StoredDates(ctx, t.Symbol, t.Range)
	if err != nil {
		return nil, nil, err
	}
	if r.cfg.force {
		return []pricefill.Range{settled}, stored, nil
	}
	cal := r.cfg.calendarFor(pricefill.Asset{Symbol: t.Symbol})
	return validate.Merge(cal, validate.Gaps(cal, settled, stored), validate.MergeDefault), stored, nil
}

// waitLimiter waits for the limiter while the run goes on: a task still
// waiting when the run is cancelled is given back at once.
func (ru *run) waitLimiter(ctx, taskCtx context.Context) error {
	waitCtx, cancel := context.WithCancel(taskCtx)
	defer cancel()
	stop := context.AfterFunc(ctx, cancel)
	defer stop()
	began := ru.cfg.clock.Now()
	err := ru.cfg.limiter.Wait(waitCtx)
	ru.addLimiterWait(ru.cfg.clock.Now().Sub(began))
	return err
}

// limiterStopped gives t back after the limiter's Wait returned err: the
// run is ending, the provider has been down past the limiter's patience
// (which ends the run), or the limiter failed (the worker backs off).
func (ru *run) limiterStopped(taskCtx context.Context, t *queue.Task, err error) result {
	res := result{outcome: queue.Release()}
	switch {
	case ru.stopping(taskCtx):
	case errors.Is(err, pricefill.ErrUnavailable):
		ru.stopRun(fmt.Errorf("backfill: stopped: %w; nothing lost; run it again to resume", err))
	default:
		res.limiterErr = err
	}
	return res
}

// stopping reports whether the run or the task is ending.
func (ru *run) stopping(taskCtx context.Context) bool {
	return taskCtx.Err() != nil || ru.cancelled()
}

// mergeAsset fills the empty fields of dst from src.
func mergeAsset(dst *pricefill.Asset, src pricefill.Asset) {
	for _, f := range []struct {
		dst *string
		src string
	}{
		{&dst.Name, src.Name}, {&dst.Currency, src.Currency},
		{&dst.Exchange, src.Exchange}, {&dst.Timezone, src.Timezone},
	} {
		if *f.dst == "" {
			*f.dst = f.src
		}
	}
}

// fetch calls the fetcher, turning a panic into a permanent failure of the
// one symbol.
func (ru *run) fetch(ctx context.Context, symbol string, r pricefill.Range) (s *pricefill.Series, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = pricefill.Permanent(fmt.Errorf("fetcher panicked: %v", p))
		}
	}()
	s, err = ru.fetcher.Fetch(ctx, symbol, r)
	if err == nil && s == nil {
		err = errors.New("fetcher returned no series and no error")
	}
	return s, err
}

// answered tells the limiter that the provider answered a fetch of t.
func (ru *run) answered(ctx context.Context, t *queue.Task) {
	if ru.cfg.feedback == nil {
		return
	}
	fctx, cancel := feedbackCtx(ctx)
	defer cancel()
	if err := ru.cfg.feedback.Answered(fctx); err != nil {
		ru.cfg.logger.Warn("telling the limiter of an answer failed", "symbol", t.Symbol, "task_id", t.ID, "err", err.Error())
	}
}

// feedbackCtx returns the context of a report to the limiter: it is made
// even when the task's context ended, for the request was made.
func feedbackCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
}

// fetchFailure decides what becomes of a task whose fetch failed, having
// told the limiter. A failure that did not reach the provider, or that
// came while the provider is taken to be down, is not the symbol's: the
// task goes back to the queue with its attempts unchanged.
func (ru *run) fetchFailure(ctx context.Context, t *queue.Task, err error) result {
	fb := ru.cfg.feedback
	kind := pricefill.KindOf(err)
	var ferr error
	outage := false
	fctx, cancel := feedbackCtx(ctx)
	defer cancel()
	switch {
	case fb == nil:
	case kind == pricefill.KindRateLimited:
		rl := &pricefill.RateLimitError{}
		if !errors.As(err, &rl) {
			rl = &pricefill.RateLimitError{Err: err}
		}
		ferr = fb.Refused(fctx, rl)
	case kind == pricefill.KindNotFound, kind == pricefill.KindPermanent:
		ferr = fb.Answered(fctx)
	default: // unavailable or transient
		outage, ferr = fb.Failed(fctx, t.Symbol, err)
	}
	if ferr != nil {
		ru.cfg.logger.Warn("telling the limiter of a failure failed", "symbol", t.Symbol, "task_id", t.ID, "err", ferr.Error())
	}
	if outage || kind == pricefill.KindUnavailable {
		ru.countDeferred()
		msg := "the provider could not be reached; the task waits for it, no attempt used"
		if outage {
			msg = "the provider is down; the task waits for it, no attempt used"
		}
		ru.cfg.logger.Warn(msg, "symbol", t.Symbol, "task_id", t.ID, "err", err.Error())
		return result{outcome: queue.Defer(err), kind: kind}
	}
	return ru.failure(t, err)
}

// failure decides what becomes of a task whose fetch or save failed.
func (ru *run) failure(t *queue.Task, err error) result {
	now := ru.cfg.clock.Now()
	kind := pricefill.KindOf(err)
	log := ru.cfg.logger.With("symbol", t.Symbol, "task_id", t.ID)
	res := result{kind: kind}
	switch kind {
	case pricefill.KindRateLimited:
		wait := pricefill.RetryAfterOf(err)
		var rl *pricefill.RateLimitError
		if errors.As(err, &rl) && rl.Quota && rl.Reset.After(now) {
			wait = rl.Reset.Sub(now)
		}
		if wait <= 0 {
			wait = ru.cfg.backoff(1)
		}
		ru.countRateLimited()
		log.Warn("rate limited; will retry", "retry_in", wait.String(), "err", err.Error())
		res.outcome = queue.RetryRateLimited(now.Add(wait), err)
	case pricefill.KindNotFound, pricefill.KindPermanent:
		log.Error("giving up", "kind", kind.String(), "err", err.Error())
		res.outcome = queue.Fail(err)
	default:
		attempts := t.Attempts + 1
		if attempts >= ru.cfg.maxAttempts {
			log.Error("giving up after the last attempt", "attempts", attempts, "err", err.Error())
			res.outcome = queue.FailLastAttempt(err)
			break
		}
		wait := ru.cfg.backoff(attempts)
		ru.countRetry()
		log.Warn("failed; will retry", "attempt", attempts, "retry_in", wait.String(), "err", err.Error())
		res.outcome = queue.Retry(now.Add(wait), err)
	}
	return res
}

// validate keeps the bars that pass the validator and logs the others.
// A validator that drops fields (a [FieldDropper]) drops them first: the
// bar is kept without them, and the drops are logged and counted by rule
// in dropped.
func (ru *run) validate(t *queue.Task, s *pricefill.Series) (valid []pricefill.Bar, rejected int, byRule, dropped map[pricefill.Rule]int) {
	now := ru.cfg.clock.Now()
	valid = make([]pricefill.Bar, 0, len(s.Bars))
	seen := make(map[time.Time]bool, len(s.Bars))
	dropper, _ := ru.cfg.validator.(FieldDropper)
	for _, b := range s.Bars {
		var drops []pricefill.Violation
		if dropper != nil {
			b, drops = dropper.DropFields(b)
		}
		err := ru.cfg.validator.Validate(now, t.Range, s.Asset, b)
		if err == nil && seen[b.Date] {
			err = &pricefill.InvalidBarError{Bar: b, Violations: []pricefill.Violation{{Rule: RuleDuplicateDate, Field: "date", Value: b.Date.Format(pricefill.DateLayout)}}}
		}
		if err == nil {
			seen[b.Date] = true
			valid = append(valid, b)
			dropped = ru.countDrops(t, b, drops, dropped)
			continue
		}
		rejected++
		if byRule == nil {
			byRule = make(map[pricefill.Rule]int)
		}
		var reasons []string
		var ib *pricefill.InvalidBarError
		if errors.As(err, &ib) && len(ib.Violations) > 0 {
			for _, v := range ib.Violations {
				byRule[v.Rule]++
				reasons = append(reasons, v.String())
			}
		} else {
			byRule["invalid"]++
			reasons = append(reasons, err.Error())
		}
		ru.cfg.logger.Warn("bar rejected", "symbol", t.Symbol, "task_id", t.ID,
			"date", b.Date.Format(pricefill.DateLayout), "reasons", strings.Join(reasons, "; "))
	}
	return valid, rejected, byRule, dropped
}

// countDrops logs the fields dropped from bar b, which is kept, and adds
// them to dropped by rule, which it returns (made on the first drop).
func (ru *run) countDrops(t *queue.Task, b pricefill.Bar, drops []pricefill.Violation, dropped map[pricefill.Rule]int) map[pricefill.Rule]int {
	if len(drops) == 0 {
		return dropped
	}
	if dropped == nil {
		dropped = make(map[pricefill.Rule]int)
	}
	reasons := make([]string, len(drops))
	for i, v := range drops {
		dropped[v.Rule]++
		reasons[i] = v.String()
	}
	ru.cfg.logger.Warn("bar kept without a field", "symbol", t.Symbol, "task_id", t.ID,
		"date", b.Date.Format(pricefill.DateLayout), "dropped", strings.Join(reasons, "; "))
	return dropped
}

func (ru *run) countRequest(t *queue.Task) {
	ru.mu.Lock()
	defer ru.mu.Unlock()
	ru.rep.Requests++
	ru.requests[t.ID]++
}

func (ru *run) countRateLimited() {
	ru.mu.Lock()
	defer ru.mu.Unlock()
	ru.rep.RateLimited++
}

func (ru *run) countDeferred() {
	ru.mu.Lock()
	defer ru.mu.Unlock()
	ru.rep.Deferred++
}

func (ru *run) countRetry() {
	ru.mu.Lock()
	defer ru.mu.Unlock()
	ru.rep.Retried++
}

func (ru *run) addLimiterWait(d time.Duration) {
	ru.mu.Lock()
	defer ru.mu.Unlock()
	ru.rep.LimiterWait += d
}

// record adds a task's recorded end to the report.
func (ru *run) record(t *queue.Task, res result) {
	ru.mu.Lock()
	rep := &ru.rep
	status := res.outcome.Status
	switch status {
	case queue.Completed:
		rep.Succeeded++
		if res.covered {
			rep.Covered++
		}
		rep.Rejected += res.rejected
		for rule, n := range res.byRule {
			rep.RejectedByRule[rule] += n
		}
		rep.addDrops(res.dropped)
		rep.Inserted += res.saved.Inserted
		rep.Updated += res.saved.Updated
		rep.Skipped += res.saved.Skipped
	case queue.PermanentlyFailed:
		rep.Failed++
		attempts := t.Attempts
		if res.outcome.Attempt {
			attempts++
		}
		rep.Failures = append(rep.Failures, Failure{Symbol: t.Symbol, Kind: res.kind, Attempts: attempts, Err: res.outcome.Error})
	}
	terminal := status.Terminal()
	if terminal {
		ru.done++
		rep.Symbols = append(rep.Symbols, SymbolReport{
			Symbol: t.Symbol, Status: status, Requests: ru.requests[t.ID],
			Inserted: res.saved.Inserted, Updated: res.saved.Updated, Skipped: res.saved.Skipped,
			Rejected: res.rejected, Dropped: sum(res.dropped), Completeness: res.completeness,
		})
	}
	due := terminal && ru.done/ru.step > ru.reported
	if due {
		ru.reported = ru.done / ru.step
	}
	ru.mu.Unlock()
	if due {
		ru.emitProgress()
	}
}

// snapshot returns the progress so far.
func (ru *run) snapshot() Progress {
	ru.mu.Lock()
	defer ru.mu.Unlock()
	p := Progress{
		Total:       ru.rep.Total,
		Done:        ru.done,
		Succeeded:   ru.rep.Succeeded,
		Failed:      ru.rep.Failed,
		AlreadyDone: ru.rep.AlreadyDone,
		Requests:    ru.rep.Requests,
		Elapsed:     ru.cfg.clock.Now().Sub(ru.start),
	}
	if byRun := p.Done - p.AlreadyDone; byRun > 0 && p.Elapsed > 0 {
		p.Rate = float64(byRun) / p.Elapsed.Seconds()
		p.ETA = time.Duration(float64(p.Total-p.Done) / p.Rate * float64(time.Second))
	}
	return p
}

// emitProgress logs the progress and hands it to the progress function.
func (ru *run) emitProgress() {
	ru.emitMu.Lock()
	defer ru.emitMu.Unlock()
	p := ru.snapshot()
	ru.addLimiter(&p)
	attrs := []any{"done", p.Done, "total", p.Total, "succeeded", p.Succeeded,
		"failed", p.Failed, "requests", p.Requests, "rate_per_s", fmt.Sprintf("%.2f", p.Rate),
		"eta", p.ETA.Round(time.Second).String()}
	if p.Limiter != nil && p.Limiter.Holding() {
		attrs = append(attrs, "held", p.Limiter.String())
	}
	ru.cfg.logger.Info("progress", attrs...)
	if ru.cfg.progress != nil {
		ru.cfg.progress(p)
	}
}

// statusTimeout bounds the reads of the limiter's status for a report.
const statusTimeout = 5 * time.Second

// addLimiter adds the limiter's status to p, where the limiter tells it,
// and puts the ETA after the wait that the budget imposes on the tasks
// left, where the limiter can forecast it.
func (ru *run) addLimiter(p *Progress) {
	ctx, cancel := context.WithTimeout(context.Background(), statusTimeout)
	defer cancel()
	if ru.cfg.status != nil {
		if st, err := ru.cfg.status.Status(ctx); err == nil {
			p.Limiter = &st
		}
	}
	fc, ok := ru.cfg.limiter.(Forecaster)
	if left := p.Total - p.Done; ok && left > 0 {
		if f, err := fc.Forecast(ctx, left); err == nil {
			p.ETA = max(p.ETA, f.Last.Sub(f.Now))
		}
	}
}

// finalReport completes the report once the workers have stopped.
func (ru *run) finalReport() *Report {
	ctx, cancel := context.WithTimeout(context.Background(), finishTimeout)
	defer cancel()
	sum, err := ru.cfg.queue.Summarize(ctx, ru.id)
	var limiter *ratelimit.Status
	if ru.cfg.status != nil {
		if st, err := ru.cfg.status.Status(ctx); err == nil {
			limiter = &st
		}
	}
	ru.mu.Lock()
	defer ru.mu.Unlock()
	rep := ru.rep
	rep.Duration = ru.cfg.clock.Now().Sub(ru.start)
	if err == nil {
		rep.Unfinished = sum.Total() - sum.Counts[queue.Completed] - sum.Counts[queue.PermanentlyFailed]
		rep.Elsewhere = max(0, rep.Total-rep.AlreadyDone-rep.Succeeded-rep.Failed-rep.Unfinished)
	} else {
		rep.Unfinished = rep.Total - rep.AlreadyDone - rep.Succeeded - rep.Failed
	}
	rep.Failures = append([]Failure(nil), rep.Failures...)
	rep.Symbols = append([]SymbolReport(nil), rep.Symbols...)
	rep.RejectedByRule = make(map[pricefill.Rule]int, len(ru.rep.RejectedByRule))
	for k, v := range ru.rep.RejectedByRule {
		rep.RejectedByRule[k] = v
	}
	rep.sort()
	rep.Limiter = limiter
	return &rep
}
