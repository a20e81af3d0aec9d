//go:build unix

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/backfill/csvdir"
	"github.com/pricefill/pricefill/internal/upstream"
	"github.com/pricefill/pricefill/queue"
)

// Hostile inputs: files and flags that once grew memory without bound,
// blocked a run for ever or were taken silently. Each must end the
// program promptly, with the bad input named on one line.

const (
	inputDays    = 30
	bigLine      = 100 << 20 // the file without a newline, in bytes
	maxPeakRSS   = 200 << 20 // the program's peak resident set, bound
	inputTimeout = 2 * time.Minute
)

// inputsReport is the part of --report-json these tests read.
type inputsReport struct {
	Succeeded int `json:"succeeded"`
	Failed    int `json:"failed"`
	Failures  []struct {
		Symbol string `json:"symbol"`
		Kind   string `json:"kind"`
		Err    string `json:"error"`
	} `json:"failures"`
}

// writeBars writes the bars the upstream serves for symbol over the run's
// range as a CSV file in dir, and returns the bars a run should store.
func writeBars(t *testing.T, srv *upstream.Server, dir, symbol string, now time.Time) []pricefill.Bar {
	t.Helper()
	r := runRange(now, inputDays)
	var b bytes.Buffer
	b.WriteString("Date,Open,High,Low,Close,Adj Close,Volume\n")
	num := func(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
	for _, x := range srv.Bars(symbol, r) {
		fmt.Fprintf(&b, "%s,%s,%s,%s,%s,%s,%d\n", x.Date.Format(pricefill.DateLayout), num(x.Open), num(x.High), num(x.Low), num(x.Close), num(x.AdjClose), x.Volume)
	}
	if err := os.WriteFile(filepath.Join(dir, symbol+".csv"), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return srv.ValidBars(symbol, r, now)
}

// writeNoNewline writes a file of n bytes without a newline.
func writeNoNewline(t *testing.T, path string, n int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte("1,"), 1<<19) // 1 MiB
	for written := 0; written < n; written += len(chunk) {
		if _, err := f.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// runCSVDir runs the program over the csvdir dir for syms and returns its
// exit status, output, report and peak resident set in bytes.
func runCSVDir(t *testing.T, dsn, dir string, syms ...string) (int, string, inputsReport, int64, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), inputTimeout)
	defer cancel()
	report := filepath.Join(t.TempDir(), "report.json")
	cmd, out := cliCommand(t, ctx, "--db", dsn, "--source", "csvdir", "--base-url", dir, "--symbols", strings.Join(syms, ","),
		"--days", strconv.Itoa(inputDays), "--log-level", "warn", "--report-json", report)
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	if ctx.Err() != nil {
		t.Fatalf("the program was still running after %s: killed\n%s", inputTimeout, out)
	}
	code := exitCode(t, err)
	raw, err := os.ReadFile(report)
	if err != nil {
		t.Fatalf("the program's report: %v\n%s", err, out)
	}
	var rep inputsReport
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatalf("the program's report: %v", err)
	}
	rss := peakRSS(cmd.ProcessState)
	return code, out.String(), rep, rss, took
}

// checkCSVDirRun checks a run over a good symbol and a bad one: exit 1,
// the good one stored, the bad one failed for good, its error containing
// want.
func checkCSVDirRun(t *testing.T, dsn string, db interface {
	Bars(context.Context, string, pricefill.Range) ([]pricefill.Bar, error)
}, code int, out string, rep inputsReport, good, bad string, stored []pricefill.Bar, want ...string) {
	t.Helper()
	if code != 1 || rep.Succeeded != 1 || rep.Failed != 1 || len(rep.Failures) != 1 {
		t.Fatalf("exit %d, %d succeeded, %d failed; want exit 1, 1 and 1:\n%s", code, rep.Succeeded, rep.Failed, out)
	}
	f := rep.Failures[0]
	if f.Symbol != bad || f.Kind != pricefill.KindPermanent.String() {
		t.Errorf("failure %+v, want %s permanent", f, bad)
	}
	for _, w := range want {
		if !strings.Contains(f.Err, w) {
			t.Errorf("the failure of %s says %q, want it to say %q", bad, f.Err, w)
		}
	}
	got, err := db.Bars(context.Background(), good, pricefill.Range{From: pricefill.Date(1900, 1, 1), To: pricefill.Date(2200, 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		if got[i].Source != csvdir.SourceDefault {
			t.Errorf("%s %s: source %q, want %s", good, got[i].Date.Format(pricefill.DateLayout), got[i].Source, csvdir.SourceDefault)
		}
		got[i].Source = ""
	}
	if len(stored) == 0 {
		t.Fatalf("no bars expected for %s: the test checks nothing", good)
	}
	if diff := cmp.Diff(stored, got); diff != "" {
		t.Errorf("%s: stored bars differ from its file's valid bars (-file +stored):\n%s", good, diff)
	}
	tasks := mustSnapshot(t, dsn)
	if tasks[good].Status != queue.Completed || tasks[bad].Status != queue.PermanentlyFailed {
		t.Errorf("tasks %+v, want %s completed and %s permanently failed", tasks, good, bad)
	}
}

// TestCSVWithoutNewline: a csvdir file of 100 MB without a newline fails
// its symbol for good, naming the file and the line, once the program has
// read 64 KiB of it; the other symbol is stored; the program's peak
// resident set stays small (it reached 3.9 GB on this file before).
func TestCSVWithoutNewline(t *testing.T) {
	t.Parallel()
	srv := upstream.ForTest(t)
	dir := t.TempDir()
	now := time.Now()
	want := writeBars(t, srv, dir, "GOOD", now)
	writeNoNewline(t, filepath.Join(dir, "BIG.csv"), bigLine)
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			dsn := d.dsn(t)
			code, out, rep, rss, took := runCSVDir(t, dsn, dir, "GOOD", "BIG")
			checkCSVDirRun(t, dsn, openStore(t, dsn), code, out, rep, "GOOD", "BIG", want,
				filepath.Join(dir, "BIG.csv")+": ", "line 1: longer than 64 KiB")
			if rss == 0 || rss > maxPeakRSS {
				t.Errorf("peak resident set %d MiB, want at most %d MiB (and a measure)", rss>>20, maxPeakRSS>>20)
			}
			t.Logf("a %d MiB line: peak resident set %.1f MiB, %s; %s", bigLine>>20, float64(rss)/(1<<20), took.Round(time.Millisecond), rep.Failures[0].Err)
		})
	}
}

