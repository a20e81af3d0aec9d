// Command cli is pricefill's example program: it backfills daily prices
// for a universe of symbols (by default the S&P 500, from Yahoo Finance,
// into the SQLite file backfill.db) and reports what it did. It only wires
// the library: flags, then the parts, then backfill.Runner.Run.
//
// Run it with go run ./examples/cli; --help lists the flags.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // exchange time zones on machines without a zone database

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/internal/gcpercent"
	"github.com/pricefill/pricefill/store"
)

// Exit statuses.
const (
	exitOK          = 0
	exitFailures    = 1
	exitUsage       = 2
	exitDatabase    = 3 // the database could not be reached
	exitInterrupted = 130
)

// version is set at build time with -ldflags "-X main.version=…".
var version = ""

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The first SIGINT or SIGTERM stops gracefully, the second at once.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sigs
		fmt.Fprintf(os.Stderr, "\npricefill: %s: stopping; symbols in flight get %s to finish (again to stop at once)\n", s, backfill.GracePeriodDefault)
		cancel()
		<-sigs
		os.Exit(exitInterrupted)
	}()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

// run is the program, minus the process: it returns the exit status.
func run(ctx context.Context, args []string, stdout io.Writer, stderr *os.File, getenv func(string) string) int {
	o, err := parseArgs(args, stdout, getenv)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case err != nil:
		fmt.Fprintln(stderr, "pricefill:", oneLine(err))
		return exitUsage
	case o.version:
		fmt.Fprintln(stdout, "pricefill", versionString())
		return exitOK
	}
	code, err := runWith(ctx, o, stdout, stderr)
	if ctx.Err() != nil && code != exitOK {
		// Interrupted, perhaps while still opening the database: that
		// is no bad usage.
		return exitInterrupted
	}
	if err != nil {
		fmt.Fprintln(stderr, "pricefill:", oneLine(err))
	}
	return code
}

// runWith opens the database and the source, then runs once, on a
// schedule, or shows the status; --export and --status --coverage only
// read the database.
func runWith(ctx context.Context, o *options, stdout io.Writer, stderr *os.File) (int, error) {
	if o.export != "" || o.coverage {
		return readOut(ctx, o, stdout)
	}
	// Only for fetching: an export's memory stays flat at Go's default,
	// not at the higher GOGC (its Parquet row groups make much garbage).
	gcpercent.Set()
	fetchers, err := o.openFetchers()
	if err != nil {
		return exitUsage, err
	}
	clock, err := processClock()
	if err != nil {
		return exitUsage, err
	}
	db, code, err := o.openDB(ctx, clock, o.status)
	if err != nil {
		return code, err
	}
	defer db.Close()
	w, err := o.wire(fetchers, db.Ledger(), clock)
	if err != nil {
		return exitUsage, err
	}
	switch {
	case o.status:
		if err := showStatus(ctx, db, w.limiters, stdout); err != nil {
			return exitUsage, err
		}
		return exitOK, nil
	case o.plan:
		if err := showPlan(ctx, o, w.fetcher, db, w.limiter, stdout); err != nil {
			return exitUsage, err
		}
		return exitOK, nil
	}

	con := newConsole(stderr)
	dbLog, err := db.NewLogHandler(store.WithLogLevel(o.logLevel))
	if err != nil {
		return exitUsage, err
	}
	defer dbLog.Close()
	consoleLevel := o.logLevel
	if con.terminal && !o.levelSet {
		consoleLevel = slog.LevelWarn // the progress line says the rest
	}
	var consoleLog slog.Handler = slog.NewTextHandler(con, &slog.HandlerOptions{Level: consoleLevel})
	if o.logFormat == "json" {
		consoleLog = slog.NewJSONHandler(con, &slog.HandlerOptions{Level: consoleLevel, ReplaceAttr: secondsAttr})
	}
	logger := slog.New(slog.NewMultiHandler(consoleLog, dbLog))
	metrics, stopMetrics, err := serveMetrics(o, logger, con)
	if err != nil {
		return exitUsage, err
	}
	defer stopMetrics()

	r, err := backfill.New(w.fetcher, db,
		backfill.WithLimiter(w.limiter),
		backfill.WithConcurrency(o.concurrency),
		backfill.WithMaxAttempts(o.maxAttempts),
		backfill.WithLease(o.lease),
		backfill.WithForce(o.force),
		backfill.WithLogger(logger),
		backfill.WithProgress(con.progress),
		backfill.WithClock(clock),
		backfill.WithMetrics(metrics),
	)
	if err != nil {
		return exitUsage, err
	}
	// The universe's names and sectors; a provider's name, once fetched,
	// replaces the name (an empty one keeps it).
	if err := db.PutAssets(ctx, o.assets); err != nil {
		return exitFailures, err
	}
	logger.Info("pricefill", "version", versionString(), "source", o.describe(), "db", db.String(),
		"symbols", len(o.symbols), "from", o.universe, "range", o.rangeAt(clock.Now()).String())

	for {
		began := clock.Now()
		rep, err := r.Run(ctx, o.request(began))
		con.done()
		if rep != nil {
			if werr := writeReport(rep, o, db, stdout); werr != nil {
				logger.Error("writing the report failed", "err", werr.Error())
			}
		}
		if ctx.Err() == nil {
			retain(ctx, db, o.keep, logger)
		}
		switch {
		case ctx.Err() != nil:
			return exitInterrupted, nil
		case err != nil:
			return exitFailures, err
		case !o.scheduled:
			if rep.Failed > 0 {
				return exitFailures, nil
			}
			return exitOK, nil
		}
		now := clock.Now()
		next := o.schedule.next(began, now)
		logger.Info("next run", "at", next.Format(time.RFC3339), "schedule", o.schedule.String())
		if consoleLevel > slog.LevelInfo {
			con.status("next run at " + next.Format("2006-01-02 15:04 MST") + " (" + o.schedule.String() + ")")
		}
		if pricefill.Sleep(ctx, clock, next.Sub(now)) != nil {
			con.done()
			return exitInterrupted, nil
		}
	}
}

