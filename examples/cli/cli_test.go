package main_test

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	_ "modernc.org/sqlite"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/internal/pgtest"
	"github.com/pricefill/pricefill/internal/upstream"
	"github.com/pricefill/pricefill/queue"
	"github.com/pricefill/pricefill/store"
	"github.com/pricefill/pricefill/validate/calendar"
)

var update = flag.Bool("update", false, "rewrite testdata/help.golden")

func TestMain(m *testing.M) { pgtest.Main(m) }

// binary builds the program once per test binary and returns its path.
var binary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "pricefill-cli-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "pricefill")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// result is how one run of the program went.
type result struct {
	code           int
	stdout, stderr string
}

// command returns the program with args, its environment cleared of
// DATABASE_URL and API keys but for env.
func command(t *testing.T, ctx context.Context, env []string, args ...string) *exec.Cmd {
	t.Helper()
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DATABASE_URL=") && !strings.HasPrefix(kv, "STOOQ_API_KEY=") && !strings.HasPrefix(kv, "ALPHAVANTAGE_API_KEY=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// runCLI runs the program to its end.
func runCLI(t *testing.T, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := command(t, ctx, env, args...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running %v: %v", args, err)
	}
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// dialects are the databases the program is tried on: a new SQLite file
// or a new PostgreSQL schema.
var dialects = []struct {
	name string
	dsn  func(t *testing.T) string
}{
	{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "backfill.db") }},
	{"postgres", func(t *testing.T) string { return pgtest.DSN(t) }},
}

