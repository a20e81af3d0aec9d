package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill/httpopt"
	"github.com/pricefill/pricefill/backfill/yahoo"
	"github.com/pricefill/pricefill/internal/upstream"
	"github.com/pricefill/pricefill/ratelimit"
	"github.com/pricefill/pricefill/validate/calendar"
)

// utilisationConfig is the limit-utilisation experiment.
type utilisationConfig struct {
	symbols     int
	rate        int           // the server's limit R, requests a second
	latency     time.Duration // the server's latency L
	days        int           // trading days per symbol
	concurrency []int
	// margins are the limiter's rates to run, each a share of R.
	margins []float64
	// dir holds the temporary databases; "" means a new temporary
	// directory.
	dir string
}

func (c utilisationConfig) validate() error {
	var errs []error
	if c.symbols < 1 || c.rate < 1 || c.latency < 0 || c.days < 1 || len(c.concurrency) == 0 {
		errs = append(errs, errors.New("-symbols, -rate and -days must be at least 1, -latency not negative"))
	}
	errs = append(errs, validateMargins(c.margins))
	return errors.Join(errs...)
}

func validateMargins(ms []float64) error {
	if len(ms) == 0 {
		return errors.New("-margin: no margin")
	}
	for _, m := range ms {
		if !(m > 0 && m <= 1) {
			return fmt.Errorf("-margin %g: want shares in (0, 1]", m)
		}
	}
	return nil
}

// utilisationResult is one run of the experiment, at one concurrency.
type utilisationResult struct {
	margin      float64 // the limiter's rate as a share of R
	concurrency int
	symbols     int
	wall        time.Duration // Runner.Run, enqueue to return
	bars        int64         // rows in prices afterwards
	wantBars    int64
	// requests counts the chart requests the server saw, rateLimited
	// those it refused for its limit (Fault RateLimit), other those with
	// any other fault (there should be none).
	requests, rateLimited, other int
	// peak is the most requests within any second at the server; minGap
	// the shortest time between two arrivals; window the shortest time
	// from an arrival to the R-th after it (under a second, that one is
	// refused); span the time from the first arrival to the last.
	peak   int
	minGap time.Duration
	window time.Duration
	span   time.Duration
	// limiterWait is the time workers waited on the limiter, summed.
	limiterWait time.Duration
}

// perSecond is the symbols completed a second, over Run's wall time.
func (r utilisationResult) perSecond() float64 {
	return float64(r.symbols) / r.wall.Seconds()
}

// shortRange returns the days trading days (NYSE) that end on the Friday
// 2025-06-06, a week with no holiday, as a range.
func shortRange(days int) (pricefill.Range, int) {
	to := pricefill.Date(2025, 6, 6)
	from := to
	for n := 1; n < days; {
		from = from.AddDate(0, 0, -1)
		if calendar.NYSE.IsTradingDay(from) {
			n++
		}
	}
	r := pricefill.Range{From: from, To: to}
	return r, len(calendar.NYSE.TradingDays(r.From, r.To))
}

// runUtilisation runs the experiment at each concurrency of c, each with
// a server and a database of its own.
func runUtilisation(ctx context.Context, c utilisationConfig, stderr io.Writer) ([]utilisationResult, error) {
	dir, cleanup, err := workDir(c.dir)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	var out []utilisationResult
	for _, m := range c.margins {
		for _, n := range c.concurrency {
			res, err := utilisationOnce(ctx, c, m, n, filepath.Join(dir, fmt.Sprintf("utilisation-%g-%d.db", m, n)), stderr)
			if err != nil {
				return out, fmt.Errorf("limiter at %g × R, concurrency %d: %w", m, n, err)
			}
			fmt.Fprintf(stderr, "bench: utilisation, limiter at %g × R, concurrency %d: %.3f of R, %d refused\n", m, n, res.perSecond()/float64(c.rate), res.rateLimited)
			out = append(out, res)
		}
	}
	return out, nil
}

