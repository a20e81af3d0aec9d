package e2e

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	_ "github.com/lib/pq"  // the "postgres" driver, for reading the tables directly
	_ "modernc.org/sqlite" // the "sqlite" driver, for reading the tables directly

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/internal/pgtest"
	"github.com/pricefill/pricefill/internal/testmain"
	"github.com/pricefill/pricefill/internal/upstream"
	"github.com/pricefill/pricefill/queue"
	"github.com/pricefill/pricefill/store"
	"github.com/pricefill/pricefill/validate/calendar"
)

// killChecks is the number of rapid checks of TestKillAndResume's
// property, on CI too: each check starts the program twice and takes a
// second or two, so testmain's CI count of 1,000 would take half an hour.
const killChecks = 6

func TestMain(m *testing.M) {
	pgtest.MainWith(m, testmain.WithRapidChecks(killChecks), testmain.WithCleanup(removeCLI))
}

var seedFlag = flag.Uint64("e2e.seed", 0, "the seed of TestMixedFaults' random faults; 0 picks one (and logs it)")

// tb is what the checks need of a test: a *testing.T or a *rapid.T.
type tb interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// dialects are the databases a test runs on: a new SQLite file or a new
// PostgreSQL schema.
var dialects = []struct {
	name string
	dsn  func(t *testing.T) string
}{
	{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "prices.db") }},
	{"postgres", func(t *testing.T) string { return pgtest.DSN(t) }},
}

// forEachDialect runs fn as a parallel subtest of t on a new database of
// each dialect, whose DSN it gets.
func forEachDialect(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Helper()
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			fn(t, d.dsn(t))
		})
	}
}

// symbols returns n symbols: prefix000, prefix001…
func symbols(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%03d", prefix, i)
	}
	return out
}

// runRange is the range of a run of days calendar days, as the program
// computes it at now.
func runRange(now time.Time, days int) pricefill.Range {
	return pricefill.LastDays(now.In(calendar.NYSE.Location()), days)
}

// expected is what a run should store for each symbol. A run that spans
// the close of a session may or may not have that day, depending on when
// each symbol was fetched, so each symbol may match either of two lists:
// the bars expected at the run's start, or at its end.
type expected struct {
	before, after map[string][]pricefill.Bar
}

func expect(srv *upstream.Server, syms []string, r pricefill.Range, start, end time.Time) expected {
	e := expected{before: map[string][]pricefill.Bar{}, after: map[string][]pricefill.Bar{}}
	for _, s := range syms {
		e.before[s] = srv.ValidBars(s, r, start)
		e.after[s] = srv.ValidBars(s, r, end)
	}
	return e
}

// sizes returns the number of bars expected for symbol: one number, or two
// when a session closed during the run.
func (e expected) sizes(symbol string) []int {
	a, b := len(e.before[symbol]), len(e.after[symbol])
	if a == b {
		return []int{a}
	}
	return []int{a, b}
}

// check compares the bars stored for symbol with the expected ones and
// returns how many there are.
func (e expected) check(t tb, symbol string, stored []pricefill.Bar) int {
	t.Helper()
	want := e.after[symbol]
	if cmp.Equal(e.before[symbol], stored) {
		want = e.before[symbol]
	}
	if diff := cmp.Diff(want, stored); diff != "" {
		t.Errorf("%s: stored bars differ from the valid bars served (-served +stored):\n%s", symbol, diff)
	}
	return len(want)
}

// storedBars returns every stored bar of symbol, with the source checked
// and cleared (the server's bars carry none).
func storedBars(t tb, db *store.DB, symbol string) []pricefill.Bar {
	t.Helper()
	bars, err := db.Bars(context.Background(), symbol, pricefill.Range{From: pricefill.Date(1900, 1, 1), To: pricefill.Date(2200, 1, 1)})
	if err != nil {
		t.Fatalf("reading the bars of %s: %v", symbol, err)
	}
	for i := range bars {
		if bars[i].Source != "yahoo" {
			t.Errorf("%s %s: source %q, want yahoo", symbol, bars[i].Date.Format(pricefill.DateLayout), bars[i].Source)
		}
		bars[i].Source = ""
	}
	return bars
}