func openDB(t *testing.T, dsn string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// fetches counts the data requests the upstream served for each symbol
// that had any.
func fetches(srv *upstream.Server, symbols ...string) map[string]int {
	out := map[string]int{}
	for _, s := range symbols {
		if n := len(srv.RequestsFor(s)); n > 0 {
			out[s] = n
		}
	}
	return out
}

// expectedBars returns the bars a run of days days should store for
// symbol: what the upstream serves for the sessions over, that pass
// validation.
func expectedBars(t *testing.T, srv *upstream.Server, symbol string, days int) []pricefill.Bar {
	t.Helper()
	now := time.Now()
	return srv.ValidBars(symbol, pricefill.LastDays(now.In(calendar.NYSE.Location()), days), now)
}

func storedBars(t *testing.T, db *store.DB, symbol string) []pricefill.Bar {
	t.Helper()
	bars, err := db.Bars(context.Background(), symbol, pricefill.Range{From: pricefill.Date(1900, 1, 1), To: pricefill.Date(2200, 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	for i := range bars {
		bars[i].Source = "" // the upstream's bars carry none
	}
	return bars
}

func TestHelpMatchesTheGoldenFile(t *testing.T) {
	t.Parallel()
	res := runCLI(t, nil, "--help")
	if res.code != 0 {
		t.Fatalf("--help exited %d: %s", res.code, res.stderr)
	}
	golden := filepath.Join("testdata", "help.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(res.stdout), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), res.stdout); diff != "" {
		t.Errorf("--help differs from %s (go test -update to accept) (-want +got):\n%s", golden, diff)
	}
	for _, f := range []string{"--once", "--scheduled", "--every", "--symbols", "--days", "--force", "--config", "--db", "--source",
		"--base-url", "--concurrency", "--rate", "--hourly-limit", "--max-attempts", "--log-format", "--log-level", "--status",
		"--version", "--report-json", "--lease", "--daily-limit", "--outage-timeout", "--plan", "--metrics-addr", "DATABASE_URL"} {
		if !strings.Contains(res.stdout, f) {
			t.Errorf("--help does not mention %s", f)
		}
	}
}

func TestBadInputExitsTwoBeforeAnyRequest(t *testing.T) {
	t.Parallel()
	srv := upstream.ForTest(t)
	db := filepath.Join(t.TempDir(), "backfill.db")
	missing := filepath.Join(t.TempDir(), "missing.json")
	configs := map[string]string{
		"garbage.json": `{"symbols": [{"symbol": "AAPL"}]} xyz`,
		"two.json":     `{"symbols": [{"symbol": "AAPL"}]}` + "\n" + `{"symbols": [{"symbol": "MSFT"}]}`,
		"empty.json":   "",
	}
	configDir := t.TempDir()
	for name, content := range configs {
		if err := os.WriteFile(filepath.Join(configDir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	config := func(name string) string { return filepath.Join(configDir, name) }
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--nope"}, "unknown flag --nope (see --help)"},
		{[]string{"--symbol", "AAPL"}, "unknown flag --symbol: did you mean --symbols? (see --help)"},
		{[]string{"--days", "x"}, `invalid value "x" for flag --days: parse error (see --help)`},
		{[]string{"--once", "--scheduled"}, "--once and --scheduled both say how often to run: give one"},
		{[]string{"--at", "18:30"}, "--at: only with --scheduled"},
		{[]string{"--scheduled", "--at", "6pm"}, `--at "6pm": want a time of day HH:MM`},
		{[]string{"--scheduled", "--at", "18:30 Mars/Olympus"}, `--at "18:30 Mars/Olympus": unknown time zone "Mars/Olympus"`},
		{[]string{"--scheduled", "--at", "18:30", "--every", "1h"}, "--every and --at both say when to run: give one"},
		{[]string{"--source", "bloomberg"}, `--source "bloomberg": unknown; want one of alphavantage, csvdir, stooq, synthetic, yahoo`},
		{[]string{"--source", "yahoo,bloomberg"}, `--source "bloomberg": unknown; want one of alphavantage, csvdir, stooq, synthetic, yahoo`},
		{[]string{"--source", "yahoo,stooq,yahoo"}, "--source yahoo,stooq,yahoo: yahoo twice; give each source once"},
		{[]string{"--source", "yahoo,stooq"}, "--base-url: --source yahoo,stooq needs 2 URLs, one for each source in the same order (empty for a provider's own); got 1"},
		{[]string{"--symbols", "AAPL,DROP TABLE,MSFT"}, `--symbols: symbol "DROP TABLE": character ' ' not allowed`},
		{[]string{"--symbols", "AAPL,,MSFT"}, `--symbols: symbol "": empty`},
		{[]string{"--days", "0"}, "--days 0: want 1 or more"},
		{[]string{"--days", "-5"}, "--days -5: want 1 or more"},
		{[]string{"--config", missing}, "--config: universe: open " + missing + ": no such file or directory"},
		{[]string{"--config", config("garbage.json")}, "--config: " + config("garbage.json") + ": universe: after the JSON object (33 bytes): invalid character 'x'"},
		{[]string{"--config", config("two.json")}, "--config: " + config("two.json") + ": universe: after the JSON object (33 bytes): a second JSON value; want exactly one object"},
		{[]string{"--config", config("empty.json")}, "--config: " + config("empty.json") + ": universe: empty, want a JSON object"},
		{[]string{"--days", "1000000"}, "--days 1000000: want at most "},
		{[]string{"--days", "9223372036854775807"}, "--days 9223372036854775807: want at most "},
		{[]string{"--days", "47000"}, ", back to 1900-01-01"}, // 1897
		{[]string{"--days", "1000000", "--plan"}, "--days 1000000: want at most "},
		{[]string{"--source", "alphavantage"}, "--source alphavantage: "},
		{[]string{"--rate", "-1"}, "--rate -1: want 0 or more"},
		{[]string{"--hourly-limit", "-1"}, "--hourly-limit -1: want 0 (none) or more"},
		{[]string{"--daily-limit", "-3"}, "--daily-limit -3: want 0 (none) or more"},
		{[]string{"--outage-timeout", "-1s"}, "--outage-timeout -1s: want 0 (never) or more"},
		{[]string{"--status", "--plan"}, "--status and --plan both say what to show: give one"},
		{[]string{"--from", "2020-13-01"}, `--from "2020-13-01": want a date, YYYY-MM-DD`},
		{[]string{"--to", "yesterday"}, `--to "yesterday": want a date, YYYY-MM-DD`},
		{[]string{"--from", "2020-01-01", "--days", "5"}, "--from and --days both say where the range begins: give one"},
		{[]string{"--to", "2999-01-01"}, "--to 2999-01-01: after today ("},
		{[]string{"--from", "2020-02-01", "--to", "2020-01-01"}, "--from 2020-02-01: after --to 2020-01-01"},
		{[]string{"--from", "1899-12-31"}, "the range begins on 1899-12-31: want 1900-01-01 or later"},
		{[]string{"--to", "1900-01-05", "--days", "10"}, "the range begins on 1899-12-26: want 1900-01-01 or later"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"--metrics-addr", "9090"}, `--metrics-addr "9090": want HOST:PORT or :PORT`},
		{[]string{"--metrics-addr", ":99999"}, `--metrics-addr ":99999": want HOST:PORT or :PORT`},
		{[]string{"--metrics-addr", busy.Addr().String()}, "--metrics-addr " + busy.Addr().String() + ": listen tcp " + busy.Addr().String() + ": bind: address already in use"},
	} {
		args := []string{"--db", db, "--base-url", srv.URL()}
		if !slices.Contains(tc.args, "--symbols") && !slices.Contains(tc.args, "--config") {
			args = append(args, "--symbols", "AAPL")
		}
		args = append(args, tc.args...)
		res := runCLI(t, nil, args...)
		lines := strings.Split(strings.TrimRight(res.stderr, "\n"), "\n")
		if res.code != 2 || len(lines) != 1 || !strings.Contains(lines[0], tc.want) || res.stdout != "" {
			t.Errorf("%v: exit %d, stderr %q, stdout %q; want exit 2, one line containing %q and no help", tc.args, res.code, res.stderr, res.stdout, tc.want)
		}
		if strings.Contains(res.stderr, "s3cret") {
			t.Errorf("%v: the database password is in the message: %s", tc.args, res.stderr)
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("bad input made %d requests upstream, want none", n)
	}
}

// TestDaysBackTo1900: the longest --days reaches back to 1900-01-01, the
// first date a range may hold. (Should New York's midnight pass between
// the test's today and the program's, the range starts on 01-02.)
func TestDaysBackTo1900(t *testing.T) {
	t.Parallel()
	today := pricefill.DateOf(time.Now().In(calendar.NYSE.Location()))
	days := int(today.Sub(pricefill.Date(1900, 1, 1)).Hours() / 24)
	res := runCLI(t, nil, "--db", filepath.Join(t.TempDir(), "b.db"), "--symbols", "AAPL", "--days", fmt.Sprint(days), "--plan")
	if res.code != 0 || !strings.Contains(res.stdout, "range         1900-01-0") {
		t.Errorf("--days %d --plan: exit %d, want 0 and a range from 1900-01-01:\n%s%s", days, res.code, res.stdout, res.stderr)
	}
}

// TestFromTo: --from and --to give the range, and --to with --days ends
// it there; December 2019 from the 2nd has 21 NYSE sessions.
func TestFromTo(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"--from", "2019-12-02", "--to", "2019-12-31"},
		{"--to", "2019-12-31", "--days", "29"},
	} {
		db := filepath.Join(t.TempDir(), "b.db")
		res := runCLI(t, nil, append([]string{"--db", db, "--source", "synthetic", "--symbols", "AAPL"}, args...)...)
		if res.code != 0 {
			t.Fatalf("%v: exit %d:\n%s", args, res.code, res.stderr)
		}
		if !strings.Contains(res.stdout, "range         2019-12-02..2019-12-31") || !strings.Contains(res.stdout, "bars          21 inserted") {
			t.Errorf("%v: want the range 2019-12-02..2019-12-31 and 21 bars inserted:\n%s", args, res.stdout)
		}
		bars, err := openDB(t, db).Bars(context.Background(), "AAPL", pricefill.Range{From: pricefill.Date(1900, 1, 1), To: pricefill.Date(2100, 1, 1)})
		if err != nil {
			t.Fatal(err)
		}
		if len(bars) != 21 || !bars[0].Date.Equal(pricefill.Date(2019, 12, 2)) || !bars[20].Date.Equal(pricefill.Date(2019, 12, 31)) {
			t.Errorf("%v: %d bars stored, want 21 from 2019-12-02 to 2019-12-31", args, len(bars))
		}
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	res := runCLI(t, nil, "--version")
	if res.code != 0 || !strings.HasPrefix(res.stdout, "pricefill ") {
		t.Errorf("--version: exit %d, %q", res.code, res.stdout)
	}
}

func TestRunsStoreOnceAndRerunsFetchNothingNew(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			srv := upstream.ForTest(t)
			dsn := d.dsn(t)
			report := filepath.Join(t.TempDir(), "report.json")
			args := []string{"--db", dsn, "--base-url", srv.URL(), "--symbols", "AAPL,MSFT,BRK.B", "--days", "20", "--rate", "0"}

			res := runCLI(t, nil, append(args, "--report-json", report)...)
			if res.code != 0 {
				t.Fatalf("first run exited %d:\n%s\n%s", res.code, res.stdout, res.stderr)
			}
			if diff := cmp.Diff(map[string]int{"AAPL": 1, "MSFT": 1, "BRK.B": 1}, fetches(srv, "AAPL", "MSFT", "BRK.B")); diff != "" {
				t.Errorf("requests of the first run (-want +got):\n%s", diff)
			}
			db := openDB(t, dsn)
			total := 0
			for _, s := range []string{"AAPL", "MSFT", "BRK.B"} {
				want := expectedBars(t, srv, s, 20)
				total += len(want)
				if diff := cmp.Diff(want, storedBars(t, db, s)); diff != "" {
					t.Errorf("%s stored (-served +stored):\n%s", s, diff)
				}
			}
			if !strings.Contains(res.stdout, fmt.Sprintf("bars          %d inserted", total)) {
				t.Errorf("the report does not say %d bars inserted:\n%s", total, res.stdout)
			}
			var rep map[string]any
			raw, err := os.ReadFile(report)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(raw, &rep); err != nil || rep["succeeded"] != 3.0 || rep["inserted"] != float64(total) {
				t.Errorf("--report-json: %v, %v", err, rep)
			}

			srv.Reset()
			res = runCLI(t, nil, args...)
			if res.code != 0 || len(srv.Requests()) != 0 {
				t.Errorf("second run: exit %d, %d requests; want 0, none", res.code, len(srv.Requests()))
			}

			// --days reaches further back: only the older days are asked for.
			res = runCLI(t, nil, append(slices.Clone(args[:len(args)-4]), "--days", "40", "--rate", "0")...)
			if res.code != 0 {
				t.Fatalf("--days 40 exited %d: %s", res.code, res.stderr)
			}
			for _, s := range []string{"AAPL", "MSFT", "BRK.B"} {
				if diff := cmp.Diff(expectedBars(t, srv, s, 40), storedBars(t, db, s)); diff != "" {
					t.Errorf("%s stored after --days 40 (-served +stored):\n%s", s, diff)
				}
			}

			srv.Reset()
			res = runCLI(t, nil, append(args, "--force")...)
			if res.code != 0 {
				t.Fatalf("--force exited %d: %s", res.code, res.stderr)
			}
			if diff := cmp.Diff(map[string]int{"AAPL": 1, "MSFT": 1, "BRK.B": 1}, fetches(srv, "AAPL", "MSFT", "BRK.B")); diff != "" {
				t.Errorf("requests with --force (-want +got):\n%s", diff)
			}
			if !strings.Contains(res.stdout, "bars          0 inserted, 0 updated") {
				t.Errorf("--force report:\n%s", res.stdout)
			}
		})
	}
}

func TestSomeFailedExitsOne(t *testing.T) {
	t.Parallel()
	srv := upstream.ForTest(t)
	srv.SetUnknown("ZZZZ")
	db := filepath.Join(t.TempDir(), "backfill.db")
	res := runCLI(t, nil, "--db", db, "--base-url", srv.URL(), "--symbols", "AAPL,ZZZZ", "--days", "10", "--rate", "0")
	if res.code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", res.code, res.stderr)
	}
	if !strings.Contains(res.stdout, "not_found (1): ZZZZ") {
		t.Errorf("the report does not name the failure:\n%s", res.stdout)
	}
	status := runCLI(t, nil, "--db", db, "--status")
	if status.code != 0 || !strings.Contains(status.stdout, "permanently_failed 1") || !strings.Contains(status.stdout, "ZZZZ") {
		t.Errorf("--status: exit %d:\n%s", status.code, status.stdout)
	}
}

// startCLI starts the program and returns it with a channel of its
// standard error's lines.
func startCLI(t *testing.T, args ...string) (*exec.Cmd, <-chan string) {
	t.Helper()
	cmd := command(t, context.Background(), nil, args...)
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1024)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	return cmd, lines
}

