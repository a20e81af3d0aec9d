// Command bench measures pricefill end to end, on this machine, and prints
// a Markdown report. Every figure is measured by the run that prints it.
//
//	go run ./internal/bench                       # every experiment, full size (about 14 minutes; 20 with -pg)
//	go run ./internal/bench -run utilisation      # one experiment (utilisation, baseline, ingest, faults, fleet, pace, grant, outage)
//	go run ./internal/bench -symbols 100 -baseline-symbols 10 -ingest-symbols 50,100 -ingest-years 2 -faults-symbols 40
//	go run ./internal/bench -run faults -faults-seed 1234   # replay the faults of a run's seed
//	go run ./internal/bench -run fleet,pace,grant,outage -pg postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
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
//	             a child process (this program re-executed) whose rusage gives it; then
//	             the same bars loaded raw into a table of prices' schema by psql's \copy
//	             or sqlite3's .import, and the ratio of the two. -ingest-before runs a
//	             build from another tree (main, say) beside each run, to compare.
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
//	fleet        three programs (examples/cli, built once per run with go build, run as
//	             processes of their own) at once on one database, each at --rate 9.5, the
//	             same 570 symbols, against a fake Yahoo at R = 10 that refuses everything
//	             for a second after a refusal: whether the shared budget keeps the fleet
//	             to its rate (at most R in a second, nothing during a cool-down, at most
//	             2 refusals, data answers ≥ 0.9 of 9.5/s), how the symbols split, and that
//	             every symbol is completed once; on SQLite and PostgreSQL.
//	pace         one program at --rate 10 against a strict fake Yahoo at R = 4: the share
//	             of R its adaptive pace gets, over the run and after its first 15 s, and
//	             the refusals it meets (SQLite).
//	grant        in process, the time of a grant (Allow) and of an answer (Answered)
//	             through the database's ledger, 1,000 of each, on SQLite and PostgreSQL,
//	             against the 1 s interval of the default rate.
//	outage       one program at its default probes and outage timeout; once a third of
//	             its requests are made the fake Yahoo refuses connections for 100 s, then
//	             comes back: the exit status, symbols failed, the greatest attempts of a
//	             task, every valid bar stored once, the requests during the outage and the
//	             time from the provider's return to the first answer; on SQLite and
//	             PostgreSQL.
//
// The Runner's limiter runs at each share of R that -margin lists, by
// default 1 and 0.99: a limiter at exactly R leaves no slack for the
// jitter between a grant and the request's arrival, and a strict server
// then refuses a request now and then (RESULTS.md measures it). The faults
// experiment's limiter runs at -faults-margin, 0.99, since a refusal of
// the server's own fails it.
//
// PostgreSQL comes from -pg, by default $PRICEFILL_BENCH_DATABASE_URL; each
// ingest, faults, fleet, grant and outage run gets a schema of its own
// there, dropped afterwards. Without a URL the PostgreSQL rows say
// "skipped: no -pg".
//
// The fleet and outage experiments find the module's root with go env
// GOMOD, so run the benchmark from inside the module (go run does).
//
// The program exits 1 when an experiment fails, a property of the faults,
// fleet, pace or outage experiments included, after running the others
// and printing the report. Targets that are measurements (a utilisation,
// a count of refusals) are reported as met or missed, and fail nothing.
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
	"sync"
	"time"

	"github.com/pricefill/pricefill/internal/gcpercent"
)

// experiments are the experiments -run names, in the order they run.
var experiments = []experiment{
	{"utilisation", inProcess(func(c config) utilisationConfig { return c.utilisation }, runUtilisation, writeUtilisation)},
	{"baseline", inProcess(func(c config) baselineConfig { return c.baseline }, runBaseline, ifMeasured(writeBaseline))},
	{"ingest", inProcess(func(c config) ingestConfig { return c.ingest }, runIngest, writeIngest)},
	{"faults", inProcess(func(c config) faultsConfig { return c.faults }, runFaults, writeFaults)},
	{"fleet", ofProgram(func(c config) fleetConfig { return c.fleet }, runFleet, writeFleet)},
	{"pace", ofProgram(func(c config) paceConfig { return c.pace }, runPace, ifMeasured(writePace))},
	{"grant", inProcess(func(c config) grantConfig { return c.grant }, runGrant, writeGrant)},
	{"outage", ofProgram(func(c config) outageConfig { return c.outage }, runOutage, writeOutage)},
}

// experiment is one experiment of the benchmark, by the name -run gives.
type experiment struct {
	name string
	run  experimentFunc
}

