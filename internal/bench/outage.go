package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/internal/upstream"
	"github.com/pricefill/pricefill/queue"
	"github.com/pricefill/pricefill/ratelimit"
)

// outageConfig is the outage experiment: the provider goes away in the
// middle of one program's run and comes back; the program, at its
// default probes and outage timeout, rides it out.
type outageConfig struct {
	symbols     int
	programRate float64       // the program's --rate
	concurrency int           // the program's --concurrency
	latency     time.Duration // the server's latency L
	days        int           // --days
	// at is the share of the symbols' requests the server sees before it
	// goes; kind and duration are the outage.
	at       float64
	kind     upstream.Outage
	duration time.Duration
	pgURL    string // "" skips PostgreSQL
	dir      string // "" means a new temporary directory
}

// outageKinds are the outages -outage-kind names.
var outageKinds = map[string]upstream.Outage{"refuse": upstream.Refuse, "unavailable": upstream.Unavailable}

// validate says what is wrong with c, naming the flags.
func (c outageConfig) validate() error {
	var errs []error
	if c.symbols < 3 || c.concurrency < 1 || c.days < 1 || c.latency < 0 || c.duration <= 0 {
		errs = append(errs, errors.New("-outage-symbols must be at least 3, -outage-concurrency and -outage-days at least 1, -outage-latency not negative, -outage-duration positive"))
	}
	if !(c.programRate > 0) {
		errs = append(errs, fmt.Errorf("-outage-program-rate %g: want a rate above 0", c.programRate))
	}
	if !(c.at > 0 && c.at < 1) {
		errs = append(errs, fmt.Errorf("-outage-at %g: want a share of the requests in (0, 1)", c.at))
	}
	if c.kind != upstream.Refuse && c.kind != upstream.Unavailable {
		errs = append(errs, fmt.Errorf("-outage-kind %s: want refuse or unavailable", c.kind))
	}
	return errors.Join(errs...)
}

// after is the number of data requests the server sees before it goes.
func (c outageConfig) after() int {
	return max(1, int(math.Round(c.at*float64(c.symbols))))
}

// deadline is how long the run may take before it counts as stuck: the
// outage, twice the longest gap between probes, and a minute plus five
// times what the requests take at the program's rate.
func (c outageConfig) deadline() time.Duration {
	return c.duration + 2*ratelimit.ProbeMaxDefault + time.Minute +
		time.Duration(5*float64(c.symbols)/c.programRate*float64(time.Second))
}

// probeAfter returns how long after the end of an outage of d the first
// probe of the program's breaker comes, if the breaker opened as the
// outage began: the probes go ratelimit.ProbeInitialDefault after it
// opened, then twice as long after each, up to ratelimit.ProbeMaxDefault.
func probeAfter(d time.Duration) time.Duration {
	t, step := ratelimit.ProbeInitialDefault, ratelimit.ProbeInitialDefault
	for t <= d {
		step = min(2*step, ratelimit.ProbeMaxDefault)
		t += step
	}
	return t - d
}

// outageResult is one run, on one database, or why there was none.
type outageResult struct {
	dialect string
	skipped string
	exit    exit
	// went and back are when the outage began and ended, from the
	// program's start; back is 0 when the program ended first.
	went, back time.Duration
	// before, during and after count the data requests the server saw
	// before, during and after the outage.
	before, during, after int
	// recovery is from the outage's end to the first request the server
	// answered with data after it; recovered says there was one.
	recovery  time.Duration
	recovered bool
	// attempts is the greatest backfill_queue.attempts of any task;
	// completed counts the completed tasks.
	attempts, completed int
	bars                faultsCheck
}

// unseen is the program's requests that the server never saw: refused
// connections.
func (r outageResult) unseen() int {
	return r.exit.report.Requests - (r.before + r.during + r.after)
}

// err says which properties failed.
func (r outageResult) err(c outageConfig) error {
	var missed []string
	if r.exit.code != 0 {
		missed = append(missed, fmt.Sprintf("the program exited %d: %s", r.exit.code, r.exit.tail()))
	}
	if r.back == 0 {
		missed = append(missed, "the program ended before the provider came back: no outage ridden out")
	}
	if r.exit.report.Failed != 0 {
		missed = append(missed, fmt.Sprintf("%d symbols failed, want none", r.exit.report.Failed))
	}
	if r.completed != c.symbols {
		missed = append(missed, fmt.Sprintf("%d of %d tasks completed", r.completed, c.symbols))
	}
	if r.attempts > 1 {
		missed = append(missed, fmt.Sprintf("a task used %d attempts, want at most 1 (a request caught in flight)", r.attempts))
	}
	return missedErr(missed, r.bars)
}

