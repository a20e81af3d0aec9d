package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/internal/pgtest"
	"github.com/pricefill/pricefill/internal/testmain"
	"github.com/pricefill/pricefill/internal/upstream"
	"github.com/pricefill/pricefill/queue"
	"github.com/pricefill/pricefill/ratelimit"
)

// TestMain runs the ingest child when the tests re-execute their own
// binary as one (runIngest does), and otherwise the tests, with the
// goroutine leak check.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == childCommand {
		os.Exit(childMain(os.Args[2:], os.Stdout, os.Stderr))
	}
	pgtest.MainWith(m, testmain.WithCleanup(removeProgram))
}

var (
	programDir  string
	testProgram = sync.OnceValues(func() (*program, error) {
		dir, err := os.MkdirTemp("", "pricefill-bench-test-")
		if err != nil {
			return nil, err
		}
		programDir = dir
		return buildProgram(context.Background(), dir, raceEnabled)
	})
)

// builtProgram returns examples/cli, built once per test binary (with
// -race when the tests have it).
func builtProgram(t *testing.T) *program {
	t.Helper()
	p, err := testProgram()
	if err != nil {
		t.Fatalf("building the program: %v", err)
	}
	return p
}

func removeProgram() {
	if programDir != "" {
		os.RemoveAll(programDir)
	}
}

// testPG returns a PostgreSQL URL of a schema of the test's own when a
// server is at hand (cheap), and "" otherwise: the experiment skips
// PostgreSQL.
func testPG(t *testing.T) string {
	t.Helper()
	if os.Getenv(pgtest.EnvURL) == "" {
		return ""
	}
	return pgtest.DSN(t)
}

// wasSkipped reports whether the run of dialect, named name in messages,
// was skipped for why, and fails the test unless it was PostgreSQL with
// no URL given (pgURL "").
func wasSkipped(t *testing.T, name, dialect, why, pgURL string) bool {
	t.Helper()
	if why == "" {
		return false
	}
	if dialect != "postgres" || pgURL != "" {
		t.Errorf("%s: %s", name, why)
	}
	return true
}

// onePerDatabase stops the test unless an experiment gave n results, one
// per database.
func onePerDatabase(t *testing.T, n int) {
	t.Helper()
	if n != 2 {
		t.Fatalf("%d results, want one per database (2)", n)
	}
}

// report returns the report write writes, and stops the test with it if
// the experiment's err is not nil.
func report(t *testing.T, err error, write func(w io.Writer)) *strings.Builder {
	t.Helper()
	var b strings.Builder
	write(&b)
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	return &b
}

// reportHas fails the test for each of wants the report lacks.
func reportHas(t *testing.T, report string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(report, want) {
			t.Errorf("the report lacks %q:\n%s", want, report)
		}
	}
}

// The experiments run one after the other, not in parallel: the
// utilisation and baseline runs keep to a rate limit by the wall clock.

