package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/backfill/httpopt"
	"github.com/pricefill/pricefill/backfill/synthetic"
	"github.com/pricefill/pricefill/backfill/yahoo"
	"github.com/pricefill/pricefill/internal/upstream"
	"github.com/pricefill/pricefill/queue"
	"github.com/pricefill/pricefill/ratelimit"
	"github.com/pricefill/pricefill/store"
	"github.com/pricefill/pricefill/validate/calendar"
)

// faultsConfig is the mixed-fault experiment: the long version of
// internal/e2e's TestMixedFaults, with the same faults over more symbols.
type faultsConfig struct {
	symbols     int           // symbols the server knows
	unknown     int           // symbols it answers "not found" for, every time
	days        int           // calendar days of the range, ending today in New York
	rate        int           // the server's limit R, requests a second
	margin      float64       // the limiter's rate as a share of R
	latency     time.Duration // the server's latency L
	concurrency int           // the Runner's workers
	faultRate   float64       // the share of requests that get a random fault
	seed        uint64        // the random faults'
	pgURL       string        // "" skips PostgreSQL
	dir         string        // "" means a new temporary directory
}

// The mixed-fault run's fixed parts; the reasons are TestMixedFaults'.
const (
	// faultsMaxFaultRate bounds -faults-random: beyond it the attempts
	// that keep transient faults from giving symbols up (see
	// faultsMaxAttempts) make runs long.
	faultsMaxFaultRate = 0.5
	// faultsNullRate and faultsInvalidRate make null days (Yahoo's nulls)
	// and invalid bars (synthetic.WithInvalidRate).
	faultsNullRate    = 0.1
	faultsInvalidRate = 0.1
	// faultsClientTimeout ends the answer whose body stalls (a pushed
	// Slow fault of a minute): a transient failure.
	faultsClientTimeout = 2 * time.Second
	// faultsRetryInitial and faultsRetryMax are the retry backoff: the
	// default, 5 s doubling to 80 s, would make the run last minutes of
	// waiting for nothing.
	faultsRetryInitial = 20 * time.Millisecond
	faultsRetryMax     = 200 * time.Millisecond
	// faultsCoolDown and faultsCoolDownMax are the limiter's cool-down
	// steps after a 429: the default first step, 5 s, would make each 429
	// without Retry-After (Yahoo's quota answer) cost the run 5 s. A 429
	// with Retry-After: 1 still holds every worker back a second.
	faultsCoolDown    = 200 * time.Millisecond
	faultsCoolDownMax = 2 * time.Second
	// faultsProbe and faultsProbeMax space the probes of the limiter's
	// outage breaker, as TestMixedFaults does: five faults in a row
	// (dropped connections, 5xx…) open it now and then, and the default
	// first probe, 5 s after it opened, would make each opening cost the
	// run 5 s.
	faultsProbe    = 200 * time.Millisecond
	faultsProbeMax = 2 * time.Second
	// faultsMinAttempts is TestMixedFaults' maximum of attempts, the
	// least faultsMaxAttempts gives.
	faultsMinAttempts = 20
	// faultsGiveUpOdds bounds the chance that transient faults give any
	// symbol up (see faultsMaxAttempts).
	faultsGiveUpOdds = 1e-9
)

// unknownSymbols returns n symbols the server is to answer "not found"
// for: NOSUCH001, NOSUCH002…
func unknownSymbols(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("NOSUCH%03d", i+1)
	}
	return out
}

// validate says what is wrong with c, naming the flags.
func (c faultsConfig) validate() error {
	var errs []error
	if c.symbols < upstream.PushEveryKindMin {
		errs = append(errs, fmt.Errorf("-faults-symbols %d: want at least %d (the faults pushed so that every kind happens go to 8 of them)", c.symbols, upstream.PushEveryKindMin))
	}
	if c.unknown < 1 || c.days < 7 || c.rate < 1 || c.concurrency < 1 || c.latency < 0 {
		errs = append(errs, errors.New("-faults-unknown, -faults-rate and -faults-concurrency must be at least 1, -faults-days at least 7 (a week of trading days), -faults-latency not negative"))
	}
	if !(c.margin > 0 && c.margin <= 1) {
		errs = append(errs, fmt.Errorf("-faults-margin %g: want a share of R in (0, 1]", c.margin))
	}
	if !(c.faultRate >= 0 && c.faultRate <= faultsMaxFaultRate) {
		errs = append(errs, fmt.Errorf("-faults-random %g: want a share in [0, %g]", c.faultRate, faultsMaxFaultRate))
	}
	// TestMixedFaults' point: were the workers unable to outrun R without
	// the limiter, the server's count would prove nothing about it.
	if c.concurrency >= 1 && c.latency > 0 && c.rate >= 1 && c.unbridled() <= float64(c.rate) {
		errs = append(errs, fmt.Errorf("-faults-concurrency %d and -faults-latency %s: without the limiter the workers could send at most %.4g requests a second, not more than R = %d, so the server's rate check would prove nothing",
			c.concurrency, c.latency, c.unbridled(), c.rate))
	}
	return errors.Join(errs...)
}