// waitFor reads lines until one contains s.
func waitFor(t *testing.T, lines <-chan string, s string) {
	t.Helper()
	timeout := time.After(time.Minute)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the program ended before logging %q", s)
			}
			if strings.Contains(l, s) {
				return
			}
		case <-timeout:
			t.Fatalf("no line with %q within a minute", s)
		}
	}
}

// stopCLI sends the program started by startCLI sig, named name in
// messages, reads its lines to their end, and stops the test unless it
// exits 130.
func stopCLI(t *testing.T, cmd *exec.Cmd, lines <-chan string, sig os.Signal, name string) {
	t.Helper()
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	for range lines {
	}
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
		t.Fatalf("after %s: %v, want exit status 130", name, err)
	}
}

func manySymbols(n int) string {
	s := make([]string, n)
	for i := range s {
		s[i] = fmt.Sprintf("S%03d", i)
	}
	return strings.Join(s, ",")
}

func TestKilledRunResumes(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			srv := upstream.ForTest(t, upstream.WithLatency(20*time.Millisecond))
			dsn := d.dsn(t)
			const n = 40
			args := []string{"--db", dsn, "--base-url", srv.URL(), "--symbols", manySymbols(n), "--days", "15", "--rate", "0", "--concurrency", "2", "--lease", "2s"}
			cmd, lines := startCLI(t, args...)
			waitFor(t, lines, "msg=progress done=8 ")
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Wait()
			for range lines {
			}

			db := openDB(t, dsn)
			counts, err := db.Counts(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if counts[queue.Completed] < 8 || counts[queue.Completed] == n {
				t.Fatalf("after the kill: %v; want some but not all completed", counts)
			}
			var done []string
			for i := range n {
				s := fmt.Sprintf("S%03d", i)
				if len(storedBars(t, db, s)) > 0 {
					done = append(done, s)
				}
			}
			srv.Reset()
			res := runCLI(t, nil, args...)
			if res.code != 0 {
				t.Fatalf("the second run exited %d: %s", res.code, res.stderr)
			}
			again := fetches(srv, strings.Split(manySymbols(n), ",")...)
			for _, s := range done {
				if again[s] != 0 {
					t.Errorf("%s was stored before the kill and fetched again", s)
				}
			}
			for i := range n {
				s := fmt.Sprintf("S%03d", i)
				if diff := cmp.Diff(expectedBars(t, srv, s, 15), storedBars(t, db, s)); diff != "" {
					t.Errorf("%s stored (-served +stored):\n%s", s, diff)
				}
			}
		})
	}
}

