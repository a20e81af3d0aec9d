package backfill

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/queue"
	"github.com/pricefill/pricefill/validate"
	"github.com/pricefill/pricefill/validate/calendar"
)

// A task is the work on one claimed task, from the claim to its end:
// plan the days it misses, fetch them under the limiter, check the bars,
// store the valid ones. Its lease is renewed while it works. attempt does
// the work and returns the outcome; the scheduler records it.
type task struct {
	s   *scheduler
	q   *queue.Task
	log *slog.Logger

	// ctx is the task's: it ends when the run's work does (the grace
	// period ran out) or when the lease is lost to another worker.
	ctx    context.Context
	cancel context.CancelFunc
	lease  *lease
}

// start begins the work on t: its context and its lease's renewal.
func (s *scheduler) start(t *queue.Task) *task {
	ctx, cancel := context.WithCancel(s.work)
	tk := &task{s: s, q: t, ctx: ctx, cancel: cancel,
		log: s.cfg.logger.With("symbol", t.Symbol, "task_id", t.ID)}
	tk.lease = tk.keepLease()
	return tk
}

// end stops the lease's renewal and the task's context, and reports
// whether the lease was lost to another worker meanwhile.
func (tk *task) end() (lost bool) {
	lost = tk.lease.end()
	tk.cancel()
	return lost
}

// result is how one attempt at a task went.
type result struct {
	outcome     queue.Outcome
	completed   bool // the store completed the task with the bars
	covered     bool // the store held the range already: nothing fetched
	restated    bool // the provider restated the history stored: fetched again
	weekdayRule bool // the symbol's exchange has no calendar: every weekday was expected
	kind        pricefill.Kind
	saved       pricefill.Counts
	check       checked
	coverage    coverage // of the settled range, once saved
	nulls       int      // days the provider listed without prices
	source      string   // the Source of the bars fetched, as sourceOf says
	limiterErr  error    // the limiter failed: the worker backs off
}

// checked is what checking a series' bars found.
type checked struct {
	Valid          []pricefill.Bar
	Rejected       int
	RejectedByRule map[pricefill.Rule]int
	// DroppedByRule counts the fields dropped from bars kept, by rule.
	DroppedByRule map[pricefill.Rule]int
	// rejectedOn has the reasons of the bars rejected, by date.
	rejectedOn map[time.Time]string
}

// attempt fetches the days the task misses, checks them and stores the
// valid ones, with the holes the fetch found.
func (tk *task) attempt() result {
	now := tk.s.cfg.clock.Now()
	asset := pricefill.Asset{Symbol: tk.q.Symbol}
	p, err := tk.s.plan(tk.ctx, tk.q, asset, now)
	if err != nil {
		return tk.failure(err)
	}
	if len(p.spans) == 0 {
		cal := tk.s.cfg.calendarFor(asset)
		cov := coverageOf(cal, p.settled, p.stored, p.holes)
		return result{outcome: queue.Succeed(queue.Result{Completeness: cov.completeness()}), covered: true,
			coverage: cov, weekdayRule: cal == calendar.Weekdays}
	}
	// A store that tells its bars is overlapped by a day before each
	// span, to see whether the provider restated what it holds; if it
	// did, the whole range is fetched again and replaced.
	_, bars := tk.s.store.(BarLister)
	o := overlap{spans: p.spans}
	if bars && !tk.s.cfg.force {
		o = overlapOf(p.spans, p.stored)
	}
	series, failed, ok := tk.fetch(o.spans)
	if !ok {
		return failed
	}
	force, why := tk.s.cfg.force, ""
	if bars && !force {
		if why, err = tk.restated(tk.ctx, series, o, firstDate(p.stored)); err != nil {
			return tk.failure(err)
		}
	}
	if why != "" {
		tk.log.Info("the provider restated the history stored; fetching the range again", "why", why)
		p.spans, force = []pricefill.Range{p.settled}, true
		if series, failed, ok = tk.fetch(p.spans); !ok {
			return failed
		}
	} else if len(o.days) > 0 {
		series = within(series, p.spans)
	}
	served := fetched{rows: make([]time.Time, len(series.Bars)), nulls: dateSet(series.Nulls)}
	for i, b := range series.Bars {
		served.rows[i] = pricefill.DateOf(b.Date)
	}
	check := tk.check(series)
	served.rejected = check.rejectedOn
	valid := make([]time.Time, len(check.Valid))
	for i, b := range check.Valid {
		valid[i] = pricefill.DateOf(b.Date)
	}
	cal := tk.s.cfg.calendarFor(series.Asset)
	settled := tk.s.settled(tk.q, series.Asset, now)
	nulls := tk.logNulls(series.Nulls, settled)
	holes := findHoles(cal, p.spans, settled, p.stored, valid, served, p.holes, now)
	cov := coverageOf(cal, settled, append(slices.Clip(p.stored), valid...), knownAfter(p.holes, holes, valid))
	divs, splits := actionsWithin(series, tk.q.Range)
	saved := &pricefill.Series{Asset: series.Asset, Bars: check.Valid, Dividends: divs, Splits: splits}
	res := tk.save(saved, force, check, holes, cov.completeness())
	res.restated = why != "" && res.outcome.Status == queue.Completed
	res.weekdayRule = cal == calendar.Weekdays
	res.coverage, res.nulls = cov, nulls
	res.source = sourceOf(series.Bars)
	return res
}

