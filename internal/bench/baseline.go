package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill/httpopt"
	"github.com/pricefill/pricefill/backfill/yahoo"
	"github.com/pricefill/pricefill/internal/upstream"
	"github.com/pricefill/pricefill/ratelimit"
	"github.com/pricefill/pricefill/validate"
	"github.com/pricefill/pricefill/validate/calendar"
)

// baselineConfig is the experiment that sets the Runner against the
// sequential script of the original plan.
type baselineConfig struct {
	symbols     int
	rate        int           // the server's limit R; the script sleeps 1/R
	latency     time.Duration // the server's latency L
	days        int           // trading days per symbol
	concurrency int           // the Runner's workers
	margins     []float64     // the Runner's limiter rates, each a share of R: one run each
	dir         string        // "" means a new temporary directory
}

func (c baselineConfig) validate() error {
	if c.symbols < 1 || c.rate < 1 || c.latency < 0 || c.days < 1 || c.concurrency < 1 {
		return errors.New("-baseline-symbols, -baseline-rate, -baseline-days and -baseline-concurrency must be at least 1, -baseline-latency not negative")
	}
	return validateMargins(c.margins)
}

// baselineResult is one run of the script and one of the Runner per
// margin.
type baselineResult struct {
	script  baselineRun
	runners []baselineRun
	// The script's time, summed by step.
	sleeping, fetching, validating, inserting time.Duration
	// journal and synchronous are the script's SQLite settings.
	journal, synchronous string
}

// baselineRun is how one run did.
type baselineRun struct {
	margin      float64 // the Runner's limiter rate as a share of R; 0 for the script
	wall        time.Duration
	bars        int64 // rows stored
	wantBars    int64
	requests    int
	rateLimited int
	failed      int // symbols not stored (the script gives up on an error)
	// window is the shortest time from an arrival at the server to the
	// R-th after it.
	window time.Duration
}

// tally counts the server's chart requests and measures their spacing.
func (r *baselineRun) tally(reqs []upstream.Request, rate int) {
	var u utilisationResult
	tally(&u, reqs, rate)
	r.requests, r.rateLimited, r.window = u.requests, u.rateLimited, u.window
}

func (r baselineRun) perSymbol(n int) float64 { return r.wall.Seconds() / float64(n) }

func runBaseline(ctx context.Context, c baselineConfig, stderr io.Writer) (*baselineResult, error) {
	dir, cleanup, err := workDir(c.dir)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	rng, days := shortRange(c.days)
	symbols := benchSymbols(c.symbols)
	res := &baselineResult{}

	err = withServer(c, func(srv *upstream.Server) error {
		res.script.wantBars = int64(days * len(symbols))
		err := runScript(ctx, srv.URL(), filepath.Join(dir, "script.db"), symbols, rng, time.Second/time.Duration(c.rate), res)
		res.script.tally(srv.Requests(), c.rate)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("the sequential script: %w", err)
	}
	fmt.Fprintf(stderr, "bench: baseline script: %.3f s a symbol\n", res.script.perSymbol(len(symbols)))

	for _, m := range c.margins {
		run, err := baselineRunner(ctx, c, m, symbols, rng, filepath.Join(dir, fmt.Sprintf("runner-%g.db", m)), stderr)
		if err != nil {
			return nil, fmt.Errorf("the Runner, limiter at %g × R: %w", m, err)
		}
		run.wantBars = int64(days * len(symbols))
		fmt.Fprintf(stderr, "bench: baseline Runner, limiter at %g × R: %.3f s a symbol, %d refused\n", m, run.perSymbol(len(symbols)), run.rateLimited)
		res.runners = append(res.runners, run)
	}
	for _, side := range append([]baselineRun{res.script}, res.runners...) {
		if side.bars != side.wantBars {
			return res, fmt.Errorf("%d bars stored, want %d", side.bars, side.wantBars)
		}
	}
	return res, nil
}

// baselineRunner runs the Runner, wired as examples/cli, with its limiter
// at margin × R, against a new server.
func baselineRunner(ctx context.Context, c baselineConfig, margin float64, symbols []string, rng pricefill.Range, dbPath string, stderr io.Writer) (baselineRun, error) {
	run := baselineRun{margin: margin}
	err := withServer(c, func(srv *upstream.Server) error {
		f, err := yahoo.New(httpopt.WithBaseURL(srv.URL()))
		if err != nil {
			return err
		}
		p, err := openPipeline(ctx, wiring{
			dsn: dbPath, source: "yahoo", fetcher: f,
			rate:        margin * float64(c.rate),
			hourly:      max(ratelimit.HourlyLimitDefault, 2*len(symbols)),
			concurrency: c.concurrency,
			console:     stderr,
		})
		if err != nil {
			return err
		}
		defer p.Close()
		if _, run.wall, err = p.run(ctx, symbols, rng); err != nil {
			return err
		}
		run.tally(srv.Requests(), c.rate)
		run.bars, err = countPrices(ctx, "sqlite", dbPath)
		return err
	})
	return run, err
}

// withServer runs f with a new fake Yahoo at c's limit and latency.
func withServer(c baselineConfig, f func(*upstream.Server) error) error {
	srv, err := upstream.New(upstream.WithRateLimit(c.rate), upstream.WithLatency(c.latency))
	if err != nil {
		return err
	}
	defer closeServer(srv)
	return f(srv)
}

// The script's table: the plan's, one row per symbol and day.
const scriptSchema = `CREATE TABLE prices (
	symbol    TEXT NOT NULL,
	date      TEXT NOT NULL,
	open      REAL NOT NULL,
	high      REAL NOT NULL,
	low       REAL NOT NULL,
	close     REAL NOT NULL,
	adj_close REAL,
	volume    INTEGER NOT NULL,
	source    TEXT NOT NULL,
	PRIMARY KEY (symbol, date)
)`

const scriptInsert = `INSERT INTO prices (symbol, date, open, high, low, close, adj_close, volume, source)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`

// runScript is the original plan's loop: for each symbol, one after the
// other, sleep the minimum delay, fetch (the program's Yahoo fetcher),
// validate each bar, and insert the valid ones one INSERT at a time, each
// its own transaction, into an SQLite file with the driver's defaults.
func runScript(ctx context.Context, baseURL, dbPath string, symbols []string, rng pricefill.Range, delay time.Duration, res *baselineResult) error {
	f, err := yahoo.New(httpopt.WithBaseURL(baseURL))
	if err != nil {
		return err
	}
	v, err := validate.New()
	if err != nil {
		return err
	}
	db, err := sql.Open("sqlite", dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, scriptSchema); err != nil {
		return err
	}
	if err := db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&res.journal); err != nil {
		return err
	}
	if err := db.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&res.synchronous); err != nil {
		return err
	}

	t0 := time.Now()
	for _, sym := range symbols {
		t := time.Now()
		if err := pricefill.Sleep(ctx, pricefill.SystemClock(), delay); err != nil {
			return err
		}
		res.sleeping += time.Since(t)

		t = time.Now()
		s, err := f.Fetch(ctx, sym, rng)
		res.fetching += time.Since(t)
		if err != nil {
			res.script.failed++
			continue
		}

		t = time.Now()
		now := time.Now()
		valid := s.Bars[:0]
		cal := calendar.For(s.Asset)
		for _, b := range s.Bars {
			if v.Validate(now, rng, s.Asset, cal, b) == nil {
				valid = append(valid, b)
			}
		}
		res.validating += time.Since(t)

		t = time.Now()
		for _, b := range valid {
			var adj any
			if b.AdjClose > 0 {
				adj = b.AdjClose
			}
			if _, err := db.ExecContext(ctx, scriptInsert, b.Symbol, b.Date.Format(pricefill.DateLayout),
				b.Open, b.High, b.Low, b.Close, adj, b.Volume, b.Source); err != nil {
				return fmt.Errorf("insert %s %s: %w", b.Symbol, b.Date.Format(pricefill.DateLayout), err)
			}
		}
		res.inserting += time.Since(t)
	}
	res.script.wall = time.Since(t0)
	res.script.bars, err = countPrices(ctx, "sqlite", dbPath)
	return err
}

