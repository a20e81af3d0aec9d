// Command bench measures pricefill end to end, on this machine, and prints
// a Markdown report. Every figure is measured by the run that prints it.
//
//	go run ./internal/bench                       # every experiment, full size (about 8 minutes; 9 with -pg)
//	go run ./internal/bench -run utilisation      # one experiment (utilisation, baseline, ingest, faults)
//	go run ./internal/bench -symbols 100 -baseline-symbols 10 -ingest-symbols 50,100 -ingest-years 2 -faults-symbols 40
//	go run ./internal/bench -run faults -faults-seed 1234   # replay the faults of a run's seed
//	go run ./internal/bench -pg postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
//
// # Experiments
//
//	utilisation  a fake Yahoo (internal/upstream) refuses requests beyond R a second with
//	             429 and answers after a latency L; the Runner, wired as examples/cli wires
//	             it (yahoo fetcher, ratelimit limiter, store and SQL queue on a temporary
//	             SQLite file), fetches short ranges at several concurrencies. It reports
//	             symbols/s ÷ R and the 429s the server sent.
//	baseline     the sequential script of the original plan (sleep 1/R, fetch, validate,
//	             one autocommit INSERT per bar into SQLite) against the Runner, at the
//	             same limit: seconds per symbol and the speed-up.
//	ingest       the Runner and store with the synthetic fetcher and no limiter, on
//	             SQLite and PostgreSQL: bars/s, and the peak RSS of the run, each run in
//	             a child process (this program re-executed) whose rusage gives it.
//	faults       the long version of internal/e2e's TestMixedFaults: a fake Yahoo at R
//	             that also serves faults at random (429 bursts with Retry-After, 5xx,
//	             dropped connections, truncated and malformed bodies, outage pages,
//	             slow bodies), null days and invalid bars, and "not found" for a few
//	             unknown symbols; the Runner, wired as above with a short retry
//	             backoff and enough attempts, on SQLite and PostgreSQL. It reports
//	             whether every valid bar was stored exactly once and nothing else,
//	             the unknown symbols given up and the others completed, and the
//	             server never over R (no refusal of its own, at most R in a second).
//	             -faults-seed replays a run's faults; the report prints the seed.
//
// The Runner's limiter runs at each share of R that -margin lists, by
// default 1 and 0.99: a limiter at exactly R leaves no slack for the
// jitter between a grant and the request's arrival, and a strict server
// then refuses a request now and then (RESULTS.md measures it). The faults
// experiment's limiter runs at -faults-margin, 0.99, since a refusal of
// the server's own fails it.
//
// PostgreSQL comes from -pg, by default $PRICEFILL_BENCH_DATABASE_URL; each
// ingest and faults run gets a schema of its own there, dropped afterwards.
// Without a URL the PostgreSQL rows say "skipped: no -pg".
//
// The program exits 1 when an experiment fails, a faults property
// included, after printing the report.
//
// internal/bench/RESULTS.md holds the figures of a full run, with the
// machine and the commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"time"
)

// experiments are the names -run accepts, in the order they run.
var experiments = []string{"utilisation", "baseline", "ingest", "faults"}