func TestInterruptedRunExits130AndResumes(t *testing.T) {
	t.Parallel()
	srv := upstream.ForTest(t, upstream.WithLatency(20*time.Millisecond))
	dsn := filepath.Join(t.TempDir(), "backfill.db")
	const n = 40
	args := []string{"--db", dsn, "--base-url", srv.URL(), "--symbols", manySymbols(n), "--days", "15", "--rate", "0", "--concurrency", "2"}
	cmd, lines := startCLI(t, args...)
	waitFor(t, lines, "msg=progress done=4 ")
	stopCLI(t, cmd, lines, os.Interrupt, "SIGINT")
	db := openDB(t, dsn)
	counts, err := db.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if counts[queue.InProgress] != 0 || counts[queue.Completed] == n {
		t.Errorf("after SIGINT: %v; want nothing left in progress, and not all completed", counts)
	}
	res := runCLI(t, nil, args...)
	if res.code != 0 {
		t.Fatalf("the rerun exited %d: %s", res.code, res.stderr)
	}
	counts, err = db.Counts(context.Background())
	if err != nil || counts[queue.Completed] != n {
		t.Errorf("after the rerun: %v, %v; want %d completed", counts, err, n)
	}
}

// TestEveryLogLineLandsInFetcherLogs runs with JSON logs and finds each
// console line's record in fetcher_logs.
func TestEveryLogLineLandsInFetcherLogs(t *testing.T) {
	t.Parallel()
	srv := upstream.ForTest(t)
	srv.SetUnknown("ZZZZ")
	srv.PushFaults("MSFT", upstream.Fault{Kind: upstream.Status, Status: 503})
	dsn := filepath.Join(t.TempDir(), "backfill.db")
	res := runCLI(t, nil, "--db", dsn, "--base-url", srv.URL(), "--symbols", "AAPL,MSFT,ZZZZ", "--days", "10", "--rate", "0",
		"--log-format", "json", "--max-attempts", "1")
	if res.code != 1 {
		t.Fatalf("exit %d, want 1: %s", res.code, res.stderr)
	}
	type rec struct {
		Level, Msg, Symbol string
	}
	var console []rec
	for _, l := range strings.Split(strings.TrimSpace(res.stderr), "\n") {
		var r rec
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("a console line is not JSON: %q", l)
		}
		console = append(console, r)
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT level, message, coalesce(symbol, '') FROM fetcher_logs ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var stored []rec
	for rows.Next() {
		var r rec
		if err := rows.Scan(&r.Level, &r.Msg, &r.Symbol); err != nil {
			t.Fatal(err)
		}
		stored = append(stored, r)
	}
	if len(console) < 5 {
		t.Fatalf("only %d console lines", len(console))
	}
	less := func(a, b rec) int { return strings.Compare(a.Level+a.Msg+a.Symbol, b.Level+b.Msg+b.Symbol) }
	slices.SortFunc(console, less)
	slices.SortFunc(stored, less)
	if diff := cmp.Diff(console, stored); diff != "" {
		t.Errorf("console lines vs fetcher_logs (-console +table):\n%s", diff)
	}
	var sawError bool
	for _, r := range console {
		sawError = sawError || (r.Level == "ERROR" && r.Symbol == "ZZZZ")
	}
	if !sawError {
		t.Errorf("no error line names ZZZZ")
	}
}

