package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/pricefill/pricefill/internal/upstream"
)

// paceConfig is the adaptive-pace experiment: one program whose --rate is
// far above what a strict provider allows finds the provider's limit.
type paceConfig struct {
	symbols     int
	rate        int           // the server's limit R, requests a second
	programRate float64       // the program's --rate
	concurrency int           // the program's --concurrency
	latency     time.Duration // the server's latency L
	days        int           // --days
	warmup      time.Duration // the start of the run judged apart: the pace is finding the limit
	dir         string        // "" means a new temporary directory
}

// The pace experiment's fixed parts and targets.
const (
	// paceCoolDown is the server's strict cool-down after a refusal: its
	// 429 says Retry-After: 1.
	paceCoolDown = time.Second
	// paceMinShare is the least share of the server's limit that the data
	// answers are to reach.
	paceMinShare = 0.8
	// paceMaxLateRefusals is the most refusals after the warm-up.
	paceMaxLateRefusals = 6
	// paceBucket is the width of the report's timeline.
	paceBucket = 10 * time.Second
)

// validate says what is wrong with c, naming the flags.
func (c paceConfig) validate() error {
	var errs []error
	if c.symbols < 1 || c.rate < 1 || c.concurrency < 1 || c.days < 1 || c.latency < 0 || c.warmup < 0 {
		errs = append(errs, errors.New("-pace-symbols, -pace-rate, -pace-concurrency and -pace-days must be at least 1, -pace-latency and -pace-warmup not negative"))
	}
	if !(c.programRate > float64(c.rate)) {
		errs = append(errs, fmt.Errorf("-pace-program-rate %g: want more than the server's limit -pace-rate %d, or there is nothing to adapt to", c.programRate, c.rate))
	}
	return errors.Join(errs...)
}

// deadline is how long the run may take before it counts as stuck: a
// minute, plus three times what its requests take at the server's limit.
func (c paceConfig) deadline() time.Duration {
	return time.Minute + time.Duration(3*float64(c.symbols)/float64(c.rate)*float64(time.Second))
}

// paceResult is the run.
type paceResult struct {
	exit exit
	// server counts the data requests the server saw.
	server serverCounts
	// first and last are the first and last request at the server.
	first, last time.Time
	// early counts what came before first + warmup, late what came after.
	early, late paceCounts
	peak        int
	once, bars  faultsCheck
	// buckets count what came in each paceBucket from first.
	buckets []paceCounts
}

// paceCounts count the data requests of a stretch of the run.
type paceCounts struct {
	requests, answered, refusals, duringCoolDown int
}

// add counts r.
func (p *paceCounts) add(r upstream.Request) {
	p.requests++
	switch {
	case r.DuringCoolDown:
		p.refusals++
		p.duringCoolDown++
	case r.Limited:
		p.refusals++
	case r.Fault == upstream.None:
		p.answered++
	}
}

// share is the data answers a second from the first request to the last,
// as a share of the server's limit.
func (r paceResult) share(rate int) float64 {
	return shareOf(r.early.answered+r.late.answered, r.last.Sub(r.first), rate)
}

// lateShare is share after the warm-up.
func (r paceResult) lateShare(rate int, warmup time.Duration) float64 {
	return shareOf(r.late.answered, r.last.Sub(r.first.Add(warmup)), rate)
}

func shareOf(answered int, d time.Duration, rate int) float64 {
	if d <= 0 {
		return 0
	}
	return float64(answered) / d.Seconds() / float64(rate)
}

// err says which properties failed: the exit status, a symbol not
// completed once, a bar not stored once.
func (r paceResult) err() error {
	var missed []string
	if r.exit.code != 0 {
		missed = append(missed, fmt.Sprintf("the program exited %d: %s", r.exit.code, r.exit.tail()))
	}
	return missedErr(missed, r.once, r.bars)
}