// config is the whole benchmark's configuration, from the flags.
type config struct {
	run         []string
	utilisation utilisationConfig
	baseline    baselineConfig
	ingest      ingestConfig
	faults      faultsConfig
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == childCommand {
		os.Exit(childMain(os.Args[2:], os.Stdout, os.Stderr))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run is the program minus the process: it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case err != nil:
		fmt.Fprintln(stderr, "bench:", err)
		return 2
	}
	if err := runAll(ctx, cfg, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	return 0
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	var runList, concurrencies, sizes, margins string
	fs.StringVar(&runList, "run", strings.Join(experiments, ","), "comma-separated `LIST` of experiments: "+strings.Join(experiments, ", "))

	u := &cfg.utilisation
	fs.IntVar(&u.symbols, "symbols", 400, "utilisation: `N` symbols")
	fs.IntVar(&u.rate, "rate", 20, "utilisation: the server's limit R, requests a second")
	fs.DurationVar(&u.latency, "latency", 100*time.Millisecond, "utilisation: the server's latency L")
	fs.IntVar(&u.days, "days", 5, "utilisation: trading days per symbol (one request each)")
	fs.StringVar(&concurrencies, "concurrency", "1,4,8", "utilisation: comma-separated worker counts")
	fs.StringVar(&margins, "margin", "1,0.99", "utilisation and baseline: comma-separated limiter rates, each a share of R (1: exactly R); the Runner runs at each")

	b := &cfg.baseline
	fs.IntVar(&b.symbols, "baseline-symbols", 60, "baseline: `N` symbols")
	fs.IntVar(&b.rate, "baseline-rate", 1, "baseline: the server's limit R, requests a second (the script sleeps 1/R)")
	fs.DurationVar(&b.latency, "baseline-latency", 300*time.Millisecond, "baseline: the server's latency L")
	fs.IntVar(&b.days, "baseline-days", 5, "baseline: trading days per symbol (one request each)")
	fs.IntVar(&b.concurrency, "baseline-concurrency", 4, "baseline: the Runner's workers (examples/cli's default)")

	in := &cfg.ingest
	fs.StringVar(&sizes, "ingest-symbols", "500,1000", "ingest: comma-separated symbol counts; the first gives the throughput figure")
	fs.IntVar(&in.years, "ingest-years", 10, "ingest: years of daily bars per symbol")
	fs.IntVar(&in.concurrency, "ingest-concurrency", 4, "ingest: the Runner's workers (examples/cli's default)")
	fs.StringVar(&in.pgURL, "pg", os.Getenv(pgEnv), "ingest and faults: PostgreSQL `URL` (default $"+pgEnv+"); empty skips PostgreSQL")
	fs.StringVar(&in.profileDir, "memprofile", "", "ingest: write each child's heap profile into `DIR`")

	fa := &cfg.faults
	fs.IntVar(&fa.symbols, "faults-symbols", 400, "faults: `N` symbols the server knows")
	fs.IntVar(&fa.unknown, "faults-unknown", 10, "faults: `N` symbols it answers \"not found\" for")
	fs.IntVar(&fa.days, "faults-days", 30, "faults: calendar days of the range, ending today (New York)")
	fs.IntVar(&fa.rate, "faults-rate", 20, "faults: the server's limit R, requests a second")
	fs.Float64Var(&fa.margin, "faults-margin", 0.99, "faults: the limiter's rate, a share of R (1: exactly R, which jitter can push over)")
	fs.DurationVar(&fa.latency, "faults-latency", 50*time.Millisecond, "faults: the server's latency L")
	fs.IntVar(&fa.concurrency, "faults-concurrency", 8, "faults: the Runner's workers")
	fs.Float64Var(&fa.faultRate, "faults-random", 0.2, "faults: the share of requests that get a random fault")
	fs.Uint64Var(&fa.seed, "faults-seed", 0, "faults: the seed of the random faults; 0 picks one from the clock (the report prints it)")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var err error
	if cfg.run, err = parseRun(runList); err != nil {
		return cfg, err
	}
	if u.concurrency, err = parseInts("-concurrency", concurrencies); err != nil {
		return cfg, err
	}
	if in.symbols, err = parseInts("-ingest-symbols", sizes); err != nil {
		return cfg, err
	}
	if u.margins, err = parseFloats("-margin", margins); err != nil {
		return cfg, err
	}
	b.margins = u.margins
	fa.pgURL = in.pgURL
	if fa.seed == 0 {
		fa.seed = uint64(time.Now().UnixNano())
	}
	return cfg, errors.Join(u.validate(), b.validate(), in.validate(), fa.validate())
}

func parseRun(list string) ([]string, error) {
	var out []string
	for name := range strings.SplitSeq(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if !slices.Contains(experiments, name) {
			return nil, fmt.Errorf("-run: unknown experiment %q (want %s)", name, strings.Join(experiments, ", "))
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("-run: no experiment")
	}
	return out, nil
}

func parseInts(name, list string) ([]int, error) {
	var out []int
	for s := range strings.SplitSeq(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%s: %q is not a positive whole number", name, s)
		}
		out = append(out, n)
	}
	return out, nil
}

func parseFloats(name, list string) ([]float64, error) {
	var out []float64
	for s := range strings.SplitSeq(list, ",") {
		x, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not a number", name, s)
		}
		out = append(out, x)
	}
	return out, nil
}

// runAll runs the experiments of cfg and writes the report.
func runAll(ctx context.Context, cfg config, stdout, stderr io.Writer) error {
	var rep strings.Builder
	writeHeader(&rep, cfg)
	for _, name := range experiments {
		if !slices.Contains(cfg.run, name) {
			continue
		}
		fmt.Fprintf(stderr, "bench: %s…\n", name)
		var err error
		switch name {
		case "utilisation":
			var res []utilisationResult
			res, err = runUtilisation(ctx, cfg.utilisation, stderr)
			writeUtilisation(&rep, cfg.utilisation, res)
		case "baseline":
			var res *baselineResult
			res, err = runBaseline(ctx, cfg.baseline, stderr)
			if res != nil {
				writeBaseline(&rep, cfg.baseline, *res)
			}
		case "ingest":
			var res []ingestResult
			res, err = runIngest(ctx, cfg.ingest, stderr)
			writeIngest(&rep, cfg.ingest, res)
		case "faults":
			var res []faultsResult
			res, err = runFaults(ctx, cfg.faults, stderr)
			writeFaults(&rep, cfg.faults, res)
		}
		if err != nil {
			_, _ = io.WriteString(stdout, rep.String())
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	fmt.Fprintf(&rep, "Load average at the end: %s.\n", loadAverage())
	_, err := io.WriteString(stdout, rep.String())
	return err
}