// openDB opens --db, and returns the exit status of its failure: 3 for a
// database that cannot be reached, else 2. With readOnly (--status,
// --export) it creates no database: a mistyped --db is bad usage.
func (o *options) openDB(ctx context.Context, clock pricefill.Clock, readOnly bool) (*store.DB, int, error) {
	// On PostgreSQL the database's clock decides leases and budgets, so
	// that a fleet whose clocks disagree agrees.
	sopts := []store.Option{store.WithDatabaseClock(clock)}
	if o.dbSchema != "" {
		sopts = append(sopts, store.WithSchema(o.dbSchema))
	}
	if readOnly {
		sopts = append(sopts, store.WithoutCreating())
	}
	db, err := store.Open(ctx, o.dsn, sopts...)
	switch {
	case errors.Is(err, store.ErrUnreachable):
		return nil, exitDatabase, fmt.Errorf("--db: %w", err)
	case errors.Is(err, store.ErrNoDatabase):
		return nil, exitUsage, fmt.Errorf("--db: %w (a run that fetches creates it)", err)
	case err != nil:
		return nil, exitUsage, fmt.Errorf("--db: %w", err)
	}
	return db, exitOK, nil
}

// secondsAttr writes a duration as a number of seconds, for the JSON log:
// slog's own JSON has nanoseconds, which no one reads as such.
func secondsAttr(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		a.Value = slog.Float64Value(a.Value.Duration().Seconds())
	}
	return a
}

// retain deletes the history older than keep, and logs what it deleted. A
// failure is logged: the run's work is done.
func retain(ctx context.Context, db *store.DB, keep time.Duration, logger *slog.Logger) {
	got, err := db.Retain(ctx, keep)
	switch {
	case err != nil:
		logger.Warn("deleting old history failed", "keep", keep, "err", err.Error())
	case got.Tasks+got.Logs > 0:
		logger.Info("old history deleted", "keep", keep, "tasks", got.Tasks, "log_records", got.Logs)
	}
}

// request is the run's request at now: the symbols over the range of
// --from, --to and --days.
func (o *options) request(now time.Time) backfill.Request {
	return backfill.Request{Symbols: o.symbols, Range: o.rangeAt(now)}
}

// showPlan prints what a run would need, fetching nothing.
func showPlan(ctx context.Context, o *options, fetcher backfill.Fetcher, db *store.DB, limiter backfill.Limiter, stdout io.Writer) error {
	r, err := backfill.New(fetcher, db,
		backfill.WithLimiter(limiter),
		backfill.WithForce(o.force),
		backfill.WithLogger(slog.New(slog.DiscardHandler)),
	)
	if err != nil {
		return err
	}
	p, err := r.Plan(ctx, o.request(time.Now()))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "pricefill plan: %s into %s\n", o.describe(), db)
	return p.WriteText(stdout)
}

// writeReport prints the report, and writes it as JSON when asked.
func writeReport(rep *backfill.Report, o *options, db *store.DB, stdout io.Writer) error {
	fmt.Fprintf(stdout, "pricefill report: %s into %s\n", o.describe(), db)
	if err := rep.WriteText(stdout); err != nil {
		return err
	}
	if o.reportJSON == "" {
		return nil
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(o.reportJSON, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("--report-json: %w", err)
	}
	return nil
}

// oneLine puts an error on one line: joined errors go on with "; ".
func oneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}

func versionString() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
	}
	return v
}