func utilisationOnce(ctx context.Context, c utilisationConfig, margin float64, concurrency int, dbPath string, stderr io.Writer) (utilisationResult, error) {
	res := utilisationResult{margin: margin, concurrency: concurrency, symbols: c.symbols}
	srv, err := upstream.New(upstream.WithRateLimit(c.rate), upstream.WithLatency(c.latency))
	if err != nil {
		return res, err
	}
	defer closeServer(srv)
	// The program's Yahoo fetcher with --base-url: its own client, on the
	// default transport.
	f, err := yahoo.New(httpopt.WithBaseURL(srv.URL()))
	if err != nil {
		return res, err
	}
	p, err := openPipeline(ctx, wiring{
		dsn: dbPath, source: "yahoo", fetcher: f,
		rate:        margin * float64(c.rate),
		hourly:      max(ratelimit.HourlyLimitDefault, 2*c.symbols),
		concurrency: concurrency,
		console:     stderr,
	})
	if err != nil {
		return res, err
	}
	defer p.Close()
	rng, days := shortRange(c.days)
	rep, wall, err := p.run(ctx, benchSymbols(c.symbols), rng)
	if rep != nil {
		res.limiterWait = rep.LimiterWait
	}
	if err != nil {
		return res, err
	}
	res.wall = wall
	res.wantBars = int64(days * c.symbols)
	if res.bars, err = countPrices(ctx, "sqlite", dbPath); err != nil {
		return res, err
	}
	tally(&res, srv.Requests(), c.rate)
	if res.bars != res.wantBars {
		return res, fmt.Errorf("%d bars stored, want %d", res.bars, res.wantBars)
	}
	return res, nil
}

// serverCounts is what the server recorded of a run's data requests:
// Yahoo's cookie page and crumb, which carry no symbol, are left out.
type serverCounts struct {
	requests int
	// byFault counts the requests by the fault served, None for a normal
	// answer; a refusal for the server's own limit is a RateLimit.
	byFault map[upstream.FaultKind]int
	// limited counts the requests the server refused for its own rate
	// limit (upstream.Request.Limited), not for a fault it was told to
	// serve: every request, Yahoo's cookie page and crumb included.
	limited int
	// times are the arrivals, in order.
	times []time.Time
}

// countRequests counts the data requests among reqs.
func countRequests(reqs []upstream.Request) serverCounts {
	c := serverCounts{byFault: map[upstream.FaultKind]int{}}
	for _, r := range reqs {
		if r.Limited {
			c.limited++
		}
		if r.Symbol == "" {
			continue
		}
		c.requests++
		c.byFault[r.Fault]++
		c.times = append(c.times, r.Time)
	}
	return c
}

// faulty is the number of requests answered with any fault but a rate
// limit.
func (c serverCounts) faulty() int {
	return c.requests - c.byFault[upstream.None] - c.byFault[upstream.RateLimit]
}

// tally counts the server's chart requests by fault and measures their
// spacing against the server's limit of rate a second.
func tally(res *utilisationResult, reqs []upstream.Request, rate int) {
	c := countRequests(reqs) // Yahoo's cookie page and crumb: none expected
	res.requests, res.rateLimited, res.other = c.requests, c.byFault[upstream.RateLimit], c.faulty()
	times := c.times
	res.minGap = -1
	for i := 1; i < len(times); i++ {
		if g := times[i].Sub(times[i-1]); res.minGap < 0 || g < res.minGap {
			res.minGap = g
		}
	}
	if len(times) > 1 {
		res.span = times[len(times)-1].Sub(times[0])
	}
	res.window = shortestWindow(times, rate)
	for i, j := 0, 0; j < len(times); j++ {
		for times[j].Sub(times[i]) >= time.Second {
			i++
		}
		res.peak = max(res.peak, j-i+1)
	}
}

// shortestWindow returns the shortest time from an arrival to the n-th
// after it, or -1 when there are not n+1 arrivals. A server that allows n
// requests a second refuses the later one when it is under a second.
func shortestWindow(times []time.Time, n int) time.Duration {
	w := time.Duration(-1)
	for i := n; i < len(times); i++ {
		if d := times[i].Sub(times[i-n]); w < 0 || d < w {
			w = d
		}
	}
	return w
}

