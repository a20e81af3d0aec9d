package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/ratelimit"
	"github.com/pricefill/pricefill/store"
)

// wiring is what examples/cli takes from its flags to build a run.
type wiring struct {
	dsn string
	// source is --source: the name of the limiter's budget in the
	// database's ledger, shared by every process on the database; a local
	// source (see localSources) has an in-memory limiter that never waits.
	source  string
	fetcher backfill.Fetcher
	// rate is the limiter's requests a second (0: no minimum gap), and
	// hourly its budget of any rolling hour (0: none), as --rate and
	// --hourly-limit.
	rate        float64
	hourly      int
	concurrency int
	// console receives the warnings and errors, as the program's stderr
	// on a terminal does; quiet keeps it to the errors (a run with faults
	// on purpose warns of every retry and every rejected bar).
	console io.Writer
	quiet   bool

	// What a run may set that the program takes from its defaults:
	// limiterOptions add to the limiter's (a shorter cool-down, say);
	// maxAttempts is --max-attempts, 0 meaning backfill.MaxAttemptsDefault;
	// retryBackoff is the wait before a retry, nil meaning the Runner's
	// default (5, 10, 20, 40, 80 s).
	limiterOptions []ratelimit.Option
	maxAttempts    int
	retryBackoff   backfill.BackoffFunc
}

// localSources are examples/cli's sources without a provider: no budget
// to share, no provider to be down.
var localSources = map[string]bool{"csvdir": true, "synthetic": true}

// pipeline is a run's parts, wired as examples/cli's runWith wires them:
// the store (and its SQL queue) opened from a DSN, the limiter of --rate
// and --hourly-limit (a provider's budget in the store's ledger), a
// logger to the console and to fetcher_logs, and the Runner over them
// with the program's defaults.
type pipeline struct {
	db     *store.DB
	dbLog  *store.LogHandler
	runner *backfill.Runner
	close  func() error
}

// openPipeline wires w. Close the pipeline when done.
func openPipeline(ctx context.Context, w wiring) (*pipeline, error) {
	db, err := store.Open(ctx, w.dsn)
	if err != nil {
		return nil, err
	}
	limiter, err := newLimiter(w.source, db.Ledger(), w.rate, w.hourly, w.limiterOptions...)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	dbLog, err := db.NewLogHandler(store.WithLogLevel(slog.LevelInfo))
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	level := slog.LevelWarn
	if w.quiet {
		level = slog.LevelError
	}
	console := slog.NewTextHandler(w.console, &slog.HandlerOptions{Level: level})
	logger := slog.New(slog.NewMultiHandler(console, dbLog))
	r, err := backfill.New(w.fetcher, db,
		backfill.WithLimiter(limiter),
		backfill.WithConcurrency(w.concurrency),
		backfill.WithMaxAttempts(cmp.Or(w.maxAttempts, backfill.MaxAttemptsDefault)),
		backfill.WithRetryBackoff(w.retryBackoff),
		backfill.WithLease(backfill.LeaseDefault),
		backfill.WithLogger(logger),
	)
	if err != nil {
		_ = dbLog.Close()
		_ = db.Close()
		return nil, err
	}
	p := &pipeline{db: db, dbLog: dbLog, runner: r}
	p.close = sync.OnceValue(func() error { return errors.Join(p.dbLog.Close(), p.db.Close()) })
	return p, nil
}

// newLimiter builds the limiter of source as examples/cli's
// options.limiter does from --rate and --hourly-limit (no --daily-limit,
// the default --outage-timeout), with opts after the program's. A
// provider's budget lives in ledger under the source's name; a local
// source's limiter is in memory and has no breaker, so that at the
// program's defaults for it (no --rate, no --hourly-limit: rate and hourly
// 0) it never waits.
func newLimiter(source string, ledger ratelimit.Ledger, rate float64, hourly int, opts ...ratelimit.Option) (*ratelimit.Limiter, error) {
	var interval time.Duration
	if rate > 0 {
		interval = time.Duration(float64(time.Second) / rate)
	}
	base := []ratelimit.Option{
		ratelimit.WithName(source),
		ratelimit.WithInterval(interval), ratelimit.WithHourlyLimit(hourly), ratelimit.WithDailyLimit(0),
		ratelimit.WithOutageTimeout(ratelimit.OutageTimeoutDefault),
	}
	if localSources[source] {
		base = append(base, ratelimit.WithBreaker(0)) // no provider to be down
	} else {
		base = append(base, ratelimit.WithLedger(ledger))
	}
	return ratelimit.New(append(base, opts...)...)
}

// run backfills symbols over r and returns the report and the wall time
// of Run; every symbol must succeed.
func (p *pipeline) run(ctx context.Context, symbols []string, r pricefill.Range) (*backfill.Report, time.Duration, error) {
	rep, elapsed, err := p.runSome(ctx, symbols, r)
	if err == nil && rep.Succeeded != len(symbols) {
		err = fmt.Errorf("%d of %d symbols succeeded (%d failed, %d unfinished)", rep.Succeeded, len(symbols), rep.Failed, rep.Unfinished)
	}
	return rep, elapsed, err
}

// runSome backfills symbols over r and returns the report and the wall
// time of Run, whatever became of each symbol: the report says.
func (p *pipeline) runSome(ctx context.Context, symbols []string, r pricefill.Range) (*backfill.Report, time.Duration, error) {
	t0 := time.Now()
	rep, err := p.runner.Run(ctx, backfill.Request{Symbols: symbols, Range: r})
	return rep, time.Since(t0), err
}

// Close flushes the log and closes the store, as the program does; calls
// after the first return its result.
func (p *pipeline) Close() error { return p.close() }