func TestSmokeUtilisation(t *testing.T) {
	c := utilisationConfig{symbols: 12, rate: 40, latency: 10 * time.Millisecond, days: 2,
		concurrency: []int{1, 4}, margins: []float64{0.9}, dir: t.TempDir()}
	res, err := runUtilisation(context.Background(), c, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 {
		t.Fatalf("%d results, want one per concurrency (2)", len(res))
	}
	for _, r := range res {
		_, days := shortRange(c.days)
		if r.bars != int64(days*c.symbols) || r.bars != r.wantBars {
			t.Errorf("concurrency %d: %d bars stored, want %d", r.concurrency, r.bars, days*c.symbols)
		}
		if r.requests != c.symbols+r.rateLimited || r.other != 0 {
			t.Errorf("concurrency %d: %d requests, %d refused for the limit, %d other faults; want one a symbol plus one per refusal, no other fault",
				r.concurrency, r.requests, r.rateLimited, r.other)
		}
		if u := r.perSecond() / float64(c.rate); !(u > 0 && u <= 1.05) {
			t.Errorf("concurrency %d: utilisation %v, want in (0, 1.05]", r.concurrency, u)
		}
		if r.peak < 1 || r.peak > c.rate+r.rateLimited {
			t.Errorf("concurrency %d: at most %d requests within a second at the server, want 1 to %d", r.concurrency, r.peak, c.rate+r.rateLimited)
		}
	}
	var b strings.Builder
	writeUtilisation(&b, c, res)
	reportHas(t, b.String(), "## 1. Limit utilisation", "| 1 | ", "| 4 | ", "Target ≥ 0.95")
}

func TestSmokeBaseline(t *testing.T) {
	c := baselineConfig{symbols: 4, rate: 20, latency: 5 * time.Millisecond, days: 3,
		concurrency: 2, margins: []float64{0.9}, dir: t.TempDir()}
	res, err := runBaseline(context.Background(), c, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	_, days := shortRange(c.days)
	if len(res.runners) != 1 {
		t.Fatalf("%d Runner runs, want one per margin (1)", len(res.runners))
	}
	for name, r := range map[string]baselineRun{"script": res.script, "Runner": res.runners[0]} {
		if r.bars != int64(days*c.symbols) {
			t.Errorf("%s: %d bars stored, want %d", name, r.bars, days*c.symbols)
		}
		if r.requests != c.symbols+r.rateLimited || r.wall <= 0 {
			t.Errorf("%s: %d requests (%d refused), wall time %s; want one a symbol plus one per refusal, a positive time", name, r.requests, r.rateLimited, r.wall)
		}
	}
	// The script sleeps 1/R before each symbol.
	if min := time.Duration(c.symbols) * time.Second / time.Duration(c.rate); res.sleeping < min {
		t.Errorf("the script slept %s, want at least %s", res.sleeping, min)
	}
	var b strings.Builder
	writeBaseline(&b, c, *res)
	if !strings.Contains(b.String(), "| Runner, limiter at 0.9 × R |") {
		t.Errorf("the report lacks the speed-up:\n%s", b.String())
	}
}

func TestSmokeIngest(t *testing.T) {
	c := ingestConfig{symbols: []int{3, 6}, years: 1, concurrency: 2, dir: t.TempDir()}
	c.pgURL = testPG(t)
	res, err := runIngest(context.Background(), c, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 4 {
		t.Fatalf("%d results, want 4 (two databases, two sizes)", len(res))
	}
	for _, r := range res {
		if wasSkipped(t, fmt.Sprintf("%s, %d symbols", r.dialect, r.symbols), r.dialect, r.skipped, c.pgURL) {
			continue
		}
		want := wantBars(benchSymbols(r.symbols), ingestRange(c.years))
		if r.child.Inserted != want || r.child.Stored != want || want < int64(250*r.symbols) {
			t.Errorf("%s, %d symbols: %d bars inserted, %d stored, want %d (about 252 a symbol)", r.dialect, r.symbols, r.child.Inserted, r.child.Stored, want)
		}
		if r.maxRSS < 1<<20 || r.maxRSS > 1<<30 {
			t.Errorf("%s, %d symbols: peak RSS %d bytes, want between 1 MiB and 1 GiB", r.dialect, r.symbols, r.maxRSS)
		}
		if r.child.Seconds <= 0 || r.child.PeakHeap == 0 {
			t.Errorf("%s, %d symbols: %v s, peak heap %d; want both positive", r.dialect, r.symbols, r.child.Seconds, r.child.PeakHeap)
		}
	}
	var b strings.Builder
	writeIngest(&b, c, res)
	if !strings.Contains(b.String(), "| sqlite | 6 |") {
		t.Errorf("the report lacks the SQLite row of 6 symbols:\n%s", b.String())
	}
}

// TestSmokeFaults runs the faults experiment at a tiny size: every
// property holds, the report says so, and the checks catch a bar lost from
// the real run's outcome.
func TestSmokeFaults(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("-faults-seed %d", seed)
	c := faultsConfig{symbols: 12, unknown: 2, days: 30, rate: 50, margin: 0.99, latency: 5 * time.Millisecond,
		concurrency: 8, faultRate: 0.2, seed: seed, dir: t.TempDir()}
	if err := c.validate(); err != nil {
		t.Fatal(err)
	}
	c.pgURL = testPG(t)
	res, err := runFaults(context.Background(), c, io.Discard)
	b := report(t, err, func(w io.Writer) { writeFaults(w, c, res) })
	onePerDatabase(t, len(res))
	for _, r := range res {
		if wasSkipped(t, r.dialect, r.dialect, r.skipped, c.pgURL) {
			continue
		}
		if !r.held() || len(r.checks) != 7 {
			t.Errorf("%s: %d properties checked, every one held: %v; want 7, true\n%s", r.dialect, len(r.checks), r.held(), b.String())
		}
		o := r.outcome
		if r.succeeded != c.symbols || r.failed != c.unknown || o.server.requests < c.symbols+c.unknown+8 || r.wall <= 0 {
			t.Errorf("%s: %d succeeded, %d failed, %d requests in %s; want %d, %d, at least one a symbol plus the 8 pushed faults, a positive time",
				r.dialect, r.succeeded, r.failed, o.server.requests, r.wall, c.symbols, c.unknown)
		}
		if o.wantTotal() < 10*c.symbols || o.storedTotal() != o.wantTotal() {
			t.Errorf("%s: %d bars stored, %d expected; want equal, about 20 a symbol", r.dialect, o.storedTotal(), o.wantTotal())
		}
		// The checks see through the real run's outcome: one bar lost is
		// caught.
		sym := o.known[0]
		o.stored = maps.Clone(o.stored)
		o.stored[sym] = o.stored[sym][1:]
		if checkFaults(o)[0].ok {
			t.Errorf("%s: %s lost a bar of %s, and the check says it held", r.dialect, targetBarsOnce, sym)
		}
	}
	reportHas(t, b.String(), "## 4. Mixed faults", "| sqlite | 12 + 2 |", "Target "+targetBarsOnce+": sqlite: met",
		"Target "+targetNotLimited+": sqlite: met", "-faults-seed "+strconv.FormatUint(seed, 10))
}

// TestSmokeFleet runs three programs on one database at a tiny size:
// each exits 0, every symbol is completed once, every bar stored once,
// and the report has its rows and targets.
func TestSmokeFleet(t *testing.T) {
	c := fleetConfig{symbols: 12, procs: 3, rate: 40, programRate: 30, concurrency: 2, latency: 5 * time.Millisecond, days: 5, dir: t.TempDir()}
	if err := c.validate(); err != nil {
		t.Fatal(err)
	}
	c.pgURL = testPG(t)
	res, err := runFleet(context.Background(), c, builtProgram(t), io.Discard)
	b := report(t, err, func(w io.Writer) { writeFleet(w, c, res) })
	onePerDatabase(t, len(res))
	for _, r := range res {
		if wasSkipped(t, r.dialect, r.dialect, r.skipped, c.pgURL) {
			continue
		}
		succeeded := 0
		for i, e := range r.exits {
			if e.code != 0 || !e.hasReport {
				t.Errorf("%s: program %d exited %d, wrote a report: %v; want 0, true:\n%s", r.dialect, i+1, e.code, e.hasReport, e.output)
			}
			succeeded += e.report.Succeeded
		}
		if len(r.exits) != c.procs || succeeded != c.symbols || !r.once.ok || !r.bars.ok {
			t.Errorf("%s: %d programs, %d symbols succeeded, completed once: %v, bars once: %v; want %d, %d, true, true",
				r.dialect, len(r.exits), succeeded, r.once.ok, r.bars.ok, c.procs, c.symbols)
		}
		if r.server.requests != c.symbols+r.refusals || r.answered != c.symbols || r.span <= 0 || r.peak < 1 {
			t.Errorf("%s: %d requests, %d refused, %d answered, first→last %s, peak %d; want one a symbol plus one per refusal, one answer a symbol, a positive span and peak",
				r.dialect, r.server.requests, r.refusals, r.answered, r.span, r.peak)
		}
	}
	reportHas(t, b.String(), "## 5. A fleet on one budget", "| sqlite | ", "Target at most R = 40 requests within any second at the server: sqlite ",
		"Target at most 2 refusals: sqlite", "Target utilisation ≥ 0.9 of 30/s: sqlite")
}

// TestSmokePace runs one program above a strict server's limit at a tiny
// size: it completes every symbol, and the report counts every request.
func TestSmokePace(t *testing.T) {
	c := paceConfig{symbols: 15, rate: 10, programRate: 20, concurrency: 2, latency: 5 * time.Millisecond, days: 5,
		warmup: 500 * time.Millisecond, dir: t.TempDir()}
	if err := c.validate(); err != nil {
		t.Fatal(err)
	}
	r, err := runPace(context.Background(), c, builtProgram(t), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	writePace(&b, c, *r)
	all := r.early.requests + r.late.requests
	if r.exit.code != 0 || all != r.server.requests || all != c.symbols+r.early.refusals+r.late.refusals {
		t.Errorf("exit %d, %d requests counted, %d at the server (%d refused); want 0, one a symbol plus one per refusal", r.exit.code, all, r.server.requests, r.early.refusals+r.late.refusals)
	}
	if s := r.share(c.rate); !(s > 0 && s <= 1.1) {
		t.Errorf("share of R %v, want in (0, 1.1]", s)
	}
	reportHas(t, b.String(), "## 6. The adaptive pace", "| whole run | ", "| after the first 500ms | ", "Target ≥ 0.8 of the server's limit: whole run ",
		"Target at most 6 refusals after the first 500ms: ")
}

// TestSmokeGrant times a few grants and answers on each database.
func TestSmokeGrant(t *testing.T) {
	c := grantConfig{calls: 20, dir: t.TempDir()}
	c.pgURL = testPG(t)
	res, err := runGrant(context.Background(), c, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	onePerDatabase(t, len(res))
	for _, r := range res {
		if wasSkipped(t, r.dialect, r.dialect, r.skipped, c.pgURL) {
			continue
		}
		for name, l := range map[string]latencies{"Allow": r.allow, "Answered": r.answered} {
			if l.n != c.calls || l.mean <= 0 || l.median <= 0 || l.p99 < l.median || l.most < l.p99 {
				t.Errorf("%s %s: %+v; want %d calls, 0 < median ≤ p99 ≤ max, a positive mean", r.dialect, name, l, c.calls)
			}
		}
	}
	var b strings.Builder
	writeGrant(&b, c, res)
	reportHas(t, b.String(), "## 7. The cost of a grant", "| sqlite | Allow (a grant) | 20 | ", "| sqlite | Answered | 20 | ", "| sqlite | a request's two |")
}

// TestSmokeOutage takes the provider away for half a second in the middle
// of a tiny run, on SQLite only: the program's first probe comes 5 s
// after its breaker opened (the default, which the experiment measures),
// so the test takes about that long, once.
func TestSmokeOutage(t *testing.T) {
	c := outageConfig{symbols: 12, programRate: 40, concurrency: 2, latency: 5 * time.Millisecond, days: 5,
		at: 1.0 / 3, kind: upstream.Refuse, duration: 500 * time.Millisecond, dir: t.TempDir()}
	if err := c.validate(); err != nil {
		t.Fatal(err)
	}
	res, err := runOutage(context.Background(), c, builtProgram(t), io.Discard)
	b := report(t, err, func(w io.Writer) { writeOutage(w, c, res) })
	if len(res) != 2 || res[0].skipped != "" || res[1].skipped == "" {
		t.Fatalf("%d results, want SQLite's run and PostgreSQL skipped", len(res))
	}
	r := res[0]
	if r.before != c.after() || !r.recovered || r.recovery > ratelimit.ProbeInitialDefault+time.Second || r.went <= 0 || r.back <= r.went {
		t.Errorf("%d requests before the outage, from %s to %s; recovered: %v, after %s; want %d, a recovery within the first probe, %s",
			r.before, r.went, r.back, r.recovered, r.recovery, c.after(), ratelimit.ProbeInitialDefault)
	}
	if r.exit.report.Requests < c.symbols || r.exit.report.Requests != r.before+r.during+r.after+r.unseen() {
		t.Errorf("the report counts %d requests, the server %d / %d / %d; want at least one a symbol", r.exit.report.Requests, r.before, r.during, r.after)
	}
	reportHas(t, b.String(), "## 8. A provider's outage", "| sqlite | **0** | ", "sqlite: exit 0, met; 0 failed, met; greatest attempts ")
}

func TestSummarise(t *testing.T) {
	t.Parallel()
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	want := latencies{n: 100, mean: 50500 * time.Microsecond, median: 50 * time.Millisecond, p99: 99 * time.Millisecond, most: 100 * time.Millisecond}
	if got := summarise(ds); got != want {
		t.Errorf("summarise(1…100 ms) = %+v, want %+v", got, want)
	}
	if got := summarise(ds[:1]); got.median != 100*time.Millisecond || got.p99 != 100*time.Millisecond {
		t.Errorf("summarise of one call = %+v, want every figure that call's", got)
	}
}

func TestProbeAfter(t *testing.T) {
	t.Parallel()
	// Probes at 5, 15, 35, 75, 135, 195… s after the breaker opened.
	for _, tc := range []struct{ outage, want time.Duration }{
		{time.Second, 4 * time.Second},
		{5 * time.Second, 10 * time.Second},
		{100 * time.Second, 35 * time.Second},
		{140 * time.Second, 55 * time.Second},
	} {
		if got := probeAfter(tc.outage); got != tc.want {
			t.Errorf("probeAfter(%s) = %s, want %s", tc.outage, got, tc.want)
		}
	}
}

func TestModuleRoot(t *testing.T) {
	t.Parallel()
	root, err := moduleRoot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "examples", "cli", "main.go")); err != nil {
		t.Errorf("moduleRoot = %s, which holds no examples/cli: %v", root, err)
	}
}

// TestCheckFaults shows that the checks of the faults experiment can
// fail: each case breaks one property of an outcome in which every one
// holds.
func TestCheckFaults(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		breaks func(o *faultsOutcome)
		target string // the property missed; "" when every one holds
	}{
		{"every property held", func(*faultsOutcome) {}, ""},
		{"a session closed during the run", func(o *faultsOutcome) {
			o.before["AAA"] = o.before["AAA"][:1] // the last day was not over at the start
		}, ""},
		{"a bar stored twice", func(o *faultsOutcome) {
			o.stored["AAA"] = append(o.stored["AAA"], o.stored["AAA"][1])
		}, targetBarsOnce},
		{"a bar inserted twice", func(o *faultsOutcome) {
			o.tasks["AAA"] = taskRow{Status: queue.Completed, Inserted: 3}
			o.reportInserted++
		}, targetBarsOnce},
		{"a bar missing", func(o *faultsOutcome) {
			o.stored["BBB"] = o.stored["BBB"][1:]
		}, targetBarsOnce},
		{"a bar changed", func(o *faultsOutcome) {
			o.stored["BBB"][0].Close += 0.01
		}, targetBarsOnce},
		{"a bar from elsewhere", func(o *faultsOutcome) {
			o.stored["BBB"][0].Source = "synthetic"
		}, targetBarsOnce},
		{"the report's count wrong", func(o *faultsOutcome) {
			o.reportInserted--
		}, targetBarsOnce},
		{"an invalid bar stored", func(o *faultsOutcome) {
			o.broken["AAA"][day(o.stored["AAA"][0].Date)] = true
		}, targetNoBad},
		{"a null day stored", func(o *faultsOutcome) {
			delete(o.served["AAA"], day(o.stored["AAA"][1].Date))
		}, targetNoBad},
		{"an unknown symbol retried", func(o *faultsOutcome) {
			o.tasks["ZZZ"] = taskRow{Status: queue.PermanentlyFailed, Attempts: 1}
			o.asked["ZZZ"] = 2
		}, targetUnknown},
		{"an unknown symbol left failed", func(o *faultsOutcome) {
			o.tasks["ZZZ"] = taskRow{Status: queue.Failed}
		}, targetUnknown},
		{"a task left failed", func(o *faultsOutcome) {
			o.tasks["BBB"] = taskRow{Status: queue.Failed, Attempts: 1}
		}, targetCompleted},
		{"a task missing", func(o *faultsOutcome) {
			delete(o.tasks, "BBB")
		}, targetCompleted},
		{"the run hit its deadline", func(o *faultsOutcome) {
			o.deadline = time.Minute
		}, targetCompleted},
		{"the server refused a request of its own", func(o *faultsOutcome) {
			o.server.limited = 1
		}, targetNotLimited},
		{"more than R in a second", func(o *faultsOutcome) {
			o.peak = o.rate + 1
		}, targetPeak},
		{"a kind of fault never served", func(o *faultsOutcome) {
			delete(o.server.byFault, upstream.Truncate)
		}, targetFaults},
		{"no null day sent", func(o *faultsOutcome) {
			o.nullsSent = 0
		}, targetFaults},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := passingOutcome()
			tc.breaks(&o)
			r := faultsResult{dialect: "sqlite", checks: checkFaults(o), outcome: o}
			for _, c := range r.checks {
				if c.target == tc.target && c.ok {
					t.Errorf("%s: held, want missed", c.target)
				}
				if tc.target == "" && !c.ok {
					t.Errorf("%s: missed (%s), want held", c.target, c.detail)
				}
			}
			var b strings.Builder
			writeFaults(&b, faultsConfig{symbols: 2, unknown: 1, rate: o.rate, margin: 0.99, concurrency: 8, latency: time.Millisecond}, []faultsResult{r})
			missed := strings.Contains(b.String(), "Target "+tc.target+": sqlite: **missed** (")
			if tc.target == "" {
				if r.err() != nil || !r.held() || strings.Contains(b.String(), "missed") {
					t.Errorf("every property held, but err() = %v, held() = %v, or the report says missed:\n%s", r.err(), r.held(), b.String())
				}
			} else if r.err() == nil || r.held() || !missed {
				t.Errorf("err() = %v, held() = %v, the report says missed: %v; want an error, false, true:\n%s", r.err(), r.held(), missed, b.String())
			}
		})
	}
}