// experimentFunc runs an experiment as cfg says, logs its progress to
// stderr and writes its section of the report to rep. build returns
// examples/cli, built once for every experiment that runs it.
type experimentFunc func(ctx context.Context, cfg config, build func() (*program, error), rep, stderr io.Writer) error

// inProcess is an experiment that runs in this process: of picks its
// configuration, run runs it, and write reports its results, whatever
// run's error.
func inProcess[C, R any](of func(config) C, run func(context.Context, C, io.Writer) (R, error), write func(io.Writer, C, R)) experimentFunc {
	return func(ctx context.Context, cfg config, _ func() (*program, error), rep, stderr io.Writer) error {
		c := of(cfg)
		res, err := run(ctx, c, stderr)
		write(rep, c, res)
		return err
	}
}

// ofProgram is an experiment that runs examples/cli: it is built first,
// and the experiment fails without running if the build does.
func ofProgram[C, R any](of func(config) C, run func(context.Context, C, *program, io.Writer) (R, error), write func(io.Writer, C, R)) experimentFunc {
	return func(ctx context.Context, cfg config, build func() (*program, error), rep, stderr io.Writer) error {
		prog, err := build()
		if err != nil {
			return err
		}
		withProg := func(ctx context.Context, c C, stderr io.Writer) (R, error) { return run(ctx, c, prog, stderr) }
		return inProcess(of, withProg, write)(ctx, cfg, build, rep, stderr)
	}
}

// ifMeasured adapts write to an experiment whose result is nil when it
// failed before measuring anything: then it writes nothing.
func ifMeasured[C, R any](write func(io.Writer, C, R)) func(io.Writer, C, *R) {
	return func(w io.Writer, c C, r *R) {
		if r != nil {
			write(w, c, *r)
		}
	}
}

// experimentNames are the names -run accepts, in the order they run.
func experimentNames() []string {
	names := make([]string, len(experiments))
	for i, e := range experiments {
		names[i] = e.name
	}
	return names
}

// config is the whole benchmark's configuration, from the flags.
type config struct {
	run         []string
	utilisation utilisationConfig
	baseline    baselineConfig
	ingest      ingestConfig
	faults      faultsConfig
	fleet       fleetConfig
	pace        paceConfig
	grant       grantConfig
	outage      outageConfig
}

func main() {
	gcpercent.Set() // as examples/cli: its children, and the raw load by SQLite's Go engine
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
	names := experimentNames()
	fs.StringVar(&runList, "run", strings.Join(names, ","), "comma-separated `LIST` of experiments: "+strings.Join(names, ", "))

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
	fs.StringVar(&in.pgURL, "pg", os.Getenv(pgEnv), "ingest, faults, fleet, grant and outage: PostgreSQL `URL` (default $"+pgEnv+"); empty skips PostgreSQL")
	fs.StringVar(&in.profileDir, "memprofile", "", "ingest: write each child's heap profile into `DIR`")
	fs.IntVar(&in.repeat, "ingest-repeat", 1, "ingest: runs of each row, the versions alternating (the report gives the medians)")
	fs.BoolVar(&in.raw, "ingest-raw", true, "ingest: load each child's bars again with psql's \\copy or sqlite3's .import, for the ratio (needs psql and sqlite3)")
	fs.StringVar(&in.before, "ingest-before", "", "ingest: a build of this program from another tree (`PROGRAM`) whose child runs before each of this one's, to compare")

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

	fl := &cfg.fleet
	fs.IntVar(&fl.symbols, "fleet-symbols", 570, "fleet: `N` symbols, the same for every program (570: about a minute at 9.5/s)")
	fs.IntVar(&fl.procs, "fleet-procs", 3, "fleet: `N` programs at once on one database")
	fs.IntVar(&fl.rate, "fleet-rate", 10, "fleet: the server's limit R, requests a second (strict: a refusal starts a cool-down of 1 s)")
	fs.Float64Var(&fl.programRate, "fleet-program-rate", 9.5, "fleet: each program's --rate, the fleet's")
	fs.IntVar(&fl.concurrency, "fleet-concurrency", 4, "fleet: each program's --concurrency")
	fs.DurationVar(&fl.latency, "fleet-latency", 100*time.Millisecond, "fleet: the server's latency L")
	fs.IntVar(&fl.days, "fleet-days", 5, "fleet: the programs' --days (one request a symbol)")

	pa := &cfg.pace
	fs.IntVar(&pa.symbols, "pace-symbols", 480, "pace: `N` symbols (480: about two minutes at 4/s)")
	fs.IntVar(&pa.rate, "pace-rate", 4, "pace: the server's limit R, requests a second (strict: a refusal starts a cool-down of 1 s)")
	fs.Float64Var(&pa.programRate, "pace-program-rate", 10, "pace: the program's --rate, above R")
	fs.IntVar(&pa.concurrency, "pace-concurrency", 4, "pace: the program's --concurrency")
	fs.DurationVar(&pa.latency, "pace-latency", 100*time.Millisecond, "pace: the server's latency L")
	fs.IntVar(&pa.days, "pace-days", 5, "pace: the program's --days (one request a symbol)")
	fs.DurationVar(&pa.warmup, "pace-warmup", 15*time.Second, "pace: the start of the run, judged apart, while the pace finds the limit")

	gr := &cfg.grant
	fs.IntVar(&gr.calls, "grant-calls", 1000, "grant: `N` Allow calls timed, each followed by an Answered call")

	ou := &cfg.outage
	var outageKind string
	fs.IntVar(&ou.symbols, "outage-symbols", 200, "outage: `N` symbols")
	fs.Float64Var(&ou.programRate, "outage-program-rate", 10, "outage: the program's --rate")
	fs.IntVar(&ou.concurrency, "outage-concurrency", 4, "outage: the program's --concurrency")
	fs.DurationVar(&ou.latency, "outage-latency", 100*time.Millisecond, "outage: the server's latency L")
	fs.IntVar(&ou.days, "outage-days", 5, "outage: the program's --days (one request a symbol)")
	fs.Float64Var(&ou.at, "outage-at", 1.0/3, "outage: the share of the symbols' requests the server sees before it goes")
	fs.StringVar(&outageKind, "outage-kind", "refuse", "outage: refuse (connections refused) or unavailable (503 and an HTML page)")
	fs.DurationVar(&ou.duration, "outage-duration", 100*time.Second, "outage: how long the provider is gone")
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
	fa.pgURL, fl.pgURL, gr.pgURL, ou.pgURL = in.pgURL, in.pgURL, in.pgURL, in.pgURL
	if fa.seed == 0 {
		fa.seed = uint64(time.Now().UnixNano())
	}
	kind, ok := outageKinds[outageKind]
	if !ok {
		return cfg, fmt.Errorf("-outage-kind %q: want refuse or unavailable", outageKind)
	}
	ou.kind = kind
	return cfg, errors.Join(u.validate(), b.validate(), in.validate(), fa.validate(), fl.validate(), pa.validate(), gr.validate(), ou.validate())
}