// openStore opens the database dsn, closed when t ends (t is a
// *testing.T or a *rapid.T).
func openStore(t interface {
	tb
	Cleanup(func())
}, dsn string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// A taskRow is a task as the database holds it, with the number of bars
// stored for its symbol.
type taskRow struct {
	Status   queue.Status
	Attempts int
	Inserted int64
	Bars     int
}

// snapshotSQL reads every task with its symbol's number of stored bars in
// one statement: one consistent view, even while a run writes.
const snapshotSQL = `SELECT q.symbol, q.status, q.attempts, q.records_inserted,
	(SELECT count(*) FROM prices p WHERE p.asset_id = q.asset_id)
	FROM backfill_queue q`

// openOwn opens the database dsn (an SQLite path or a PostgreSQL URL) on
// a pool of the caller's own, not the program's. On SQLite its reads wait
// up to 10 s for a program that holds the write lock (a migration, a
// checkpoint) instead of failing with SQLITE_BUSY.
func openOwn(dsn string) (*sql.DB, error) {
	if strings.HasPrefix(dsn, "postgres://") {
		return sql.Open("postgres", dsn)
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return sql.Open("sqlite", dsn+sep+"_pragma=busy_timeout(10000)")
}

// snapshot returns the tasks of the database dsn (an SQLite path or a
// PostgreSQL URL) by symbol, read on a connection of its own, not the
// store's. A database without the queue's table (a program killed before
// its migration committed) has no tasks.
func snapshot(ctx context.Context, dsn string) (map[string]taskRow, error) {
	exists := `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'backfill_queue'`
	if strings.HasPrefix(dsn, "postgres://") {
		exists = `SELECT count(*) FROM pg_tables WHERE tablename = 'backfill_queue' AND schemaname = current_schema()`
	}
	db, err := openOwn(dsn)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(ctx, exists).Scan(&n); err != nil {
		return nil, err
	}
	out := map[string]taskRow{}
	if n == 0 {
		return out, nil
	}
	rows, err := db.QueryContext(ctx, snapshotSQL)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			sym string
			r   taskRow
		)
		if err := rows.Scan(&sym, &r.Status, &r.Attempts, &r.Inserted, &r.Bars); err != nil {
			return nil, err
		}
		out[sym] = r
	}
	return out, rows.Err()
}

func mustSnapshot(t tb, dsn string) map[string]taskRow {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := snapshot(ctx, dsn)
	if err != nil {
		t.Fatalf("reading the queue: %v", err)
	}
	return s
}

// checkAllOrNothing checks that each task's symbol has all its expected
// bars or none, and all exactly when the task is completed: a task is
// completed in the transaction that stores its bars.
func checkAllOrNothing(t tb, tasks map[string]taskRow, e expected) {
	t.Helper()
	for sym, r := range tasks {
		sizes := e.sizes(sym)
		full := false
		for _, n := range sizes {
			full = full || r.Bars == n
		}
		switch {
		case r.Bars != 0 && !full:
			t.Errorf("%s: %d bars stored, want none or all %v: half-written", sym, r.Bars, sizes)
		case r.Status == queue.Completed && !full:
			t.Errorf("%s: completed with %d bars stored, want %v", sym, r.Bars, sizes)
		case r.Status != queue.Completed && r.Bars != 0:
			t.Errorf("%s: %d bars stored but the task is %s: the bars and the completion are one transaction", sym, r.Bars, r.Status)
		}
	}
}

// testLogger logs the run into the test's output, shown when the test
// fails or with -v.
func testLogger(t *testing.T, h func(slog.Handler) slog.Handler) *slog.Logger {
	var base slog.Handler = slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo})
	if h != nil {
		base = h(base)
	}
	return slog.New(base)
}

// ---- the example program ----

var (
	cliDir  string
	cliOnce = sync.OnceValues(buildCLI)
)

// buildCLI builds examples/cli once per test binary. It builds with -race
// when the test binary has it, so the build reuses the packages compiled
// for the tests and only compiles and links the program itself; the race
// detector then watches the program too.
func buildCLI() (string, error) {
	dir, err := os.MkdirTemp("", "pricefill-e2e-")
	if err != nil {
		return "", err
	}
	cliDir = dir
	bin := filepath.Join(dir, "pricefill")
	args := []string{"build", "-tags", "pricefill_e2e", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, "./examples/cli")...)
	cmd.Dir = filepath.Join("..", "..") // the module's root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go %s: %v\n%s", strings.Join(cmd.Args[1:], " "), err, out)
	}
	return bin, nil
}

func removeCLI() {
	if cliDir != "" {
		os.RemoveAll(cliDir)
	}
}

// cliCommand returns the program with args, its environment cleared of
// DATABASE_URL and API keys, and the buffer that collects its output (to
// show when a test fails). The program is killed when ctx ends, so that a
// program that hangs fails its test rather than the whole binary.
func cliCommand(t tb, ctx context.Context, args ...string) (*exec.Cmd, *strings.Builder) {
	t.Helper()
	bin, err := cliOnce()
	if err != nil {
		t.Fatalf("building the program: %v", err)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DATABASE_URL=") && !strings.HasPrefix(kv, "STOOQ_API_KEY=") && !strings.HasPrefix(kv, "ALPHAVANTAGE_API_KEY=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if raceEnabled {
		// A program built with -race sleeps a second at exit by default
		// (ThreadSanitizer's atexit_sleep_ms): seconds per test, for nothing.
		cmd.Env = append(cmd.Env, "GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 5 * time.Second
	return cmd, &out
}

// exitCode returns the exit status of a finished command, -1 when a
// signal ended it.
func exitCode(t tb, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	t.Fatalf("running the program: %v", err)
	return 0
}

// fetches counts the data requests the server recorded for each symbol.
func fetches(srv *upstream.Server, syms []string) map[string]int {
	out := map[string]int{}
	for _, s := range syms {
		if n := len(srv.RequestsFor(s)); n > 0 {
			out[s] = n
		}
	}
	return out
}