// passingOutcome is the outcome of a small run in which every property
// holds: two known symbols with three days served each, one of them
// invalid and one null day; one unknown symbol.
func passingOutcome() faultsOutcome {
	o := faultsOutcome{
		rate: 10, known: []string{"AAA", "BBB"}, unknown: []string{"ZZZ"},
		before: map[string][]pricefill.Bar{}, after: map[string][]pricefill.Bar{}, stored: map[string][]pricefill.Bar{},
		served: map[string]map[string]bool{}, broken: map[string]map[string]bool{},
		nullsSent: 1, brokenSent: 2,
		tasks:          map[string]taskRow{"ZZZ": {Status: queue.PermanentlyFailed}},
		asked:          map[string]int{"ZZZ": 1},
		reportInserted: 4,
		server:         serverCounts{requests: 20, byFault: map[upstream.FaultKind]int{upstream.None: 3, upstream.NotFound: 1}},
		peak:           10,
	}
	for _, k := range upstream.EveryKind() {
		o.server.byFault[k]++
	}
	for i, s := range o.known {
		var valid, stored []pricefill.Bar
		o.served[s], o.broken[s] = map[string]bool{}, map[string]bool{}
		for d := 2; d <= 4; d++ {
			b := pricefill.Bar{Symbol: s, Date: pricefill.Date(2025, 6, d), Open: 10, High: 12, Low: 9, Close: float64(10 + i + d), Volume: 1000}
			o.served[s][day(b.Date)] = true
			if d == 4 { // sent broken, rejected
				o.broken[s][day(b.Date)] = true
				continue
			}
			valid = append(valid, b)
			b.Source = "yahoo"
			stored = append(stored, b)
		}
		o.before[s], o.after[s], o.stored[s] = valid, slices.Clone(valid), stored
		o.tasks[s] = taskRow{Status: queue.Completed, Inserted: int64(len(valid))}
	}
	o.stored["ZZZ"] = nil
	return o
}