// runPace runs the program once, on a new SQLite file, against a new
// server.
func runPace(ctx context.Context, c paceConfig, prog *program, stderr io.Writer) (*paceResult, error) {
	dir, cleanup, err := workDir(c.dir)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	srv, err := upstream.New(upstream.WithRateLimit(c.rate), upstream.WithStrictCoolDown(paceCoolDown), upstream.WithLatency(c.latency))
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	dsn := filepath.Join(dir, "pace.db")
	known := benchSymbols(c.symbols)
	runCtx, cancel := context.WithTimeout(ctx, c.deadline())
	defer cancel()
	start := time.Now()
	p, err := prog.start(runCtx, filepath.Join(dir, "pace.json"), "--db", dsn, "--base-url", srv.URL(), "--symbols", strings.Join(known, ","),
		"--days", fmt.Sprint(c.days), "--rate", fmt.Sprint(c.programRate), "--concurrency", fmt.Sprint(c.concurrency), "--log-level", "error")
	if err != nil {
		return nil, err
	}
	e, err := p.wait()
	end := time.Now()
	res := &paceResult{exit: e}
	if err != nil {
		return res, err
	}
	if runCtx.Err() != nil && ctx.Err() == nil {
		return res, fmt.Errorf("the program was stopped at its deadline, %s", c.deadline())
	}

	reqs := srv.Requests()
	res.server = countRequests(reqs)
	res.peak = srv.PeakRate(time.Second)
	for _, r := range reqs {
		if r.Symbol == "" {
			continue
		}
		if res.first.IsZero() {
			res.first = r.Time
		}
		res.last = r.Time
		since := r.Time.Sub(res.first)
		if since < c.warmup {
			res.early.add(r)
		} else {
			res.late.add(r)
		}
		i := int(since / paceBucket)
		for len(res.buckets) <= i {
			res.buckets = append(res.buckets, paceCounts{})
		}
		res.buckets[i].add(r)
	}
	if res.early.refusals+res.late.refusals != srv.Refusals() || res.early.duringCoolDown+res.late.duringCoolDown != srv.DuringCoolDown() {
		return res, fmt.Errorf("the data requests hold %d refusals and %d during cool-downs, the server counts %d and %d: a refusal of a request without a symbol",
			res.early.refusals+res.late.refusals, res.early.duringCoolDown+res.late.duringCoolDown, srv.Refusals(), srv.DuringCoolDown())
	}
	if !e.hasReport {
		return res, fmt.Errorf("the program (exit %d) wrote no report: %s", e.code, e.tail())
	}
	rng, err := e.report.rng()
	if err != nil {
		return res, err
	}
	o, err := collectStored(ctx, srv, "sqlite", dsn, known, rng, start, end, e.report.Inserted)
	if err != nil {
		return res, err
	}
	res.once = checkOnce(srv, o, []exit{e})
	res.bars = checkBarsOnce(o)
	fmt.Fprintf(stderr, "bench: pace: %.1f s, %d requests, %.3f of the server's limit (%.3f after %s), %d refusals (%d after)\n",
		e.wall.Seconds(), res.server.requests, res.share(c.rate), res.lateShare(c.rate, c.warmup), c.warmup,
		res.early.refusals+res.late.refusals, res.late.refusals)
	return res, res.err()
}

func writePace(w io.Writer, c paceConfig, r paceResult) {
	fmt.Fprintf(w, "## 6. The adaptive pace finds a strict provider's limit\n\n")
	fmt.Fprintf(w, "Fake Yahoo: R = %d requests/s enforced (429 beyond it) with a strict cool-down of %s (its 429 says Retry-After: 1, "+
		"and it refuses everything until the cool-down ends), latency L = %s. "+
		"One program (examples/cli) with `--rate %g --concurrency %d --days %d`, %d symbols (one request each), on a new SQLite file: "+
		"its limiter starts at %.3g × R and must slow down to R from the refusals alone.\n\n",
		c.rate, paceCoolDown, c.latency, c.programRate, c.concurrency, c.days, c.symbols, c.programRate/float64(c.rate))
	fmt.Fprintf(w, "| | stretch | requests | data answers | share of R (data answers/s ÷ %d) | refusals | during cool-downs |\n", c.rate)
	fmt.Fprintf(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	whole := paceCounts{
		requests: r.early.requests + r.late.requests, answered: r.early.answered + r.late.answered,
		refusals: r.early.refusals + r.late.refusals, duringCoolDown: r.early.duringCoolDown + r.late.duringCoolDown,
	}
	span := r.last.Sub(r.first)
	fmt.Fprintf(w, "| whole run | %.2f s | %d | %d | **%.3f** | %d | **%d** |\n", span.Seconds(), whole.requests, whole.answered, r.share(c.rate), whole.refusals, whole.duringCoolDown)
	fmt.Fprintf(w, "| first %s | %.2f s | %d | %d | %.3f | %d | %d |\n", c.warmup, min(c.warmup, span).Seconds(), r.early.requests, r.early.answered,
		shareOf(r.early.answered, min(c.warmup, span), c.rate), r.early.refusals, r.early.duringCoolDown)
	fmt.Fprintf(w, "| after the first %s | %.2f s | %d | %d | **%.3f** | **%d** | %d |\n", c.warmup, max(0, span-c.warmup).Seconds(), r.late.requests, r.late.answered,
		r.lateShare(c.rate, c.warmup), r.late.refusals, r.late.duringCoolDown)

	var answered, refused []string
	for _, b := range r.buckets {
		answered = append(answered, fmt.Sprint(b.answered))
		refused = append(refused, fmt.Sprint(b.refusals))
	}
	fmt.Fprintf(w, "\nBy %s from the first request (the last stretch shorter): data answers %s; refusals %s. "+
		"The server saw at most %d requests within one second. Program: exit %d, %.2f s; report: %d requests, %d rate limited; "+
		"every symbol completed once: %s; every valid bar stored once: %s.\n",
		paceBucket, strings.Join(answered, ", "), strings.Join(refused, ", "), r.peak, r.exit.code, r.exit.wall.Seconds(),
		r.exit.report.Requests, r.exit.report.RateLimited, verdict(r.once), verdict(r.bars))

	all, late := r.share(c.rate), r.lateShare(c.rate, c.warmup)
	fmt.Fprintf(w, "\nTarget ≥ %g of the server's limit: whole run %.3f, %s; after the first %s %.3f, %s.\n",
		paceMinShare, all, met(all >= paceMinShare), c.warmup, late, met(late >= paceMinShare))
	fmt.Fprintf(w, "Target at most %d refusals after the first %s: %d, %s.\n", paceMaxLateRefusals, c.warmup, r.late.refusals, met(r.late.refusals <= paceMaxLateRefusals))
	fmt.Fprintf(w, "\nThe share of R is the data answers ÷ the stretch's time ÷ R, the whole run's from the first request at the server to the last. "+
		"A refusal during a cool-down is a request the program sent although the previous 429's Retry-After had not run out.\n\n")
}