// TestCSVDirNamedPipe: a named pipe named like a symbol's file fails that
// symbol at once, without waiting for a writer; the run ends, with the
// other symbol stored.
func TestCSVDirNamedPipe(t *testing.T) {
	t.Parallel()
	srv := upstream.ForTest(t)
	dir := t.TempDir()
	now := time.Now()
	want := writeBars(t, srv, dir, "GOOD", now)
	pipe := filepath.Join(dir, "PIPE.csv")
	if err := syscall.Mkfifo(pipe, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			dsn := d.dsn(t)
			code, out, rep, _, took := runCSVDir(t, dsn, dir, "GOOD", "PIPE")
			checkCSVDirRun(t, dsn, openStore(t, dsn), code, out, rep, "GOOD", "PIPE", want, pipe+" is not a regular file (a named pipe)")
			t.Logf("a named pipe: the run ended in %s; %s", took.Round(time.Millisecond), rep.Failures[0].Err)
		})
	}
}

// TestDateRangeBefore1900: --days reaching back before 1900 is exit 2
// with one line, before the database has a task; the library refuses such
// a range too (Run and Plan), rather than queue a task whose date the
// database cannot give back.
func TestDateRangeBefore1900(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dsn string) {
		ctx, cancel := context.WithTimeout(context.Background(), inputTimeout)
		defer cancel()
		for _, extra := range [][]string{nil, {"--plan"}, {"--scheduled"}} {
			args := append([]string{"--db", dsn, "--source", "synthetic", "--symbols", "AAPL,MSFT", "--days", "1000000"}, extra...)
			start := time.Now()
			code, out := cliOutput(t, ctx, args...)
			lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
			if code != 2 || len(lines) != 1 || !strings.HasPrefix(lines[0], "pricefill: --days 1000000: want at most ") {
				t.Errorf("%v: exit %d:\n%s\nwant exit 2 and one line about --days", extra, code, out)
			}
			t.Logf("%v: exit %d in %s: %s", extra, code, time.Since(start).Round(time.Millisecond), lines[0])
		}
		if tasks := mustSnapshot(t, dsn); len(tasks) != 0 {
			t.Errorf("the program queued %v, want nothing", tasks)
		}

		db := openStore(t, dsn)
		f, err := csvdir.New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		r, err := backfill.New(f, db, backfill.WithLogger(testLogger(t, nil)))
		if err != nil {
			t.Fatal(err)
		}
		today := pricefill.DateOf(time.Now())
		for _, rng := range []pricefill.Range{
			{From: pricefill.Date(1899, 12, 31), To: today},
			runRange(time.Now(), 1_000_000),
			{From: today, To: pricefill.Date(10000, 1, 1)},
		} {
			req := backfill.Request{Symbols: []string{"AAPL"}, Range: rng}
			if rep, err := r.Run(ctx, req); err == nil || rep != nil || !strings.Contains(err.Error(), "range ") {
				t.Errorf("Run over %s: %v, %v; want an error about the range", rng, rep, err)
			}
			if p, err := r.Plan(ctx, req); err == nil || p != nil {
				t.Errorf("Plan over %s: %v, %v; want an error", rng, p, err)
			}
			if _, err := db.Enqueue(ctx, []queue.Spec{{Symbol: "AAPL", Range: rng}}, queue.EnqueueOptions{}); err == nil {
				t.Errorf("Enqueue over %s: no error", rng)
			}
		}
		if tasks := mustSnapshot(t, dsn); len(tasks) != 0 {
			t.Errorf("the library queued %v, want nothing", tasks)
		}
	})
}

// TestConfigNotOneDocument: a --config with anything after its JSON object
// is exit 2 with one line naming the file, and no request made.
func TestConfigNotOneDocument(t *testing.T) {
	t.Parallel()
	srv := upstream.ForTest(t)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), inputTimeout)
	defer cancel()
	for name, content := range map[string]string{
		"garbage.json": `{"symbols": [{"symbol": "AAPL"}]} xyz`,
		"two.json":     `{"symbols": [{"symbol": "AAPL"}]} {"symbols": [{"symbol": "MSFT"}]}`,
		"empty.json":   "\n",
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		dsn := filepath.Join(t.TempDir(), "prices.db")
		code, out := cliOutput(t, ctx, "--db", dsn, "--base-url", srv.URL(), "--config", path, "--days", "10")
		lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
		if code != 2 || len(lines) != 1 || !strings.HasPrefix(lines[0], "pricefill: --config: "+path+": universe: ") {
			t.Errorf("%s: exit %d:\n%s\nwant exit 2 and one line naming the file", name, code, out)
		}
		t.Logf("%s: exit %d: %s", name, code, lines[0])
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests made, want none", n)
	}
}
