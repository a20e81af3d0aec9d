package backfill

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/queue"
)

// A Runner backfills symbols: it queues a task per symbol and has a pool
// of workers claim, fetch, validate and store them under a shared limiter.
// Build one with [New]; one Runner may serve many runs, one after another
// or at once.
type Runner struct {
	fetcher Fetcher
	store   Store
	// completer is the store when it completes the tasks of the runner's
	// queue with their bars, or nil.
	completer TaskCompleter
	cfg       config
	metrics   *runMetrics // nil without WithMetrics
}

// New returns a Runner that fetches with f and stores into s, configured by
// opts. It returns an error naming the option when an option is invalid,
// or when the metrics cannot be registered (see [WithMetrics]).
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
	if err := cfg.fillDefaults(s); err != nil {
		return nil, err
	}
	r := &Runner{fetcher: f, store: s, cfg: cfg}
	if cfg.metrics != nil {
		m, err := registerMetrics(cfg.metrics, cfg.limiter, f)
		if err != nil {
			return nil, err
		}
		r.metrics = m
	}
	if c, ok := s.(TaskCompleter); ok && c.CompletesTasksOf(cfg.queue) {
		r.completer = c
	}
	return r, nil
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
	id, sum, err := r.start(ctx, specs, ids)
	if err != nil {
		return nil, err
	}
	already := sum.Counts[queue.Completed]
	tl := newTally(r.cfg.clock.Now(), len(ids), req.Range, already, r.metrics)
	r.cfg.logger.Info("backfill started", "symbols", len(ids), "range", req.Range.String(),
		"already_done", already, "workers", r.cfg.concurrency)
	r.metrics.started(tl)
	rep, err := newScheduler(r, id, tl).execute(ctx)
	r.metrics.finished(ctx, tl, rep, err)
	return rep, err
}

// start starts the run over the tasks ids of specs. When earlier runs
// completed some of them and the store is a [DateLister], it checks each
// symbol against the store first and reopens the completed tasks whose
// range misses final sessions that are not holes in their back-off (see
// [Hole]): deleted days, a session that was still open at the last run, a
// day the provider served late. Reruns of the same request so repair what
// is missing, at one read of the store per symbol; a first run, or a
// forced one, reads nothing.
func (r *Runner) start(ctx context.Context, specs []queue.Spec, ids []int64) (queue.RunID, queue.Summary, error) {
	id, sum, err := r.cfg.queue.StartRun(ctx, ids, r.cfg.worker, HeartbeatTimeout)
	if err != nil {
		return 0, sum, fmt.Errorf("backfill: start the run: %w", err)
	}
	if _, lister := r.store.(DateLister); r.cfg.force || !lister || sum.Counts[queue.Completed] == 0 {
		return id, sum, nil
	}
	reopened, err := r.reopen(ctx, specs)
	if err == nil && reopened {
		// The run holds the tasks that were open when it started: start
		// it again with the reopened ones. It has claimed nothing yet.
		if err = r.cfg.queue.EndRun(ctx, id); err == nil {
			if id, sum, err = r.cfg.queue.StartRun(ctx, ids, r.cfg.worker, HeartbeatTimeout); err != nil {
				return 0, sum, fmt.Errorf("backfill: start the run: %w", err)
			}
		}
	}
	if err != nil {
		_ = r.cfg.queue.EndRun(context.WithoutCancel(ctx), id)
		return 0, sum, err
	}
	return id, sum, nil
}

// reopen checks specs against the store and reopens those of their
// completed tasks whose range misses final sessions; it reports whether
// any spec missed some. A task completed since the check began, by another
// process, is not reopened: its completion is newer than what the check
// read.
func (r *Runner) reopen(ctx context.Context, specs []queue.Spec) (bool, error) {
	now := r.cfg.clock.Now()
	missing, err := r.missing(ctx, specs, now)
	if err != nil {
		return false, err
	}
	var need []queue.Spec
	for i, s := range specs {
		if missing[i] {
			need = append(need, s)
		}
	}
	r.cfg.logger.Debug("checked the store", "symbols", len(specs), "missing_final_sessions", len(need),
		"took", r.cfg.clock.Now().Sub(now))
	if len(need) == 0 {
		return false, nil
	}
	if _, err := r.cfg.queue.Enqueue(ctx, need, queue.EnqueueOptions{ReopenCompletedBefore: now}); err != nil {
		return false, fmt.Errorf("backfill: reopen %d tasks: %w", len(need), err)
	}
	return true, nil
}

// missing reports, for each spec, whether its plan at now has requests to
// make. It reads the store for as many symbols at once as the runner has
// workers.
func (r *Runner) missing(ctx context.Context, specs []queue.Spec, now time.Time) ([]bool, error) {
	out := make([]bool, len(specs))
	errs := make([]error, len(specs))
	var (
		next atomic.Int64
		wg   sync.WaitGroup
	)
	for range min(r.cfg.concurrency, len(specs)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(specs); i = int(next.Add(1) - 1) {
				s := specs[i]
				p, err := r.plan(ctx, &queue.Task{Symbol: s.Symbol, Range: s.Range}, pricefill.Asset{Symbol: s.Symbol}, now)
				if err != nil {
					errs[i] = fmt.Errorf("backfill: check %s against the store: %w", s.Symbol, err)
					return
				}
				out[i] = len(p.spans) > 0
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
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
