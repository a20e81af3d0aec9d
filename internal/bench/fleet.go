package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill/synthetic"
	"github.com/pricefill/pricefill/internal/upstream"
	"github.com/pricefill/pricefill/queue"
	"github.com/pricefill/pricefill/store"
)

// fleetConfig is the fleet experiment: several programs at once on one
// database, each at the fleet's --rate, against a provider that refuses
// beyond its limit and then everything for a cool-down.
type fleetConfig struct {
	symbols     int
	procs       int           // programs started at once
	rate        int           // the server's limit R, requests a second
	programRate float64       // each program's --rate: the fleet's rate
	concurrency int           // each program's --concurrency
	latency     time.Duration // the server's latency L
	days        int           // --days
	pgURL       string        // "" skips PostgreSQL
	dir         string        // "" means a new temporary directory
}

// The fleet's fixed parts and targets.
const (
	// fleetCoolDown is the server's strict cool-down after a refusal.
	fleetCoolDown = time.Second
	// fleetMaxRefusals is the most refusals the fleet may meet: a grant
	// and its arrival are a fraction of a millisecond apart, by an
	// amount that varies, so a budget just under a strict limit meets
	// one now and then (internal/e2e's TestFleetSharesOneBudget allows
	// as many).
	fleetMaxRefusals = 2
	// fleetMinUtilisation is the least share of the fleet's rate that its
	// data answers are to reach.
	fleetMinUtilisation = 0.9
)

// validate says what is wrong with c, naming the flags.
func (c fleetConfig) validate() error {
	var errs []error
	if c.symbols < 1 || c.procs < 1 || c.rate < 1 || c.concurrency < 1 || c.days < 1 || c.latency < 0 {
		errs = append(errs, errors.New("-fleet-symbols, -fleet-procs, -fleet-rate, -fleet-concurrency and -fleet-days must be at least 1, -fleet-latency not negative"))
	}
	if !(c.programRate > 0) {
		errs = append(errs, fmt.Errorf("-fleet-program-rate %g: want a rate above 0", c.programRate))
	}
	return errors.Join(errs...)
}

// deadline is how long a run may take before it counts as stuck: a
// minute, plus five times what its requests take at the fleet's rate.
func (c fleetConfig) deadline() time.Duration {
	return time.Minute + time.Duration(5*float64(c.symbols)/c.programRate*float64(time.Second))
}

// fleetResult is one run of the fleet, on one database, or why there was
// none.
type fleetResult struct {
	dialect string
	skipped string
	rng     pricefill.Range
	// wall is from the first program's start to the last one's exit.
	wall  time.Duration
	exits []exit
	// server counts the data requests the server saw; answered those it
	// answered with data; span is from the first to the last of them.
	server   serverCounts
	answered int
	span     time.Duration
	// peak is Server.PeakRate(time.Second); refusals and duringCoolDown
	// are Server.Refusals and Server.DuringCoolDown.
	peak, refusals, duringCoolDown int
	// once checks that every symbol was completed, and answered with
	// data, exactly once; bars that every valid bar was stored once.
	once, bars faultsCheck
}

// utilisation is the data answers a second over the span at the server,
// as a share of the fleet's rate.
func (r fleetResult) utilisation(programRate float64) float64 {
	if r.span <= 0 {
		return 0
	}
	return float64(r.answered) / (programRate * r.span.Seconds())
}

// err says which properties failed: a program's exit status, a symbol
// not completed once, a bar not stored once.
func (r fleetResult) err() error {
	var missed []string
	for i, e := range r.exits {
		if e.code != 0 {
			missed = append(missed, fmt.Sprintf("program %d exited %d: %s", i+1, e.code, e.tail()))
		}
	}
	return missedErr(missed, r.once, r.bars)
}

// runFleet runs the fleet of prog on SQLite and, given -pg, on
// PostgreSQL, each with a server and a database of its own. A property
// that fails on one database does not stop the other.
func runFleet(ctx context.Context, c fleetConfig, prog *program, stderr io.Writer) ([]fleetResult, error) {
	dir, cleanup, err := workDir(c.dir)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	var out []fleetResult
	var missed []error
	for _, dialect := range dialects {
		if why := skipped(dialect, c.pgURL); why != "" {
			out = append(out, fleetResult{dialect: dialect, skipped: why})
			continue
		}
		res, err := fleetOnce(ctx, c, prog, dialect, dir, stderr)
		if err != nil {
			return out, fmt.Errorf("%s: %w", dialect, err)
		}
		out = append(out, res)
		fmt.Fprintf(stderr, "bench: fleet %s: %.1f s, %d requests, peak %d a second, %d refused, %d during cool-downs, utilisation %.3f\n",
			dialect, res.wall.Seconds(), res.server.requests, res.peak, res.refusals, res.duringCoolDown, res.utilisation(c.programRate))
		if err := res.err(); err != nil {
			missed = append(missed, fmt.Errorf("%s: %w", dialect, err))
		}
	}
	return out, errors.Join(missed...)
}