// runOutage runs the experiment on SQLite and, given -pg, on PostgreSQL,
// each with a server and a database of its own.
func runOutage(ctx context.Context, c outageConfig, prog *program, stderr io.Writer) ([]outageResult, error) {
	dir, cleanup, err := workDir(c.dir)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	var out []outageResult
	var missed []error
	for _, dialect := range dialects {
		if why := skipped(dialect, c.pgURL); why != "" {
			out = append(out, outageResult{dialect: dialect, skipped: why})
			continue
		}
		res, err := outageOnce(ctx, c, prog, dialect, dir, stderr)
		if err != nil {
			return out, fmt.Errorf("%s: %w", dialect, err)
		}
		out = append(out, res)
		fmt.Fprintf(stderr, "bench: outage %s: exit %d in %.1f s; %d requests, %d deferred, %d retried; recovered %.1f s after the provider came back\n",
			dialect, res.exit.code, res.exit.wall.Seconds(), res.exit.report.Requests, res.exit.report.Deferred, res.exit.report.Retried, res.recovery.Seconds())
		if err := res.err(c); err != nil {
			missed = append(missed, fmt.Errorf("%s: %w", dialect, err))
		}
	}
	return out, errors.Join(missed...)
}

// outageOnce runs the program on a new database of dialect against a new
// server that goes away once it has seen c.after() data requests.
func outageOnce(ctx context.Context, c outageConfig, prog *program, dialect, dir string, stderr io.Writer) (outageResult, error) {
	res := outageResult{dialect: dialect}
	srv, err := upstream.New(upstream.WithLatency(c.latency))
	if err != nil {
		return res, err
	}
	defer srv.Close()
	dsn, drop, err := newDatabase(ctx, dialect, filepath.Join(dir, "outage.db"), c.pgURL, stderr)
	if err != nil {
		return res, err
	}
	defer drop()

	known := benchSymbols(c.symbols)
	runCtx, cancel := context.WithTimeout(ctx, c.deadline())
	defer cancel()
	start := time.Now()
	p, err := prog.start(runCtx, filepath.Join(dir, "outage-"+dialect+".json"), "--db", dsn, "--base-url", srv.URL(),
		"--symbols", strings.Join(known, ","), "--days", fmt.Sprint(c.days),
		"--rate", fmt.Sprint(c.programRate), "--concurrency", fmt.Sprint(c.concurrency), "--log-level", "warn")
	if err != nil {
		return res, err
	}
	// The provider goes once the run is under way, and comes back after
	// the outage; the program's end stops the wait.
	trigger, stop := context.WithCancel(runCtx)
	var went, back time.Time
	var werr error
	var wg sync.WaitGroup
	wg.Go(func() {
		for dataRequests(srv.Requests()) < c.after() {
			if pricefill.Sleep(trigger, pricefill.SystemClock(), 5*time.Millisecond) != nil {
				return
			}
		}
		went = time.Now()
		if werr = srv.SetOutage(c.kind); werr != nil {
			return
		}
		_ = pricefill.Sleep(trigger, pricefill.SystemClock(), c.duration)
		if trigger.Err() == nil {
			back = time.Now()
		}
		werr = srv.SetOutage(upstream.Up)
	})
	e, err := p.wait()
	end := time.Now()
	stop()
	wg.Wait()
	res.exit = e
	switch {
	case err != nil:
		return res, err
	case werr != nil:
		return res, werr
	case runCtx.Err() != nil && ctx.Err() == nil:
		return res, fmt.Errorf("the program was stopped at its deadline, %s", c.deadline())
	case went.IsZero():
		return res, fmt.Errorf("the program (exit %d) ended before the server saw %d requests: %s", e.code, c.after(), e.tail())
	case !e.hasReport:
		return res, fmt.Errorf("the program (exit %d) wrote no report: %s", e.code, e.tail())
	}
	res.went = went.Sub(start)
	if !back.IsZero() {
		res.back = back.Sub(start)
	}

	for _, r := range srv.Requests() {
		switch {
		case r.Symbol == "":
		case r.Time.Before(went):
			res.before++
		case back.IsZero() || r.Time.Before(back):
			res.during++
		default:
			res.after++
			if !res.recovered && r.Fault == upstream.None && r.Status == 200 {
				res.recovery, res.recovered = r.Time.Sub(back), true
			}
		}
	}
	tasks, err := snapshotTasks(ctx, dialect, dsn)
	if err != nil {
		return res, err
	}
	for _, tk := range tasks {
		res.attempts = max(res.attempts, tk.Attempts)
		if tk.Status == queue.Completed {
			res.completed++
		}
	}
	rng, err := e.report.rng()
	if err != nil {
		return res, err
	}
	o, err := collectStored(ctx, srv, dialect, dsn, known, rng, start, end, e.report.Inserted)
	if err != nil {
		return res, err
	}
	res.bars = checkBarsOnce(o)
	return res, nil
}