// unbridled is the most requests a second the workers could send without
// the limiter, one per latency each (+Inf at no latency).
func (c faultsConfig) unbridled() float64 {
	return float64(c.concurrency) / c.latency.Seconds()
}

// deadline is how long a run may take before it counts as stuck: a
// minute, plus five times what its requests take at the limiter's rate
// (one a symbol, and one more per fault).
func (c faultsConfig) deadline() time.Duration {
	requests := float64(c.symbols+c.unknown) / (1 - c.faultRate)
	return time.Minute + time.Duration(5*requests/(c.margin*float64(c.rate))*float64(time.Second))
}

// faultsMaxAttempts returns the attempts each of n symbols gets: at least
// faultsMinAttempts, and enough that the chance that transient faults give
// any symbol up is below faultsGiveUpOdds. A symbol is given up at its
// maxAttempts-th transient failure (rate limits use no attempt); each
// request meets a random fault with chance rate, whatever came before
// (draws depend only on the seed, the symbol and the request's number),
// and the pushed faults add at most upstream.PushEveryKindMaxTransient (p),
// so that chance is at most n × rate^(maxAttempts − p).
func faultsMaxAttempts(n int, rate float64) int {
	if rate <= 0 {
		return faultsMinAttempts
	}
	k := math.Ceil(math.Log(faultsGiveUpOdds/float64(n)) / math.Log(rate))
	return max(faultsMinAttempts, upstream.PushEveryKindMaxTransient+int(k))
}

// faultsResult is one run of the experiment, on one database, or why
// there was none.
type faultsResult struct {
	dialect string
	skipped string
	rng     pricefill.Range
	wall    time.Duration // Runner.Run, enqueue to return
	// maxAttempts is the Runner's, from faultsMaxAttempts.
	maxAttempts int
	// From the Runner's report.
	succeeded, failed, unfinished int
	retried, rejected             int
	outcome                       faultsOutcome
	checks                        []faultsCheck
}

// held reports whether every property held.
func (r faultsResult) held() bool {
	return len(r.checks) > 0 && !slices.ContainsFunc(r.checks, func(c faultsCheck) bool { return !c.ok })
}

// err says which properties failed, or is nil when every one held.
func (r faultsResult) err() error {
	if len(r.checks) == 0 {
		return errors.New("no property checked")
	}
	return missedErr(nil, r.checks...)
}

// missedErr says which properties failed: those of missed, then each
// check that did not hold; nil when there are none.
func missedErr(missed []string, checks ...faultsCheck) error {
	for _, c := range checks {
		if !c.ok {
			missed = append(missed, c.target+" ("+c.detail+")")
		}
	}
	if len(missed) == 0 {
		return nil
	}
	return fmt.Errorf("missed: %s", strings.Join(missed, "; "))
}

// runFaults runs the experiment on SQLite and, given -pg, on PostgreSQL,
// each with a server and a database of its own and the same seed. A
// property that fails on one database does not stop the other; the error
// names every one that failed.
func runFaults(ctx context.Context, c faultsConfig, stderr io.Writer) ([]faultsResult, error) {
	dir, cleanup, err := workDir(c.dir)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	fmt.Fprintf(stderr, "bench: faults: seed %d (-faults-seed %d replays the run)\n", c.seed, c.seed)
	var out []faultsResult
	var missed []error
	for _, dialect := range dialects {
		if why := skipped(dialect, c.pgURL); why != "" {
			out = append(out, faultsResult{dialect: dialect, skipped: why})
			continue
		}
		res, err := faultsOnce(ctx, c, dialect, filepath.Join(dir, "faults.db"), stderr)
		if err != nil {
			return out, fmt.Errorf("%s: %w", dialect, err)
		}
		out = append(out, res)
		fmt.Fprintf(stderr, "bench: faults %s: %.1f s, %d requests, %d faulty answers, peak %d a second; every property held: %v\n",
			dialect, res.wall.Seconds(), res.outcome.server.requests, res.outcome.server.requests-res.outcome.server.byFault[upstream.None],
			res.outcome.peak, res.held())
		if err := res.err(); err != nil {
			missed = append(missed, fmt.Errorf("%s, seed %d: %w", dialect, c.seed, err))
		}
	}
	return out, errors.Join(missed...)
}