func writeBaseline(w io.Writer, c baselineConfig, res baselineResult) {
	n := c.symbols
	rng, days := shortRange(c.days)
	fmt.Fprintf(w, "## 2. Against the sequential baseline\n\n")
	fmt.Fprintf(w, "Fake Yahoo: R = %d request/s enforced, latency L = %s; %d symbols, %s (%d trading days each). "+
		"Script: one symbol at a time: sleep 1/R = %s, fetch with the yahoo fetcher, validate, "+
		"one autocommit INSERT per bar into a new SQLite file (driver defaults: journal_mode=%s, synchronous=%s, 2 being FULL). "+
		"Runner: wired as examples/cli, %d workers, limiter at m × R, store on a new SQLite file. "+
		"A new server for each run.\n\n",
		c.rate, c.latency, n, rng, days, time.Second/time.Duration(c.rate), res.journal, res.synchronous, c.concurrency)
	fmt.Fprintf(w, "| | wall time | s per symbol | speed-up | 429 (limit) | requests | server: shortest %d-gap window | bars stored |\n", c.rate)
	fmt.Fprintf(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	script := res.script.perSymbol(n)
	fmt.Fprintf(w, "| sequential script | %.2f s | **%.3f** | | %d | %d | %s | %s |\n", res.script.wall.Seconds(), script,
		res.script.rateLimited, res.script.requests, fmtDuration(res.script.window), thousands(res.script.bars))
	for _, r := range res.runners {
		fmt.Fprintf(w, "| Runner, limiter at %g × R | %.2f s | **%.3f** | **%.2f×** | %d | %d | %s | %s |\n", r.margin, r.wall.Seconds(),
			r.perSymbol(n), script/r.perSymbol(n), r.rateLimited, r.requests, fmtDuration(r.window), thousands(r.bars))
	}
	fmt.Fprintf(w, "\nSpeed-up is the script's seconds per symbol ÷ the Runner's. The script's time by step, per symbol: "+
		"sleeping %.3f s, fetching %.3f s, validating %.6f s, inserting %.4f s. "+
		"The server refuses a request when R = %d others came in the second before it, so a window (from an arrival to the R-th after it) under 1 s means a 429 "+
		"(which costs the Runner a second request and a cool-down of the server's Retry-After, 1 s, for every worker).\n\n",
		res.sleeping.Seconds()/float64(n), res.fetching.Seconds()/float64(n), res.validating.Seconds()/float64(n), res.inserting.Seconds()/float64(n), c.rate)
}