// sourceOf returns the Source of bars: the one source they share, or the
// sources joined by "+" in the order they first come (spans of one task
// that different providers of a [Fallback] served); "" when there are no
// bars or none names its source.
func sourceOf(bars []pricefill.Bar) string {
	var sources []string
	for _, b := range bars {
		if b.Source != "" && !slices.Contains(sources, b.Source) {
			sources = append(sources, b.Source)
		}
	}
	return strings.Join(sources, "+")
}

// logNulls logs, at level Debug, the days within settled that the
// provider listed without prices, and returns how many there are.
func (tk *task) logNulls(nulls []time.Time, settled pricefill.Range) int {
	n := 0
	for _, d := range nulls {
		if settled.Contains(d) {
			n++
			tk.log.Debug("the provider listed a day without prices", "date", d.Format(pricefill.DateLayout))
		}
	}
	return n
}

// fetch fetches spans, each after the limiter's wait, into one series. When
// a fetch fails or the limiter stops it, it returns the task's result and
// false.
func (tk *task) fetch(spans []pricefill.Range) (*pricefill.Series, result, bool) {
	series := &pricefill.Series{Asset: pricefill.Asset{Symbol: tk.q.Symbol}}
	// paceErr is set when the run stopped the fetcher at a Pace, or the
	// limiter failed there: the task goes back to the queue, its attempt
	// unspent.
	var (
		paceMu  sync.Mutex
		paceErr error
	)
	fetchCtx := withPace(tk.ctx, func(c context.Context) error {
		if err := tk.waitLimiter(c); err != nil {
			paceMu.Lock()
			paceErr = err
			paceMu.Unlock()
			return err
		}
		tk.s.tally.request(tk.q.ID)
		return nil
	})
	for _, span := range spans {
		if err := tk.waitLimiter(tk.ctx); err != nil {
			return nil, tk.limiterStopped(err), false
		}
		tk.s.tally.request(tk.q.ID)
		s, err := tk.call(fetchCtx, span)
		paceMu.Lock()
		perr := paceErr
		paceMu.Unlock()
		switch {
		case err == nil:
		case perr != nil:
			return nil, tk.limiterStopped(perr), false
		case tk.ctx.Err() != nil:
			// The grace period ran out or the lease was lost.
			return nil, result{outcome: queue.Release()}, false
		default:
			return nil, tk.fetchFailure(err), false
		}
		tk.answered()
		mergeAsset(&series.Asset, s.Asset)
		series.Bars = append(series.Bars, s.Bars...)
		series.Nulls = append(series.Nulls, s.Nulls...)
		series.Dividends = append(series.Dividends, s.Dividends...)
		series.Splits = append(series.Splits, s.Splits...)
	}
	return series, result{}, true
}

// save stores series, the valid bars of check and the actions, replacing
// stored days whose values changed when force is set, and returns the
// task's result. A [TaskCompleter] completes the task with them.
func (tk *task) save(series *pricefill.Series, force bool, check checked, holes []Hole, completeness float64) result {
	completer := tk.s.completer
	// A completer completes the task with the bars, after which a renewal
	// would find the lease gone: stop renewing first. With any other store
	// the lease is renewed while it saves, and the task finished after.
	if completer != nil {
		tk.lease.end()
	}
	if tk.lease.lost.Load() {
		// Taken over: store nothing over the other worker's work.
		return result{outcome: queue.Release()}
	}
	// The bars are fetched: store them even if the run is being cancelled.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(tk.ctx), saveTimeout)
	defer cancel()
	req := SaveRequest{Series: series, Range: tk.q.Range, Force: force, Holes: holes}
	var (
		saved SaveResult
		err   error
	)
	if completer != nil {
		saved, err = completer.SaveAndComplete(sctx, req, tk.q, completeness)
	} else {
		saved, err = tk.s.store.Save(sctx, req)
	}
	switch {
	case errors.Is(err, queue.ErrLeaseLost):
		// The store keeps the queue and found the task taken over: it
		// stored nothing, and the task is the other worker's now.
		return result{outcome: queue.Release()}
	case err != nil:
		return tk.failure(fmt.Errorf("saving the bars: %w", err))
	}
	return result{
		outcome:   queue.Succeed(queue.Result{Counts: saved, Completeness: completeness}),
		completed: completer != nil,
		saved:     saved,
		check:     check,
	}
}