func TestFlags(t *testing.T) {
	t.Parallel()
	cfg, err := parseFlags([]string{"-run", "ingest,utilisation", "-concurrency", "2,3", "-ingest-symbols", "7"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(cfg.run, ",") != "ingest,utilisation" || len(cfg.utilisation.concurrency) != 2 || cfg.ingest.symbols[0] != 7 {
		t.Errorf("parsed %+v", cfg)
	}
	if cfg.faults.seed == 0 || cfg.faults.symbols != 400 || cfg.faults.margin != 0.99 {
		t.Errorf("faults: seed %d, %d symbols, margin %g; want a seed picked, 400, 0.99", cfg.faults.seed, cfg.faults.symbols, cfg.faults.margin)
	}
	if f, p, o := cfg.fleet, cfg.pace, cfg.outage; f.symbols != 570 || f.procs != 3 || f.rate != 10 || f.programRate != 9.5 ||
		p.rate != 4 || p.programRate != 10 || p.warmup != 15*time.Second || cfg.grant.calls != 1000 ||
		o.symbols != 200 || o.kind != upstream.Refuse || o.duration != 100*time.Second || o.after() != 67 {
		t.Errorf("fleet %+v, pace %+v, grant %+v, outage %+v: not the brief's defaults", f, p, cfg.grant, o)
	}
	cfg, err = parseFlags([]string{"-run", "faults,outage", "-faults-seed", "42", "-pg", "postgres://x", "-outage-kind", "unavailable"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.faults.seed != 42 || cfg.faults.pgURL != "postgres://x" || cfg.fleet.pgURL != "postgres://x" || cfg.grant.pgURL != "postgres://x" ||
		cfg.outage.pgURL != "postgres://x" || cfg.outage.kind != upstream.Unavailable {
		t.Errorf("seed %d, -pg %q (faults), %q (fleet), %q (grant), %q (outage), outage %s; want 42, postgres://x everywhere, unavailable",
			cfg.faults.seed, cfg.faults.pgURL, cfg.fleet.pgURL, cfg.grant.pgURL, cfg.outage.pgURL, cfg.outage.kind)
	}
	for _, args := range [][]string{
		{"-run", "bogus"},
		{"-concurrency", "0"},
		{"-margin", "1.5"},
		{"-ingest-symbols", "x"},
		{"-pg", "mysql://x"},
		{"-faults-symbols", "8"},
		{"-faults-unknown", "0"},
		{"-faults-margin", "0"},
		{"-faults-random", "0.9"},
		{"-faults-latency", "1s"}, // 8 workers at 1 s cannot outrun R = 20
		{"-fleet-procs", "0"},
		{"-fleet-program-rate", "0"},
		{"-pace-program-rate", "4"}, // not above R
		{"-grant-calls", "0"},
		{"-grant-calls", "2001"}, // beyond the hourly limit: a call would not grant
		{"-outage-at", "1"},
		{"-outage-kind", "bogus"},
		{"-outage-duration", "0s"},
		{"extra"},
	} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("parseFlags(%q) = nil error, want one", args)
		}
	}
}

func TestSkippedRow(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	skippedRow(&b, 8, "postgres", "skipped: no -pg")
	if got, want := b.String(), "| postgres | skipped: no -pg | | | | | | |\n"; got != want {
		t.Errorf("skippedRow = %q, want %q", got, want)
	}
}