// fleetOnce starts c.procs programs at once on a new database of dialect
// against a new server, waits for them, and gathers what they left.
func fleetOnce(ctx context.Context, c fleetConfig, prog *program, dialect, dir string, stderr io.Writer) (fleetResult, error) {
	res := fleetResult{dialect: dialect}
	srv, err := upstream.New(upstream.WithRateLimit(c.rate), upstream.WithStrictCoolDown(fleetCoolDown), upstream.WithLatency(c.latency))
	if err != nil {
		return res, err
	}
	defer srv.Close()
	dsn, drop, err := newDatabase(ctx, dialect, filepath.Join(dir, "fleet.db"), c.pgURL, stderr)
	if err != nil {
		return res, err
	}
	defer drop()

	known := benchSymbols(c.symbols)
	args := []string{"--db", dsn, "--base-url", srv.URL(), "--symbols", strings.Join(known, ","),
		"--days", fmt.Sprint(c.days), "--rate", fmt.Sprint(c.programRate), "--concurrency", fmt.Sprint(c.concurrency), "--log-level", "warn"}
	runCtx, cancel := context.WithTimeout(ctx, c.deadline())
	defer cancel()
	start := time.Now()
	var procs []*process
	for i := range c.procs {
		p, err := prog.start(runCtx, filepath.Join(dir, fmt.Sprintf("fleet-%s-%d.json", dialect, i+1)), args...)
		if err != nil {
			cancel()
			for _, p := range procs {
				_, _ = p.wait()
			}
			return res, err
		}
		procs = append(procs, p)
	}
	var errs []error
	for _, p := range procs {
		e, err := p.wait()
		errs = append(errs, err)
		res.exits = append(res.exits, e)
	}
	end := time.Now()
	res.wall = end.Sub(start)
	if err := errors.Join(errs...); err != nil {
		return res, err
	}
	if runCtx.Err() != nil && ctx.Err() == nil {
		return res, fmt.Errorf("the fleet was stopped at its deadline, %s", c.deadline())
	}

	res.server = countRequests(srv.Requests())
	res.answered = res.server.byFault[upstream.None]
	if n := len(res.server.times); n > 1 {
		res.span = res.server.times[n-1].Sub(res.server.times[0])
	}
	res.peak = srv.PeakRate(time.Second)
	res.refusals, res.duringCoolDown = srv.Refusals(), srv.DuringCoolDown()

	var inserted int64
	for _, e := range res.exits {
		inserted += e.report.Inserted
	}
	rng, err := reportRange(res.exits)
	if err != nil {
		return res, err
	}
	res.rng = rng
	o, err := collectStored(ctx, srv, dialect, dsn, known, rng, start, end, inserted)
	if err != nil {
		return res, err
	}
	res.once = checkOnce(srv, o, res.exits)
	res.bars = checkBarsOnce(o)
	return res, nil
}

// reportRange returns the range that the programs' reports name, which
// must be one: they started within moments of each other.
func reportRange(exits []exit) (pricefill.Range, error) {
	var rng pricefill.Range
	for i, e := range exits {
		if !e.hasReport {
			return rng, fmt.Errorf("program %d (exit %d) wrote no report: %s", i+1, e.code, e.tail())
		}
		r, err := e.report.rng()
		if err != nil {
			return rng, fmt.Errorf("program %d: %w", i+1, err)
		}
		if i > 0 && r != rng {
			return rng, fmt.Errorf("program %d asked for %s, program 1 for %s: the day changed as they started; run it again", i+1, r, rng)
		}
		rng = r
	}
	return rng, nil
}

// collectStored gathers what programs left on the database dsn of
// dialect after a run over rng from start to end against srv, for
// checkBarsOnce: the valid bars served, the bars stored and the tasks;
// reportInserted is the sum of the reports' bars inserted.
func collectStored(ctx context.Context, srv *upstream.Server, dialect, dsn string, known []string, rng pricefill.Range, start, end time.Time, reportInserted int64) (faultsOutcome, error) {
	gen, err := synthetic.New() // the server's generator: no options
	if err != nil {
		return faultsOutcome{}, err
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return faultsOutcome{}, err
	}
	defer db.Close()
	o, err := collectFaults(ctx, srv, gen, db, dialect, dsn, known, nil, rng, start, end)
	o.reportInserted = reportInserted
	return o, err
}

// targetOnce is the property that checkOnce judges.
const targetOnce = "every symbol completed once"