// A lease is the renewal of a task's lease while the task runs.
type lease struct {
	stop context.CancelFunc
	done chan struct{}
	lost atomic.Bool
}

// end stops renewing the lease, once the renewals in flight are over, and
// reports whether the lease was lost to another worker. It may be called
// more than once.
func (l *lease) end() bool {
	l.stop()
	<-l.done
	return l.lost.Load()
}

// keepLease renews the task's lease every third of its length until the
// lease is ended or the task's context ends. If another worker took the
// task over, it cancels the task's work.
func (tk *task) keepLease() *lease {
	ctx, stop := context.WithCancel(tk.ctx)
	l := &lease{stop: stop, done: make(chan struct{})}
	cfg := &tk.s.cfg
	go func() {
		defer close(l.done)
		for {
			if err := pricefill.Sleep(ctx, cfg.clock, cfg.lease/3); err != nil {
				return
			}
			err := cfg.queue.Extend(ctx, tk.q, cfg.lease)
			switch {
			case errors.Is(err, queue.ErrLeaseLost):
				l.lost.Store(true)
				tk.cancel()
				return
			case err != nil && ctx.Err() == nil:
				tk.log.Warn("renewing the lease failed", "err", err.Error())
			}
		}
	}()
	return l
}

// waitLimiter waits for the limiter under ctx (the task's, or a Pace's)
// while the run goes on: a task still waiting when the run is cancelled is
// given back at once.
func (tk *task) waitLimiter(ctx context.Context) error {
	waitCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(tk.s.ctx, cancel)
	defer stop()
	clock := tk.s.cfg.clock
	began := clock.Now()
	err := tk.s.cfg.limiter.Wait(waitCtx)
	tk.s.tally.limiterWait(clock.Now().Sub(began))
	return err
}

// limiterStopped gives the task back after the limiter's Wait returned
// err: the run is ending, the provider has been down past the limiter's
// patience (which ends the run), or the limiter failed (the worker backs
// off).
func (tk *task) limiterStopped(err error) result {
	res := result{outcome: queue.Release()}
	switch {
	case tk.stopping():
	case errors.Is(err, pricefill.ErrUnavailable):
		tk.s.stopRun(fmt.Errorf("backfill: stopped: %w; nothing lost; run it again to resume", err))
	default:
		res.limiterErr = err
	}
	return res
}

// stopping reports whether the run or the task is ending.
func (tk *task) stopping() bool {
	return tk.ctx.Err() != nil || tk.s.cancelled()
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

// call calls the fetcher for span, turning a panic into a permanent
// failure of the one symbol.
func (tk *task) call(ctx context.Context, span pricefill.Range) (s *pricefill.Series, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = pricefill.Permanent(fmt.Errorf("fetcher panicked: %v", p))
		}
	}()
	s, err = tk.s.fetcher.Fetch(ctx, tk.q.Symbol, span)
	if err == nil && s == nil {
		err = errors.New("fetcher returned no series and no error")
	}
	return s, err
}

// answered tells the limiter that the provider answered a fetch.
func (tk *task) answered() {
	if _, err := tell(tk.ctx, tk.s.cfg.feedback, tk.q.Symbol, nil); err != nil {
		tk.log.Warn("telling the limiter of an answer failed", "err", err.Error())
	}
}

// tell gives fb, the limiter of the provider asked, the news of one
// request for symbol that ended with err (nil: answered): a refusal for
// rate is Refused, an answer about the symbol (not found, permanent) is
// Answered as data is, and a failure that may say nothing about the symbol
// (unavailable, transient) is Failed, which reports whether the provider
// is taken to be down. A nil fb hears nothing. The report is made even
// when ctx has ended, for the request was made; ferr is fb's own failure.
// The Runner tells its limiter so, and a [Fallback] each provider's.
func tell(ctx context.Context, fb Feedback, symbol string, err error) (outage bool, ferr error) {
	if fb == nil {
		return false, nil
	}
	fctx, cancel := feedbackCtx(ctx)
	defer cancel()
	switch kind := pricefill.KindOf(err); {
	case err == nil, kind == pricefill.KindNotFound, kind == pricefill.KindPermanent:
		return false, fb.Answered(fctx)
	case kind == pricefill.KindRateLimited:
		rl := &pricefill.RateLimitError{}
		if !errors.As(err, &rl) {
			rl = &pricefill.RateLimitError{Err: err}
		}
		return false, fb.Refused(fctx, rl)
	default: // unavailable or transient
		return fb.Failed(fctx, symbol, err)
	}
}