// faultsOnce runs the experiment on a new database of dialect against a
// new server, and checks what the run left.
func faultsOnce(ctx context.Context, c faultsConfig, dialect, sqlitePath string, stderr io.Writer) (faultsResult, error) {
	res := faultsResult{dialect: dialect, maxAttempts: faultsMaxAttempts(c.symbols+c.unknown, c.faultRate)}
	genOpts := []synthetic.Option{synthetic.WithInvalidRate(faultsInvalidRate)}
	gen, err := synthetic.New(genOpts...)
	if err != nil {
		return res, err
	}
	srv, err := upstream.New(
		upstream.WithRateLimit(c.rate),
		upstream.WithLatency(c.latency),
		upstream.WithRandomFaults(c.seed, c.faultRate, upstream.MixedFaults()...),
		upstream.WithNullRate(faultsNullRate),
		upstream.WithGenerator(genOpts...),
	)
	if err != nil {
		return res, err
	}
	defer srv.Close()
	known, unknown := benchSymbols(c.symbols), unknownSymbols(c.unknown)
	srv.SetUnknown(unknown...)
	srv.PushEveryKind(known)

	dsn, drop, err := newDatabase(ctx, dialect, sqlitePath, c.pgURL, stderr)
	if err != nil {
		return res, err
	}
	defer drop()
	// The server's client (its idle connections close with it), with a
	// timeout that ends the stalled body.
	client := &http.Client{Transport: srv.Client().Transport, Timeout: faultsClientTimeout}
	f, err := yahoo.New(httpopt.WithBaseURL(srv.URL()), httpopt.WithHTTPClient(client))
	if err != nil {
		return res, err
	}
	p, err := openPipeline(ctx, wiring{
		dsn: dsn, source: "yahoo", fetcher: f,
		rate:        c.margin * float64(c.rate),
		hourly:      max(ratelimit.HourlyLimitDefault, 4*(c.symbols+c.unknown)),
		concurrency: c.concurrency,
		console:     stderr,
		quiet:       true,
		limiterOptions: []ratelimit.Option{
			ratelimit.WithCoolDown(faultsCoolDown, faultsCoolDownMax),
			ratelimit.WithProbeInterval(faultsProbe, faultsProbeMax),
		},
		maxAttempts:  res.maxAttempts,
		retryBackoff: backfill.ExponentialBackoff(faultsRetryInitial, faultsRetryMax, 0),
	})
	if err != nil {
		return res, err
	}
	defer p.Close()

	runCtx, cancel := context.WithTimeout(ctx, c.deadline())
	defer cancel()
	start := time.Now()
	res.rng = pricefill.LastDays(start.In(calendar.NYSE.Location()), c.days)
	rep, wall, err := p.runSome(runCtx, append(slices.Clone(known), unknown...), res.rng)
	end := time.Now()
	var deadline time.Duration
	switch {
	case err == nil:
	case rep != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded):
		deadline = c.deadline() // a property failure: the checks say what is left undone
	default:
		return res, fmt.Errorf("the run: %w", err)
	}
	res.wall = wall
	res.succeeded, res.failed, res.unfinished = rep.Succeeded, rep.Failed, rep.Unfinished
	res.retried, res.rejected = rep.Retried, rep.Rejected

	o, err := collectFaults(ctx, srv, gen, p.db, dialect, dsn, known, unknown, res.rng, start, end)
	if err != nil {
		return res, err
	}
	o.rate, o.reportInserted, o.deadline = c.rate, rep.Inserted, deadline
	res.outcome = o
	res.checks = checkFaults(o)
	return res, nil
}

