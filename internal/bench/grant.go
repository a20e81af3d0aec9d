package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pricefill/pricefill/ratelimit"
	"github.com/pricefill/pricefill/store"
)

// grantConfig is the experiment that times one grant, and one answer,
// through the database's ledger.
type grantConfig struct {
	calls int    // Allow calls timed, and as many Answered calls
	pgURL string // "" skips PostgreSQL
	dir   string // "" means a new temporary directory
}

// The grant experiment's limiter: no interval, so that every Allow
// grants; the default hourly limit, so that each decision looks through
// the hour's grants as a run's do.
const (
	grantName   = "bench-grant"
	grantHourly = ratelimit.HourlyLimitDefault
)

// validate says what is wrong with c, naming the flags.
func (c grantConfig) validate() error {
	if c.calls < 1 || c.calls > grantHourly {
		return fmt.Errorf("-grant-calls %d: want 1 to %d (the hourly limit; every call must grant)", c.calls, grantHourly)
	}
	return nil
}

// grantResult is one database's timings, or why there were none.
type grantResult struct {
	dialect string
	skipped string
	// allow and answered time each Allow and each Answered call.
	allow, answered latencies
	wall            time.Duration
}

// latencies summarise the times of calls.
type latencies struct {
	n                       int
	mean, median, p99, most time.Duration
}

// summarise returns the mean, median, 99th percentile (nearest rank) and
// maximum of ds.
func summarise(ds []time.Duration) latencies {
	if len(ds) == 0 {
		return latencies{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	rank := func(p float64) time.Duration {
		i := int(p*float64(len(s))+0.999999) - 1 // nearest rank: ⌈p·n⌉
		return s[min(max(i, 0), len(s)-1)]
	}
	return latencies{n: len(s), mean: sum / time.Duration(len(s)), median: rank(0.5), p99: rank(0.99), most: s[len(s)-1]}
}

// runGrant times the calls on SQLite and, given -pg, on PostgreSQL.
func runGrant(ctx context.Context, c grantConfig, stderr io.Writer) ([]grantResult, error) {
	dir, cleanup, err := workDir(c.dir)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	var out []grantResult
	for _, dialect := range dialects {
		if why := skipped(dialect, c.pgURL); why != "" {
			out = append(out, grantResult{dialect: dialect, skipped: why})
			continue
		}
		res, err := grantOnce(ctx, c, dialect, filepath.Join(dir, "grant.db"), stderr)
		if err != nil {
			return out, fmt.Errorf("%s: %w", dialect, err)
		}
		fmt.Fprintf(stderr, "bench: grant %s: Allow %s mean, Answered %s mean\n", dialect, micros(res.allow.mean), micros(res.answered.mean))
		out = append(out, res)
	}
	return out, nil
}

// grantOnce times c.calls pairs of Allow and Answered, one after the
// other as a worker makes them, on a new database of dialect.
func grantOnce(ctx context.Context, c grantConfig, dialect, sqlitePath string, stderr io.Writer) (grantResult, error) {
	res := grantResult{dialect: dialect}
	dsn, drop, err := newDatabase(ctx, dialect, sqlitePath, c.pgURL, stderr)
	if err != nil {
		return res, err
	}
	defer drop()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return res, err
	}
	defer db.Close()
	lim, err := ratelimit.New(ratelimit.WithLedger(db.Ledger()), ratelimit.WithName(grantName),
		ratelimit.WithInterval(0), ratelimit.WithHourlyLimit(grantHourly))
	if err != nil {
		return res, err
	}
	allow := make([]time.Duration, 0, c.calls)
	answered := make([]time.Duration, 0, c.calls)
	t0 := time.Now()
	for i := range c.calls {
		t := time.Now()
		ok, err := lim.Allow(ctx)
		allow = append(allow, time.Since(t))
		switch {
		case err != nil:
			return res, fmt.Errorf("grant %d: %w", i+1, err)
		case !ok:
			return res, fmt.Errorf("grant %d: Allow granted nothing, want a grant every call", i+1)
		}
		t = time.Now()
		err = lim.Answered(ctx)
		answered = append(answered, time.Since(t))
		if err != nil {
			return res, fmt.Errorf("answer %d: %w", i+1, err)
		}
	}
	res.wall = time.Since(t0)
	res.allow, res.answered = summarise(allow), summarise(answered)
	return res, nil
}

// micros formats d in microseconds.
func micros(d time.Duration) string {
	return fmt.Sprintf("%s µs", thousands(d.Microseconds()))
}

func writeGrant(w io.Writer, c grantConfig, res []grantResult) {
	fmt.Fprintf(w, "## 7. The cost of a grant through the shared ledger\n\n")
	fmt.Fprintf(w, "In process: `ratelimit.New(ratelimit.WithLedger(db.Ledger()), ratelimit.WithName(%q), ratelimit.WithInterval(0), ratelimit.WithHourlyLimit(%d))` "+
		"on a new database (store.Open), then %d times `Allow(ctx)` (each must grant) followed by `Answered(ctx)`, as a worker's request makes them, each call timed. "+
		"Every grant is a row of rate_grants that stays, so the %d-th decision looks through %d grants of the hour. "+
		"The share of the interval is the mean ÷ %s, the interval of the default 1 request/s (ratelimit.IntervalDefault).\n\n",
		grantName, grantHourly, c.calls, c.calls, c.calls-1, ratelimit.IntervalDefault)
	fmt.Fprintf(w, "| database | call | n | mean | median | 99th percentile | max | share of the 1 s interval |\n")
	fmt.Fprintf(w, "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, r := range res {
		if r.skipped != "" {
			skippedRow(w, 8, r.dialect, r.skipped)
			continue
		}
		for _, x := range []struct {
			call string
			l    latencies
		}{{"Allow (a grant)", r.allow}, {"Answered", r.answered}} {
			fmt.Fprintf(w, "| %s | %s | %d | **%s** | %s | **%s** | %s | %s |\n", r.dialect, x.call, x.l.n, micros(x.l.mean), micros(x.l.median),
				micros(x.l.p99), micros(x.l.most), shareOfInterval(x.l.mean))
		}
		fmt.Fprintf(w, "| %s | a request's two | | %s | | | | **%s** |\n", r.dialect, micros(r.allow.mean+r.answered.mean), shareOfInterval(r.allow.mean+r.answered.mean))
	}
	var lines []string
	for _, r := range res {
		if r.skipped == "" {
			lines = append(lines, fmt.Sprintf("%s %.1f s", r.dialect, r.wall.Seconds()))
		}
	}
	if len(lines) > 0 {
		fmt.Fprintf(w, "\nWall time of the %d pairs: %s.\n", c.calls, strings.Join(lines, "; "))
	}
	fmt.Fprintln(w)
}

// shareOfInterval is d as a percentage of the default interval.
func shareOfInterval(d time.Duration) string {
	return fmt.Sprintf("%.3f %%", 100*float64(d)/float64(ratelimit.IntervalDefault))
}