// closeServer closes srv and the default transport's idle connections to
// it, which the fetchers' default client keeps.
func closeServer(srv *upstream.Server) {
	srv.Close()
	if t, ok := http.DefaultTransport.(*http.Transport); ok {
		t.CloseIdleConnections()
	}
}

// workDir returns dir, or a new temporary directory that cleanup removes.
func workDir(dir string) (string, func(), error) {
	if dir != "" {
		return dir, func() {}, nil
	}
	d, err := os.MkdirTemp("", "pricefill-bench-")
	if err != nil {
		return "", nil, err
	}
	return d, func() { _ = os.RemoveAll(d) }, nil
}

func writeUtilisation(w io.Writer, c utilisationConfig, res []utilisationResult) {
	rng, days := shortRange(c.days)
	fmt.Fprintf(w, "## 1. Limit utilisation\n\n")
	fmt.Fprintf(w, "Fake Yahoo (internal/upstream): R = %d requests/s enforced (429 beyond it), latency L = %s. "+
		"%d symbols (the S&P 500's first, then made-up ones), %s: %d trading days, one request each. "+
		"Runner as examples/cli wires it: yahoo fetcher with its default client, store and SQL queue on a new temporary SQLite file, "+
		"log to fetcher_logs, ratelimit limiter at m × R requests/s with its budget in the database's ledger; a new server and database per row.\n\n",
		c.rate, c.latency, c.symbols, rng, days)
	fmt.Fprintf(w, "| limiter m × R | concurrency | Run wall time | symbols/s | ÷ R | 429 (limit) | other faults | requests | server: most in 1 s | server: shortest gap | server: shortest %d-gap window | server: first→last | limiter wait (sum) | bars stored |\n", c.rate)
	fmt.Fprintf(w, "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, r := range res {
		fmt.Fprintf(w, "| %g × %d = %.4g/s | %d | %.2f s | %.2f | **%.3f** | %d | %d | %d | %d | %s | %s | %.2f s | %.1f s | %s |\n",
			r.margin, c.rate, r.margin*float64(c.rate), r.concurrency, r.wall.Seconds(), r.perSecond(), r.perSecond()/float64(c.rate),
			r.rateLimited, r.other, r.requests, r.peak, fmtDuration(r.minGap), fmtDuration(r.window), r.span.Seconds(),
			r.limiterWait.Seconds(), thousands(r.bars))
	}
	var verdicts []string
	for _, r := range res {
		if r.concurrency < 4 {
			continue
		}
		u := r.perSecond() / float64(c.rate)
		ok := u >= 0.95 && r.rateLimited == 0
		verdicts = append(verdicts, fmt.Sprintf("%g × R, concurrency %d: %.3f with %d 429s, %s", r.margin, r.concurrency, u, r.rateLimited, met(ok)))
	}
	if len(verdicts) > 0 {
		fmt.Fprintf(w, "\nTarget ≥ 0.95 of R with no 429 at concurrency ≥ 4: %s.\n", strings.Join(verdicts, "; "))
	}
	fmt.Fprintf(w, "\nsymbols/s is symbols ÷ the wall time of Runner.Run (enqueueing and the last answer included). "+
		"At concurrency 1 a worker waits for each answer (L) before it claims the next symbol. "+
		"The server refuses a request when R = %d others came in the second before it: the shortest %d-gap window is the least time "+
		"from an arrival to the R-th after it over the run, so under 1 s means a 429. "+
		"A limiter at m × R spaces its grants at least 1/(m·R) apart, %d gaps at least 1/m s; "+
		"what the window falls short of that is the jitter between grant and arrival.\n\n", c.rate, c.rate, c.rate)
}

// fmtDuration formats d in milliseconds, or "–" when negative (unknown).
func fmtDuration(d time.Duration) string {
	if d < 0 {
		return "–"
	}
	return fmt.Sprintf("%.3f ms", float64(d)/float64(time.Millisecond))
}

// skippedRow writes the table row, of cols cells, of a run that was
// skipped: cells, then empty ones.
func skippedRow(w io.Writer, cols int, cells ...string) {
	fmt.Fprintf(w, "| %s |%s\n", strings.Join(cells, " | "), strings.Repeat(" |", cols-len(cells)))
}

func met(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}
