package e2e

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/pricefill/pricefill/internal/upstream"
	"github.com/pricefill/pricefill/queue"
)

// The killed run: few symbols, so the moment of the kill (0 to killSymbols
// requests in) covers the whole run, from the migration to the last save.
const (
	killSymbols = 10
	killDays    = 10
	// killLease is the shortest the program takes: the rerun waits that
	// long for the tasks the killed process held.
	killLease = "1s"
)

// TestKillAndResume SIGKILLs the program at a moment rapid picks (the
// number of requests the server has seen) and runs it again: the rerun
// completes, fetches none of the symbols completed before the kill, and
// stores every valid bar exactly once. TestMain fixes the number of checks
// (killChecks), on CI too.
func TestKillAndResume(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			rapid.Check(t, func(rt *rapid.T) {
				killAndResume(rt, d.dsn(t), t.TempDir())
			})
		})
	}
}

func killAndResume(t *rapid.T, dsn, dir string) {
	kill := rapid.IntRange(0, killSymbols).Draw(t, "requests before the kill")
	// A little later than the request still: at 10 ms a request, the kill
	// lands before, during or after the saves that follow it.
	later := time.Duration(rapid.IntRange(0, 20).Draw(t, "milliseconds after the request")) * time.Millisecond
	workers := rapid.IntRange(1, 3).Draw(t, "concurrency")
	srv, err := upstream.New(upstream.WithLatency(10 * time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	syms := symbols("K", killSymbols)
	report := filepath.Join(dir, "report.json")
	args := []string{"--db", dsn, "--base-url", srv.URL(), "--symbols", strings.Join(syms, ","),
		"--days", fmt.Sprint(killDays), "--rate", "0", "--concurrency", fmt.Sprint(workers), "--lease", killLease,
		"--report-json", report}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	cmd, out := cliCommand(t, ctx, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var waitErr error
	finished := false
	deadline := time.After(time.Minute)
	for !finished && len(srv.Requests()) < kill {
		select {
		case waitErr = <-exited:
			finished = true
		case <-deadline:
			_ = cmd.Process.Kill()
			<-exited
			t.Fatalf("the server saw %d requests in a minute, want %d:\n%s", len(srv.Requests()), kill, out)
		case <-time.After(time.Millisecond):
		}
	}
	if !finished && later > 0 {
		select {
		case waitErr = <-exited:
			finished = true
		case <-time.After(later):
		}
	}
	if !finished {
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
			t.Fatal(err)
		}
		waitErr = <-exited
	}
	seen := len(srv.Requests())
	if code := exitCode(t, waitErr); code != -1 && code != 0 {
		t.Fatalf("the first run exited %d before the kill:\n%s", code, out)
	}

	// After the kill: each symbol has all its bars or none, and all
	// exactly when its task is completed.
	killed := mustSnapshot(t, dsn)
	var done []string
	for _, s := range syms {
		if killed[s].Status == queue.Completed {
			done = append(done, s)
		}
	}
	t.Logf("killed after %d requests (%d completed)", seen, len(done))

	srv.Reset()
	_ = os.Remove(report)
	cmd, out = cliCommand(t, ctx, args...)
	if code := exitCode(t, cmd.Run()); code != 0 {
		t.Fatalf("the rerun exited %d, want 0:\n%s", code, out)
	}
	end := time.Now()
	e := expect(srv, syms, runRange(start, killDays), start, end)
	checkAllOrNothing(t, killed, e)

	again := fetches(srv, syms)
	for _, s := range done {
		if again[s] != 0 {
			t.Errorf("%s was completed before the kill and fetched again by the rerun", s)
		}
	}
	rep := readReport(t, report)
	tasks := mustSnapshot(t, dsn)
	var redone int64
	for _, s := range syms {
		if tk := tasks[s]; tk.Status != queue.Completed {
			t.Errorf("%s: %+v after the rerun, want completed", s, tk)
		}
		if killed[s].Status != queue.Completed {
			redone += int64(tasks[s].Inserted)
		}
	}
	if rep.AlreadyDone != len(done) || rep.Succeeded != killSymbols-len(done) || rep.Inserted != redone {
		t.Errorf("the rerun's report: %+v; want %d already done, %d succeeded, %d inserted", rep, len(done), killSymbols-len(done), redone)
	}
	db := openStore(t, dsn)
	for _, s := range syms {
		n := e.check(t, s, storedBars(t, db, s))
		if killed[s].Status != queue.Completed && tasks[s].Inserted != int64(n) {
			t.Errorf("%s: the rerun inserted %d bars, want %d: bars of the killed run were left behind", s, tasks[s].Inserted, n)
		}
	}
}

// TestRapidChecksFixed: the property above runs killChecks checks, not
// the 1,000 that testmain sets for CI elsewhere.
func TestRapidChecksFixed(t *testing.T) {
	t.Parallel()
	for _, a := range os.Args[1:] {
		if strings.HasPrefix(strings.TrimLeft(a, "-"), "rapid.checks") {
			return // -rapid.checks on the command line wins, as it should
		}
	}
	if got := flag.Lookup("rapid.checks").Value.String(); got != fmt.Sprint(killChecks) {
		t.Errorf("rapid.checks = %s, want %d", got, killChecks)
	}
}
