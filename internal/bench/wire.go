package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/ratelimit"
	"github.com/pricefill/pricefill/store"
)

// wiring is what examples/cli takes from its flags to build a run.
type wiring struct {
	dsn     string
	fetcher backfill.Fetcher
	// rate is the limiter's requests a second (0: no minimum gap), and
	// hourly its budget of any rolling hour (0: none), as --rate and
	// --hourly-limit.
	rate        float64
	hourly      int
	concurrency int
	// console receives the warnings and errors, as the program's stderr
	// on a terminal does.
	console io.Writer
}

// pipeline is a run's parts, wired as examples/cli's runWith wires them:
// the store (and its SQL queue) opened from a DSN, a logger to the console
// and to fetcher_logs, the limiter of --rate and --hourly-limit, and the
// Runner over them with the program's defaults.
type pipeline struct {
	db     *store.DB
	dbLog  *store.LogHandler
	runner *backfill.Runner
	close  func() error
}

// openPipeline wires w. Close the pipeline when done.
func openPipeline(ctx context.Context, w wiring) (*pipeline, error) {
	limiter, err := newLimiter(w.rate, w.hourly)
	if err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, w.dsn)
	if err != nil {
		return nil, err
	}
	dbLog, err := db.NewLogHandler(store.WithLogLevel(slog.LevelInfo))
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	console := slog.NewTextHandler(w.console, &slog.HandlerOptions{Level: slog.LevelWarn})
	logger := slog.New(slog.NewMultiHandler(console, dbLog))
	r, err := backfill.New(w.fetcher, db,
		backfill.WithLimiter(limiter),
		backfill.WithConcurrency(w.concurrency),
		backfill.WithMaxAttempts(backfill.MaxAttemptsDefault),
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

// newLimiter builds the limiter as examples/cli does from --rate and
// --hourly-limit.
func newLimiter(rate float64, hourly int) (*ratelimit.Limiter, error) {
	var interval time.Duration
	if rate > 0 {
		interval = time.Duration(float64(time.Second) / rate)
	}
	if hourly == 0 {
		hourly = math.MaxInt32
	}
	return ratelimit.New(ratelimit.WithInterval(interval), ratelimit.WithHourlyLimit(hourly))
}

// run backfills symbols over r and returns the report and the wall time
// of Run.
func (p *pipeline) run(ctx context.Context, symbols []string, r pricefill.Range) (*backfill.Report, time.Duration, error) {
	t0 := time.Now()
	rep, err := p.runner.Run(ctx, backfill.Request{Symbols: symbols, Range: r})
	elapsed := time.Since(t0)
	if err == nil && rep.Succeeded != len(symbols) {
		err = fmt.Errorf("%d of %d symbols succeeded (%d failed, %d unfinished)", rep.Succeeded, len(symbols), rep.Failed, rep.Unfinished)
	}
	return rep, elapsed, err
}

// Close flushes the log and closes the store, as the program does; calls
// after the first return its result.
func (p *pipeline) Close() error { return p.close() }