// feedbackCtx returns the context of a report to the limiter: it is made
// even when the task's context ended, for the request was made.
func feedbackCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
}

// fetchFailure decides what becomes of the task after its fetch failed,
// having told the limiter. A failure that did not reach the provider, or
// that came while the provider is taken to be down, is not the symbol's:
// the task goes back to the queue with its attempts unchanged.
func (tk *task) fetchFailure(err error) result {
	kind := pricefill.KindOf(err)
	outage, ferr := tell(tk.ctx, tk.s.cfg.feedback, tk.q.Symbol, err)
	if ferr != nil {
		tk.log.Warn("telling the limiter of a failure failed", "err", ferr.Error())
	}
	if outage || kind == pricefill.KindUnavailable {
		tk.s.tally.deferred()
		msg := "the provider could not be reached; the task waits for it, no attempt used"
		if outage {
			msg = "the provider is down; the task waits for it, no attempt used"
		}
		tk.log.Warn(msg, "err", err.Error())
		return result{outcome: queue.Defer(err), kind: kind}
	}
	return tk.failure(err)
}

// failure decides what becomes of the task after its fetch or save failed.
func (tk *task) failure(err error) result {
	cfg := &tk.s.cfg
	now := cfg.clock.Now()
	kind := pricefill.KindOf(err)
	res := result{kind: kind}
	switch kind {
	case pricefill.KindRateLimited:
		wait := pricefill.RetryAfterOf(err)
		var rl *pricefill.RateLimitError
		if errors.As(err, &rl) && rl.Quota && rl.Reset.After(now) {
			wait = rl.Reset.Sub(now)
		}
		if wait <= 0 {
			wait = cfg.backoff(1)
		}
		tk.s.tally.rateLimited()
		tk.log.Warn("rate limited; will retry", "retry_in", wait, "err", err.Error())
		res.outcome = queue.RetryRateLimited(now.Add(wait), err)
	case pricefill.KindNotFound, pricefill.KindPermanent:
		tk.log.Error("giving up", "kind", kind.String(), "err", err.Error())
		res.outcome = queue.Fail(err)
	default:
		attempts := tk.q.Attempts + 1
		if attempts >= cfg.maxAttempts {
			tk.log.Error("giving up after the last attempt", "attempts", attempts, "err", err.Error())
			res.outcome = queue.FailLastAttempt(err)
			break
		}
		wait := cfg.backoff(attempts)
		tk.s.tally.retried()
		tk.log.Warn("failed; will retry", "attempt", attempts, "retry_in", wait, "err", err.Error())
		res.outcome = queue.Retry(now.Add(wait), err)
	}
	return res
}

// check keeps the bars of s that pass the validator's series check
// ([validate.CheckSeries], by the asset's calendar) and logs the others.
// A validator that drops fields (a [FieldDropper]) drops them first: the
// bar is kept without them, and the drops are logged and counted by rule.
func (tk *task) check(s *pricefill.Series) checked {
	cfg := &tk.s.cfg
	vc := validate.CheckSeries(cfg.validator, cfg.clock.Now(), tk.q.Range, cfg.calendarFor(s.Asset), s)
	c := checked{Valid: vc.Kept}
	for _, d := range vc.Dropped {
		c.DroppedByRule = tk.countDrops(d.Bar, d.Dropped, c.DroppedByRule)
	}
	for _, r := range vc.Rejected {
		c.Rejected++
		if c.RejectedByRule == nil {
			c.RejectedByRule = make(map[pricefill.Rule]int)
		}
		var reasons []string
		var ib *pricefill.InvalidBarError
		if errors.As(r.Err, &ib) && len(ib.Violations) > 0 {
			for _, v := range ib.Violations {
				c.RejectedByRule[v.Rule]++
				reasons = append(reasons, v.String())
			}
		} else {
			c.RejectedByRule["invalid"]++
			reasons = append(reasons, r.Err.Error())
		}
		if c.rejectedOn == nil {
			c.rejectedOn = make(map[time.Time]string)
		}
		c.rejectedOn[pricefill.DateOf(r.Bar.Date)] = strings.Join(reasons, "; ")
		tk.log.Warn("bar rejected", "date", r.Bar.Date.Format(pricefill.DateLayout), "reasons", strings.Join(reasons, "; "))
	}
	return c
}

// countDrops logs the fields dropped from bar b, which is kept, and adds
// them to dropped by rule, which it returns (made on the first drop).
func (tk *task) countDrops(b pricefill.Bar, drops []pricefill.Violation, dropped map[pricefill.Rule]int) map[pricefill.Rule]int {
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
	tk.log.Warn("bar kept without a field", "date", b.Date.Format(pricefill.DateLayout), "dropped", strings.Join(reasons, "; "))
	return dropped
}