// faultsOutcome is what a mixed-fault run left, gathered from the
// server, the generator and the database: what checkFaults judges.
type faultsOutcome struct {
	rate           int // the server's R
	known, unknown []string
	// before and after are the valid bars served for each known symbol
	// that a correct client stores when asked at the run's start and at
	// its end: they differ when a session closed during the run, and each
	// symbol must match one of them.
	before, after map[string][]pricefill.Bar
	// stored holds the bars stored for each symbol, known and unknown.
	stored map[string][]pricefill.Bar
	// served holds the days (see day) of each known symbol that the
	// server sent a bar for (not a null day); broken those whose bar was
	// invalid.
	served, broken map[string]map[string]bool
	// nullsSent and brokenSent count the null days and invalid bars sent.
	nullsSent, brokenSent int
	// tasks are the queue's tasks by symbol.
	tasks map[string]taskRow
	// asked counts the requests for each unknown symbol.
	asked map[string]int
	// reportInserted is the Runner's report's count of bars inserted.
	reportInserted int64
	// server counts the data requests the server saw; peak is its
	// PeakRate(time.Second), over every request.
	server serverCounts
	peak   int
	// deadline is the run's deadline when the run hit it, else 0.
	deadline time.Duration
}

// everything is a range that holds every stored bar.
var everything = pricefill.Range{From: pricefill.Date(1900, 1, 1), To: pricefill.Date(2200, 1, 1)}

// collectFaults gathers the outcome of a run over rng, from start to end,
// whose store is db, also open as driver and dsn.
func collectFaults(ctx context.Context, srv *upstream.Server, gen *synthetic.Fetcher, db *store.DB, driver, dsn string,
	known, unknown []string, rng pricefill.Range, start, end time.Time) (faultsOutcome, error) {
	o := faultsOutcome{
		known: known, unknown: unknown,
		before: map[string][]pricefill.Bar{}, after: map[string][]pricefill.Bar{},
		stored: map[string][]pricefill.Bar{},
		served: map[string]map[string]bool{}, broken: map[string]map[string]bool{},
		asked: map[string]int{},
	}
	for _, s := range known {
		o.before[s] = srv.ValidBars(s, rng, start)
		o.after[s] = srv.ValidBars(s, rng, end)
		o.served[s], o.broken[s] = map[string]bool{}, map[string]bool{}
		for _, b := range srv.Bars(s, rng) {
			o.served[s][day(b.Date)] = true
			if gen.Breakage(s, b.Date) != synthetic.NotBroken {
				o.broken[s][day(b.Date)] = true
				o.brokenSent++
			}
		}
		for d := rng.From; !d.After(rng.To); d = d.AddDate(0, 0, 1) {
			if _, ok := gen.Bar(s, d); ok && !o.served[s][day(d)] {
				o.nullsSent++
			}
		}
	}
	for _, s := range slices.Concat(known, unknown) {
		bars, err := db.Bars(ctx, s, everything)
		if err != nil {
			return o, fmt.Errorf("reading the bars of %s: %w", s, err)
		}
		o.stored[s] = bars
	}
	for _, s := range unknown {
		o.asked[s] = len(srv.RequestsFor(s))
	}
	var err error
	if o.tasks, err = snapshotTasks(ctx, driver, dsn); err != nil {
		return o, err
	}
	o.server = countRequests(srv.Requests())
	o.peak = srv.PeakRate(time.Second)
	return o, nil
}

// want returns the bars symbol should have stored: those valid at the
// run's start if it stored exactly those, else those valid at its end.
func (o faultsOutcome) want(symbol string) []pricefill.Bar {
	if sameBars(o.before[symbol], o.stored[symbol]) {
		return o.before[symbol]
	}
	return o.after[symbol]
}

// wantTotal is the number of bars the known symbols should have stored.
func (o faultsOutcome) wantTotal() int {
	n := 0
	for _, s := range o.known {
		n += len(o.want(s))
	}
	return n
}

// storedTotal is the number of bars stored, for every symbol.
func (o faultsOutcome) storedTotal() int {
	n := 0
	for _, bars := range o.stored {
		n += len(bars)
	}
	return n
}

// The properties of a mixed-fault run, as the report names them.
const (
	targetBarsOnce   = "every valid bar stored exactly once"
	targetNoBad      = "no invalid bar and no null day stored"
	targetUnknown    = "unknown symbols permanently_failed at once"
	targetCompleted  = "every other task completed"
	targetNotLimited = "the server's own rate limit refused no request"
	targetPeak       = "at most R requests within any second at the server"
	targetFaults     = "every kind of fault served, and null days and invalid bars"
)