// dataRequests counts the requests that carry a symbol.
func dataRequests(reqs []upstream.Request) int {
	n := 0
	for _, r := range reqs {
		if r.Symbol != "" {
			n++
		}
	}
	return n
}

func writeOutage(w io.Writer, c outageConfig, res []outageResult) {
	fmt.Fprintf(w, "## 8. A provider's outage in the middle of a run\n\n")
	fmt.Fprintf(w, "Fake Yahoo without a rate limit, latency L = %s. One program (examples/cli) with `--rate %g --concurrency %d --days %d`, %d symbols (one request each), "+
		"its default probes and outage timeout (%s). Once the server has seen %d data requests (%.3g of the symbols) it goes (SetOutage(%s)) for %s, then comes back (Up). "+
		"The breaker opens after %d failures in a row and probes %s after it opened, then twice as long after each probe, up to %s apart: "+
		"had it opened as the outage began, the first probe after the outage would come %s after its end. A new server and database per row.\n\n",
		c.latency, c.programRate, c.concurrency, c.days, c.symbols, ratelimit.OutageTimeoutDefault, c.after(), c.at, c.kind, c.duration,
		ratelimit.BreakerFailuresDefault, ratelimit.ProbeInitialDefault, ratelimit.ProbeMaxDefault, probeAfter(c.duration))
	fmt.Fprintf(w, "| database | exit | wall time | outage (from the start) | requests (report) | deferred | retried | failed | the greatest attempts | completed | server: before / during / after | never reached the server | back → first data answer | every valid bar stored once |\n")
	fmt.Fprintf(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n")
	for _, r := range res {
		if r.skipped != "" {
			skippedRow(w, 14, r.dialect, r.skipped)
			continue
		}
		outage, recovery := fmt.Sprintf("%.1f → %.1f s", r.went.Seconds(), r.back.Seconds()), "none"
		if r.back == 0 {
			outage = fmt.Sprintf("%.1f s → the program's end", r.went.Seconds())
		}
		if r.recovered {
			recovery = fmt.Sprintf("**%.2f s**", r.recovery.Seconds())
		}
		fmt.Fprintf(w, "| %s | **%d** | %.1f s | %s | %d | %d | %d | **%d** | **%d** | %d / %d | %d / **%d** / %d | %d | %s | %s |\n",
			r.dialect, r.exit.code, r.exit.wall.Seconds(), outage, r.exit.report.Requests, r.exit.report.Deferred, r.exit.report.Retried,
			r.exit.report.Failed, r.attempts, r.completed, c.symbols, r.before, r.during, r.after, r.unseen(), recovery, verdict(r.bars))
	}
	var lines []string
	for _, r := range res {
		if r.skipped != "" {
			continue
		}
		lines = append(lines, fmt.Sprintf("%s: exit %d, %s; %d failed, %s; greatest attempts %d, %s; every valid bar stored once, %s; back → first data answer %.2f s, %s",
			r.dialect, r.exit.code, met(r.exit.code == 0), r.exit.report.Failed, met(r.exit.report.Failed == 0),
			r.attempts, met(r.attempts <= 1), met(r.bars.ok), r.recovery.Seconds(), met(r.recovered && r.recovery <= ratelimit.ProbeMaxDefault)))
	}
	if len(lines) > 0 {
		fmt.Fprintf(w, "\nTargets (exit 0, no symbol failed, at most 1 attempt, every valid bar stored once, the first data answer at most %s after the provider's return): %s.\n",
			ratelimit.ProbeMaxDefault, strings.Join(lines, "; "))
	}
	fmt.Fprintf(w, "\nrequests, deferred and retried are the program's report's: deferred are the failures charged to no symbol (the provider unreachable, or down), "+
		"retried the transient failures charged to one (a request caught in flight). The server counts the data requests that reached it; "+
		"with the connections refused it sees none of those the outage refused, so \"never reached the server\" is the report's requests less the server's: "+
		"the failures that opened the breaker and the probes during the outage. Attempts are backfill_queue.attempts.\n\n")
}