// checkOnce judges whether every known symbol of o was completed, and
// answered with data by the server, exactly once, and whether the
// programs' reports count each once.
func checkOnce(srv *upstream.Server, o faultsOutcome, exits []exit) faultsCheck {
	var p problems
	for _, s := range o.known {
		if tk, ok := o.tasks[s]; !ok || tk.Status != queue.Completed {
			p.add("%s: %s after %d attempts, want completed", s, tk.Status, tk.Attempts)
		}
		answered := 0
		for _, r := range srv.RequestsFor(s) {
			if r.Fault == upstream.None && r.Status == 200 {
				answered++
			}
		}
		if answered != 1 {
			p.add("%s: answered with data %d times, want once", s, answered)
		}
	}
	succeeded := 0
	for _, e := range exits {
		succeeded += e.report.Succeeded
	}
	if succeeded != len(o.known) {
		p.add("the reports count %d symbols succeeded, want %d", succeeded, len(o.known))
	}
	return p.check(targetOnce)
}

// split says how many symbols each program completed: 190 / 191 / 189.
func split(exits []exit) string {
	var parts []string
	for _, e := range exits {
		parts = append(parts, fmt.Sprint(e.report.Succeeded))
	}
	return strings.Join(parts, " / ")
}

// codes lists the exit statuses: 0, 0, 0.
func codes(exits []exit) string {
	var parts []string
	for _, e := range exits {
		parts = append(parts, fmt.Sprint(e.code))
	}
	return strings.Join(parts, ", ")
}

// verdict is a check as a report cell: met, or missed with what broke it.
func verdict(c faultsCheck) string {
	if c.ok {
		return "yes"
	}
	return "**no** (" + c.detail + ")"
}

func writeFleet(w io.Writer, c fleetConfig, res []fleetResult) {
	fmt.Fprintf(w, "## 5. A fleet on one budget\n\n")
	fmt.Fprintf(w, "Fake Yahoo: R = %d requests/s enforced (429 beyond it) with a strict cool-down of %s (after a refusal it refuses everything for %s, "+
		"and its 429 says Retry-After: 1), latency L = %s. "+
		"%d programs (examples/cli, built once with go build) started at once on one new database, each with "+
		"`--rate %g --concurrency %d --days %d` and the same %d symbols (the S&P 500's first, then made-up ones): one request a symbol. "+
		"Their limiters keep one budget in the database's ledger, so the fleet's rate is %g/s. A new server and database per row.\n\n",
		c.rate, fleetCoolDown, fleetCoolDown, c.latency, c.procs, c.programRate, c.concurrency, c.days, c.symbols, c.programRate)
	fmt.Fprintf(w, "| database | wall time | requests | data answers | refusals | during cool-downs | server: most in 1 s | server: first→last | utilisation (÷ %g/s) | symbols by program | exit statuses | every symbol completed once | every valid bar stored once |\n", c.programRate)
	fmt.Fprintf(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |\n")
	for _, r := range res {
		if r.skipped != "" {
			skippedRow(w, 13, r.dialect, r.skipped)
			continue
		}
		fmt.Fprintf(w, "| %s | %.2f s | %d | %d | **%d** | **%d** | **%d** | %.2f s | **%.3f** | %s | %s | %s | %s |\n",
			r.dialect, r.wall.Seconds(), r.server.requests, r.answered, r.refusals, r.duringCoolDown, r.peak, r.span.Seconds(),
			r.utilisation(c.programRate), split(r.exits), codes(r.exits), verdict(r.once), verdict(r.bars))
	}
	var peak, cool, refused, util []string
	for _, r := range res {
		if r.skipped != "" {
			continue
		}
		peak = append(peak, fmt.Sprintf("%s %d, %s", r.dialect, r.peak, met(r.peak <= c.rate)))
		cool = append(cool, fmt.Sprintf("%s %d, %s", r.dialect, r.duringCoolDown, met(r.duringCoolDown == 0)))
		refused = append(refused, fmt.Sprintf("%s %d, %s", r.dialect, r.refusals, met(r.refusals <= fleetMaxRefusals)))
		u := r.utilisation(c.programRate)
		util = append(util, fmt.Sprintf("%s %.3f, %s", r.dialect, u, met(u >= fleetMinUtilisation)))
	}
	if len(peak) > 0 {
		fmt.Fprintf(w, "\nTarget at most R = %d requests within any second at the server: %s.\n", c.rate, strings.Join(peak, "; "))
		fmt.Fprintf(w, "Target no request during a cool-down: %s.\n", strings.Join(cool, "; "))
		fmt.Fprintf(w, "Target at most %d refusals: %s.\n", fleetMaxRefusals, strings.Join(refused, "; "))
		fmt.Fprintf(w, "Target utilisation ≥ %g of %g/s: %s.\n", fleetMinUtilisation, c.programRate, strings.Join(util, "; "))
	}
	fmt.Fprintf(w, "\nrequests are the data requests the server saw, refused ones included; data answers those it answered with bars. "+
		"Utilisation is the data answers ÷ (%g/s × the time from the first request at the server to the last). "+
		"Symbols by program are the symbols each program's report counts as succeeded; each program must exit 0, "+
		"every task be completed with the server answering its symbol with data once, and every valid bar be stored once "+
		"(the faults experiment's check).\n\n", c.programRate)
}