// A faultsCheck is one property of a run and whether it held.
type faultsCheck struct {
	target string
	ok     bool
	detail string // what broke it, when it did not hold
}

// problems collects what broke a property: the first few, and a count.
type problems struct {
	n     int
	first []string
}

// problemsShown is how many problems a check describes.
const problemsShown = 3

// add records a problem, described as fmt.Sprintf does.
func (p *problems) add(format string, args ...any) {
	p.n++
	if len(p.first) < problemsShown {
		p.first = append(p.first, fmt.Sprintf(format, args...))
	}
}

// check returns the property target, held when nothing was added.
func (p *problems) check(target string) faultsCheck {
	c := faultsCheck{target: target, ok: p.n == 0, detail: strings.Join(p.first, "; ")}
	if p.n > len(p.first) {
		c.detail += fmt.Sprintf("; and %d more", p.n-len(p.first))
	}
	return c
}

// checkBarsOnce judges whether every valid bar of the known symbols was
// stored exactly once, from the right source, as the tasks and the
// report count them: the property targetBarsOnce, which the fleet and
// outage experiments check too. It reads known, before, after, stored,
// tasks and reportInserted of o.
func checkBarsOnce(o faultsOutcome) faultsCheck {
	var p problems
	total := 0
	var inserted int64
	for _, s := range o.known {
		want := o.want(s)
		total += len(want)
		if d := diffBars(want, o.stored[s]); d != "" {
			p.add("%s: %s", s, d)
		}
		for _, b := range o.stored[s] {
			if b.Source != "yahoo" {
				p.add("%s %s: source %q, want yahoo", s, day(b.Date), b.Source)
			}
		}
		inserted += o.tasks[s].Inserted
	}
	if inserted != int64(total) {
		p.add("the tasks recorded %d bars inserted, want %d: a bar inserted twice, or lost", inserted, total)
	}
	if o.reportInserted != int64(total) {
		p.add("the report says %d bars inserted, want %d", o.reportInserted, total)
	}
	return p.check(targetBarsOnce)
}

// checkFaults judges every property of a run, in the order of the
// report.
func checkFaults(o faultsOutcome) []faultsCheck {
	out := []faultsCheck{checkBarsOnce(o)}

	var p problems
	for _, s := range slices.Concat(o.known, o.unknown) {
		for _, b := range o.stored[s] {
			d := day(b.Date)
			if !o.served[s][d] {
				p.add("%s %s: stored, but the server sent no bar that day (a null day)", s, d)
			}
			if o.broken[s][d] {
				p.add("%s %s: stored, but the server sent an invalid bar", s, d)
			}
		}
	}
	out = append(out, p.check(targetNoBad))

	p = problems{}
	for _, s := range o.unknown {
		tk, ok := o.tasks[s]
		switch {
		case !ok:
			p.add("%s: no task", s)
		case tk.Status != queue.PermanentlyFailed || tk.Attempts != 0:
			p.add("%s: %s after %d attempts, want permanently_failed after none", s, tk.Status, tk.Attempts)
		}
		if n := len(o.stored[s]); n != 0 {
			p.add("%s: %d bars stored, want none", s, n)
		}
		if o.asked[s] != 1 {
			p.add("%s: asked for %d times, want once: not found is permanent", s, o.asked[s])
		}
	}
	out = append(out, p.check(targetUnknown))

	p = problems{}
	if o.deadline > 0 {
		p.add("the run was stopped at its deadline, %s", o.deadline)
	}
	for _, s := range o.known {
		tk, ok := o.tasks[s]
		switch {
		case !ok:
			p.add("%s: no task", s)
		case tk.Status != queue.Completed:
			p.add("%s: %s after %d attempts, want completed", s, tk.Status, tk.Attempts)
		}
	}
	out = append(out, p.check(targetCompleted))

	p = problems{}
	if o.server.limited > 0 {
		p.add("the server refused %d requests for its own limit of %d a second: the limiter let too many through", o.server.limited, o.rate)
	}
	out = append(out, p.check(targetNotLimited))

	p = problems{}
	if o.peak > o.rate {
		p.add("the server saw %d requests within one second, more than R = %d", o.peak, o.rate)
	}
	out = append(out, p.check(targetPeak))

	p = problems{}
	for _, k := range upstream.EveryKind() {
		if o.server.byFault[k] == 0 {
			p.add("no %s fault served", k)
		}
	}
	if o.nullsSent == 0 || o.brokenSent == 0 {
		p.add("%d null days and %d invalid bars sent, want some of each", o.nullsSent, o.brokenSent)
	}
	out = append(out, p.check(targetFaults))
	return out
}