func parseRun(list string) ([]string, error) {
	var out []string
	for name := range strings.SplitSeq(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if names := experimentNames(); !slices.Contains(names, name) {
			return nil, fmt.Errorf("-run: unknown experiment %q (want %s)", name, strings.Join(names, ", "))
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

// runAll runs the experiments of cfg and writes the report. An
// experiment that fails does not stop the others; the error names every
// one that did. The fleet and outage experiments run examples/cli, built
// once, at the first of them.
func runAll(ctx context.Context, cfg config, stdout, stderr io.Writer) error {
	var rep strings.Builder
	writeHeader(&rep, cfg)
	binDir, cleanup, err := workDir("")
	if err != nil {
		return err
	}
	defer cleanup()
	build := sync.OnceValues(func() (*program, error) {
		t0 := time.Now()
		p, err := buildProgram(ctx, binDir, false)
		if err == nil {
			fmt.Fprintf(stderr, "bench: built examples/cli in %.1f s\n", time.Since(t0).Seconds())
		}
		return p, err
	})
	var failed []error
	var took []string
	for _, e := range experiments {
		name := e.name
		if !slices.Contains(cfg.run, name) {
			continue
		}
		if ctx.Err() != nil {
			failed = append(failed, fmt.Errorf("%s: not run: %w", name, ctx.Err()))
			continue
		}
		fmt.Fprintf(stderr, "bench: %s…\n", name)
		t0 := time.Now()
		err := e.run(ctx, cfg, build, &rep, stderr)
		d := time.Since(t0).Round(100 * time.Millisecond)
		took = append(took, fmt.Sprintf("%s %s", name, d))
		fmt.Fprintf(stderr, "bench: %s took %s\n", name, d)
		if err != nil {
			fmt.Fprintf(&rep, "**%s failed**: %s\n\n", name, oneLine(err))
			failed = append(failed, fmt.Errorf("%s: %w", name, err))
		}
	}
	fmt.Fprintf(&rep, "Time taken: %s.\n", strings.Join(took, "; "))
	fmt.Fprintf(&rep, "Load average at the end: %s.\n", loadAverage())
	if _, err := io.WriteString(stdout, rep.String()); err != nil {
		failed = append(failed, err)
	}
	return errors.Join(failed...)
}

// oneLine puts an error on one line: joined errors go on with "; ".
func oneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}