func TestScheduledRunsUntilInterrupted(t *testing.T) {
	t.Parallel()
	srv := upstream.ForTest(t)
	dsn := filepath.Join(t.TempDir(), "backfill.db")
	cmd, lines := startCLI(t, "--db", dsn, "--base-url", srv.URL(), "--symbols", "AAPL,MSFT", "--days", "10", "--rate", "0",
		"--scheduled", "--every", "1h")
	waitFor(t, lines, `msg="next run"`)
	stopCLI(t, cmd, lines, syscall.SIGTERM, "SIGTERM")
	if diff := cmp.Diff(map[string]int{"AAPL": 1, "MSFT": 1}, fetches(srv, "AAPL", "MSFT")); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

// TestExampleConfig runs the example config (which docker-compose.yml
// mounts) against the fake upstream.
func TestExampleConfig(t *testing.T) {
	t.Parallel()
	srv := upstream.ForTest(t)
	res := runCLI(t, nil, "--db", filepath.Join(t.TempDir(), "b.db"), "--base-url", srv.URL(), "--config", "symbols.example.json", "--days", "10", "--rate", "0")
	if res.code != 0 || !strings.Contains(res.stdout, "symbols       5: 5 succeeded") {
		t.Errorf("exit %d:\n%s\n%s", res.code, res.stdout, res.stderr)
	}
}

// TestDatabaseMissingOrUnreachable: --status on a database that is not
// there says so, exits 2 and creates nothing; a server that cannot be
// reached exits 3, its password unsaid.
func TestDatabaseMissingOrUnreachable(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "mistyped.db")
	out := filepath.Join(t.TempDir(), "bars.csv")
	for _, args := range [][]string{{"--status"}, {"--status", "--coverage"}, {"--export", out}} {
		res := runCLI(t, nil, append([]string{"--db", missing}, args...)...)
		if res.code != 2 || !strings.Contains(res.stderr, "no pricefill database: the file does not exist") {
			t.Errorf("%v on a missing file: exit %d, stderr %q; want 2 and the file named missing", args, res.code, res.stderr)
		}
		for _, f := range []string{missing, out} {
			if _, err := os.Stat(f); err == nil {
				t.Errorf("%v created %s", args, f)
			}
		}
	}

	u, err := url.Parse(pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	res := runCLI(t, nil, "--db", u.String(), "--status")
	if res.code != 2 || !strings.Contains(res.stderr, "it holds no pricefill tables") {
		t.Errorf("--status on an empty PostgreSQL schema: exit %d, stderr %q; want 2", res.code, res.stderr)
	}
	u.Path = "/pricefill_mistyped"
	res = runCLI(t, nil, "--db", u.String(), "--status")
	if res.code != 2 || !strings.Contains(res.stderr, "no pricefill database") {
		t.Errorf("--status on a missing PostgreSQL database: exit %d, stderr %q; want 2", res.code, res.stderr)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	for _, args := range [][]string{{"--symbols", "AAPL"}, {"--status"}, {"--export", out}} {
		res = runCLI(t, nil, append([]string{"--db", "postgres://pricefill:s3cret@" + addr + "/prices?sslmode=disable"}, args...)...)
		lines := strings.Split(strings.TrimRight(res.stderr, "\n"), "\n")
		if res.code != 3 || len(lines) != 1 || !strings.Contains(res.stderr, "database unreachable") || strings.Contains(res.stderr, "s3cret") {
			t.Errorf("%v on a closed port: exit %d, stderr %q; want 3 and one line, no password", args, res.code, res.stderr)
		}
	}
}

// TestJSONLogsKeepNumbersNumeric: in --log-format json, counts, rates and
// durations are JSON numbers, durations in seconds.
func TestJSONLogsKeepNumbersNumeric(t *testing.T) {
	t.Parallel()
	res := runCLI(t, nil, "--db", filepath.Join(t.TempDir(), "b.db"), "--source", "synthetic",
		"--symbols", "AAPL,MSFT,IBM", "--days", "30", "--log-format", "json")
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	seen := map[string]bool{}
	for line := range strings.Lines(res.stderr) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("not a JSON line: %q: %v", line, err)
		}
		for _, key := range []string{"symbols", "requests", "inserted", "rate_per_s", "eta", "duration", "took", "done", "total"} {
			v, ok := rec[key]
			if !ok {
				continue
			}
			seen[key] = true
			if _, num := v.(float64); !num {
				t.Errorf("%s %q: %s is %T %v, want a number", rec["msg"], key, key, v, v)
			}
		}
	}
	for _, key := range []string{"symbols", "requests", "rate_per_s", "duration"} {
		if !seen[key] {
			t.Errorf("no log line had %q; the test checks nothing of it", key)
		}
	}
}