// sameBars reports whether a and b hold the same bars in the same order,
// whatever their sources.
func sameBars(a, b []pricefill.Bar) bool {
	return slices.EqualFunc(a, b, sameBar)
}

// sameBar reports whether a and b are the same bar, whatever their
// sources.
func sameBar(a, b pricefill.Bar) bool {
	da, db := a.Date, b.Date
	a.Date, b.Date, a.Source, b.Source = time.Time{}, time.Time{}, "", ""
	return da.Equal(db) && a == b
}

// day is the date of a bar, as a key: 2006-01-02.
func day(t time.Time) string { return t.Format(pricefill.DateLayout) }

// diffBars says how stored differs from want, by date: days missing, days
// not wanted, days stored more than once, bars changed; "" when they hold
// the same bars (whatever their sources) in the same order.
func diffBars(want, stored []pricefill.Bar) string {
	if sameBars(want, stored) {
		return ""
	}
	wanted := map[string]pricefill.Bar{}
	for _, b := range want {
		wanted[day(b.Date)] = b
	}
	count := map[string]int{}
	var missing, extra, twice, changed []string
	for _, b := range stored {
		d := day(b.Date)
		count[d]++
		w, ok := wanted[d]
		switch {
		case count[d] == 2:
			twice = append(twice, d)
		case count[d] > 2:
		case !ok:
			extra = append(extra, d)
		case !sameBar(w, b):
			changed = append(changed, d)
		}
	}
	for _, b := range want {
		if count[day(b.Date)] == 0 {
			missing = append(missing, day(b.Date))
		}
	}
	parts := []string{fmt.Sprintf("%d stored, want %d", len(stored), len(want))}
	for _, x := range []struct {
		what string
		days []string
	}{{"missing", missing}, {"not served valid", extra}, {"stored twice", twice}, {"changed", changed}} {
		if len(x.days) > 0 {
			parts = append(parts, x.what+" "+strings.Join(x.days, ", "))
		}
	}
	if len(parts) == 1 {
		parts = append(parts, "out of order")
	}
	return strings.Join(parts, ": ")
}

// faultName describes a fault with its parameters.
func faultName(f upstream.Fault) string {
	switch {
	case f.Kind == upstream.Status:
		return fmt.Sprintf("status %d", f.Status)
	case f.RetryAfter != "":
		return fmt.Sprintf("%s (Retry-After: %s)", f.Kind, f.RetryAfter)
	case f.Delay > 0:
		return fmt.Sprintf("%s %s", f.Kind, f.Delay)
	}
	return f.Kind.String()
}

// writeFaults writes the experiment's section of the report: the setup,
// a row per database, the faults served by kind, and a line per property.
func writeFaults(w io.Writer, c faultsConfig, res []faultsResult) {
	var mix []string
	for _, f := range upstream.MixedFaults() {
		mix = append(mix, faultName(f))
	}
	rng := "the last " + fmt.Sprint(c.days) + " calendar days"
	for _, r := range res {
		if r.skipped == "" {
			rng += " (" + r.rng.String() + " at the first run)"
			break
		}
	}
	fmt.Fprintf(w, "## 4. Mixed faults\n\n")
	fmt.Fprintf(w, "The long version of internal/e2e's TestMixedFaults. Fake Yahoo: R = %d requests/s enforced (429 beyond it, recorded as the server's own refusal), latency L = %s; "+
		"%d symbols it knows (the S&P 500's first, then made-up ones) and %d it answers \"not found\" for, %s. "+
		"Random faults, seed **%d** (`go run ./internal/bench -run faults -faults-seed %d` replays them), on a share %g of the requests, drawn from: %s. "+
		"Pushed first, so that each kind happens whatever the seed: %s. "+
		"A share %g of the days null, %g of the bars invalid. "+
		"Runner wired as examples/cli (yahoo fetcher, ratelimit limiter with its budget in the database's ledger, store and SQL queue on a new database, log to fetcher_logs) with %d workers and the limiter at %g × R = %.4g/s, "+
		"but the fetcher's client times out after %s (the stalled body), retries wait %s doubling to %s (not 5 s to 80 s), up to %d attempts, "+
		"the cool-down after a 429 without Retry-After steps from %s to %s (not 5 s to 80 s), and the outage breaker's probes go %s after it opened, doubling to %s (not 5 s to 1 min). "+
		"Without the limiter the workers could send %.4g requests a second (workers ÷ L), far beyond R, so the server's count tests the limiter. "+
		"A new server and database per row.\n\n",
		c.rate, c.latency, c.symbols, c.unknown, rng, c.seed, c.seed, c.faultRate, strings.Join(mix, ", "), upstream.PushEveryKindText,
		faultsNullRate, faultsInvalidRate, c.concurrency, c.margin, c.margin*float64(c.rate),
		faultsClientTimeout, faultsRetryInitial, faultsRetryMax, faultsMaxAttempts(c.symbols+c.unknown, c.faultRate),
		faultsCoolDown, faultsCoolDownMax, faultsProbe, faultsProbeMax, c.unbridled())
	fmt.Fprintf(w, "| database | symbols | Run wall time | requests | faulty answers | 429 served (injected) | refused by its own limit | server: most in 1 s | retried | completed / given up / unfinished | bars stored | bars expected | bars rejected | null days sent | invalid bars sent |\n")
	fmt.Fprintf(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, r := range res {
		if r.skipped != "" {
			skippedRow(w, 15, r.dialect, fmt.Sprintf("%d + %d", c.symbols, c.unknown), r.skipped)
			continue
		}
		o := r.outcome
		fmt.Fprintf(w, "| %s | %d + %d | %.2f s | %d | %d | %d | **%d** | **%d** | %d | %d / %d / %d | %s | %s | %d | %d | %d |\n",
			r.dialect, c.symbols, c.unknown, r.wall.Seconds(), o.server.requests, o.server.requests-o.server.byFault[upstream.None],
			o.server.byFault[upstream.RateLimit]-o.server.limited, o.server.limited, o.peak, r.retried,
			r.succeeded, r.failed, r.unfinished, thousands(int64(o.storedTotal())), thousands(int64(o.wantTotal())), r.rejected,
			o.nullsSent, o.brokenSent)
	}

	// The faults served, by kind.
	var ran []faultsResult
	for _, r := range res {
		if r.skipped == "" {
			ran = append(ran, r)
		}
	}
	if len(ran) > 0 {
		fmt.Fprintf(w, "\nAnswers by fault served (the server's record):\n\n| fault |")
		for _, r := range ran {
			fmt.Fprintf(w, " %s |", r.dialect)
		}
		fmt.Fprintf(w, "\n| --- |%s\n", strings.Repeat(" ---: |", len(ran)))
		for k := upstream.None; k <= upstream.Malformed; k++ {
			if !slices.ContainsFunc(ran, func(r faultsResult) bool { return r.outcome.server.byFault[k] > 0 }) {
				continue
			}
			fmt.Fprintf(w, "| %s |", k)
			for _, r := range ran {
				fmt.Fprintf(w, " %d |", r.outcome.server.byFault[k])
			}
			fmt.Fprintln(w)
		}
	}

	// One line per property.
	if len(ran) > 0 {
		fmt.Fprintln(w)
		for i, c := range ran[0].checks {
			var verdicts []string
			for _, r := range ran {
				v := r.dialect + ": " + met(r.checks[i].ok)
				if !r.checks[i].ok {
					v += " (" + r.checks[i].detail + ")"
				}
				verdicts = append(verdicts, v)
			}
			fmt.Fprintf(w, "Target %s: %s.\n", c.target, strings.Join(verdicts, "; "))
		}
	}
	fmt.Fprintf(w, "\nrequests are the data requests the server saw; faulty answers those with any fault, the server's own 429s included. "+
		"A run's bars match the valid bars served at its start or, when a session closed during the run, at its end. "+
		"The server refuses a request when R others came in the second before it; the limiter at %g × R leaves slack for the jitter between "+
		"a grant and the request's arrival (see RESULTS.md), so a refusal of its own means the limiter let too many through.\n\n", c.margin)
}
