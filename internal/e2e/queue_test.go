package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pricefill/pricefill/internal/pgtest"
	"github.com/pricefill/pricefill/internal/upstream"
	"github.com/pricefill/pricefill/queue"
)

// holdAll makes every request for syms hang for d (headers and half the
// body, then a pause) so that the program holds their tasks meanwhile.
func holdAll(srv *upstream.Server, syms []string, d time.Duration) {
	for _, s := range syms {
		srv.SetFault(s, upstream.Fault{Kind: upstream.Slow, Delay: d})
	}
}

func releaseAll(srv *upstream.Server, syms []string) {
	for _, s := range syms {
		srv.SetFault(s, upstream.Fault{})
	}
}

// waitForHeld waits until n tasks of syms are in progress.
func waitForHeld(t *testing.T, dsn string, syms []string, n int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		held := 0
		snap := mustSnapshot(t, dsn)
		for _, s := range syms {
			if snap[s].Status == queue.InProgress {
				held++
			}
		}
		if held >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d tasks held after a minute, want %d", held, len(syms), n)
		}
		time.Sleep(20 * time.Millisecond) // polling another process: no clock to drive
	}
}

// waitForInProgress waits until n tasks, of any symbol and range, are in
// progress.
func waitForInProgress(t *testing.T, dsn string, n int) {
	t.Helper()
	db := rawDB(t, dsn)
	deadline := time.Now().Add(time.Minute)
	for {
		held := queryInt(t, db, `SELECT count(*) FROM backfill_queue WHERE status = 'in_progress'`)
		if held >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d tasks in progress after a minute, want %d", held, n)
		}
		time.Sleep(20 * time.Millisecond) // polling other processes: no clock to drive
	}
}

// TestSkewedClockTakesNoLiveLease runs two processes on one PostgreSQL
// database, the second with its clock 90 s ahead (far more than the 3 s
// lease): the database's clock decides the leases, so the second takes
// over none of the first's live, renewed tasks, every symbol is fetched
// once, and the first reports its tasks as its own.
func TestSkewedClockTakesNoLiveLease(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t) // on SQLite, the processes of one machine share its clock
	srv := upstream.ForTest(t)
	syms := symbols("SK", 4)
	holdAll(srv, syms, 6*time.Second) // two lease lengths: renewed twice
	args := []string{"--db", dsn, "--base-url", srv.URL(), "--symbols", strings.Join(syms, ","),
		"--days", "20", "--rate", "0", "--concurrency", "4", "--lease", "3s"}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	first := startProc(t, ctx, args...)
	waitForHeld(t, dsn, syms, len(syms))
	second := startProcEnv(t, ctx, []string{"PRICEFILL_E2E_CLOCK_OFFSET=90s"}, args...)
	for i, p := range []*proc{first, second} {
		if code := p.wait(t); code != 0 {
			t.Fatalf("process %d exited %d:\n%s", i+1, code, p.out)
		}
	}
	a, b := readReport(t, first.report), readReport(t, second.report)
	t.Logf("first: %+v; second (clock +90s): %+v; requests %d", a, b, len(srv.Requests()))
	if a.Succeeded != len(syms) || a.TakenOver != 0 {
		t.Errorf("first process: %d succeeded, %d taken over; want %d, 0", a.Succeeded, a.TakenOver, len(syms))
	}
	if b.Succeeded != 0 || b.TakenOver != 0 || b.Elsewhere+b.AlreadyDone != len(syms) {
		t.Errorf("skewed process: %d succeeded, %d taken over, %d done elsewhere, %d before; want 0, 0, and %d by the first",
			b.Succeeded, b.TakenOver, b.Elsewhere, b.AlreadyDone, len(syms))
	}
	for _, s := range syms {
		if n := len(srv.RequestsFor(s)); n != 1 {
			t.Errorf("%s fetched %d times, want once", s, n)
		}
	}
}

// TestStalledProcessReportsTakeover stops a process (SIGSTOP, a frozen VM
// or a long pause) past its lease while it holds tasks; a second process
// takes them over and completes them; the first, once continued, finds its
// leases lost, stores nothing over the second's work, and says in its
// report how many tasks were taken over. PostgreSQL only: a process frozen
// in an SQLite write (its log records, a renewal) holds the file's one
// write lock until it is continued, and every other process waits.
func TestStalledProcessReportsTakeover(t *testing.T) {
	t.Parallel()
	for _, d := range dialects[1:] {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			dsn := d.dsn(t)
			srv := upstream.ForTest(t)
			syms := symbols("ST", 3)
			holdAll(srv, syms, 2*time.Second)
			args := []string{"--db", dsn, "--base-url", srv.URL(), "--symbols", strings.Join(syms, ","),
				"--days", "20", "--rate", "0", "--concurrency", "3", "--lease", "1s"}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			first := startProc(t, ctx, args...)
			waitForHeld(t, dsn, syms, len(syms))
			if err := first.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
				t.Fatal(err)
			}
			releaseAll(srv, syms)
			second := startProc(t, ctx, args...)
			if code := second.wait(t); code != 0 {
				t.Fatalf("the second process exited %d:\n%s", code, second.out)
			}
			if err := first.cmd.Process.Signal(syscall.SIGCONT); err != nil {
				t.Fatal(err)
			}
			if code := first.wait(t); code != 0 {
				t.Fatalf("the stalled process exited %d:\n%s", code, first.out)
			}
			a, b := readReport(t, first.report), readReport(t, second.report)
			t.Logf("stalled: %+v; second: %+v", a, b)
			if b.Succeeded != len(syms) {
				t.Errorf("the second process completed %d, want %d", b.Succeeded, len(syms))
			}
			if a.TakenOver != len(syms) || a.Succeeded != 0 {
				t.Errorf("the stalled process: %d taken over, %d succeeded; want %d, 0", a.TakenOver, a.Succeeded, len(syms))
			}
			if !strings.Contains(first.out.String(), fmt.Sprintf("taken over    %d by other processes", len(syms))) {
				t.Errorf("the stalled process's report does not say the tasks were taken over:\n%s", first.out)
			}
			checkStoredOnce(t, dsn, syms)
		})
	}
}

// checkStoredOnce checks that each of syms has a completed task and no
// date stored twice (the primary key says so; this reads it back).
func checkStoredOnce(t *testing.T, dsn string, syms []string) {
	t.Helper()
	snap := mustSnapshot(t, dsn)
	for _, s := range syms {
		if tk := snap[s]; tk.Status != queue.Completed || tk.Inserted == 0 {
			t.Errorf("%s: %+v, want completed with bars", s, tk)
		}
	}
}

// TestHardStopHandsOverInSeconds SIGKILLs a process that holds tasks under
// the default lease (a minute): the next run takes them over once the
// killed run's heartbeat lapses, in seconds, not after the lease.
func TestHardStopHandsOverInSeconds(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dsn string) {
		srv := upstream.ForTest(t)
		syms := symbols("HS", 4)
		holdAll(srv, syms, time.Minute)
		args := []string{"--db", dsn, "--base-url", srv.URL(), "--symbols", strings.Join(syms, ","),
			"--days", "20", "--rate", "0", "--concurrency", "4"} // the default lease
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		first := startProc(t, ctx, args...)
		waitForHeld(t, dsn, syms, len(syms))
		if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		first.wait(t)
		releaseAll(srv, syms)
		start := time.Now()
		second := startProc(t, ctx, args...)
		if code := second.wait(t); code != 0 {
			t.Fatalf("the next run exited %d:\n%s", code, second.out)
		}
		took := time.Since(start)
		t.Logf("after kill -9, the next run completed the %d held tasks in %s (lease 1m1s)", len(syms), took.Round(10*time.Millisecond))
		if b := readReport(t, second.report); b.Succeeded != len(syms) {
			t.Errorf("the next run completed %d, want %d", b.Succeeded, len(syms))
		}
		if took > 30*time.Second {
			t.Errorf("the next run took %s to take over, want the heartbeat's seconds, well under the lease", took)
		}
		checkStoredOnce(t, dsn, syms)
	})
}

// TestOverlappingRangesShareWork runs --days 30 and --days 31 of the same
// symbols at once: the two runs take turns on each symbol, and the later
// fetches only the days the earlier did not store, so no day is asked
// for twice.
func TestOverlappingRangesShareWork(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dsn string) {
		srv := upstream.ForTest(t, upstream.WithLatency(30*time.Millisecond))
		syms := symbols("OV", 20)
		base := []string{"--db", dsn, "--base-url", srv.URL(), "--symbols", strings.Join(syms, ","),
			"--rate", "0", "--concurrency", "4"}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		// Migrated first, so that neither run waits for the other's
		// migrations; and the first answers held until both runs hold
		// their four tasks each, so that each run is first on some
		// symbols, however the machine schedules the two processes.
		migrated(t, dsn)
		holdAll(srv, syms, 2*time.Second)
		a := startProc(t, ctx, append(base, "--days", "30")...)
		b := startProc(t, ctx, append(base, "--days", "31")...)
		waitForInProgress(t, dsn, 8)
		releaseAll(srv, syms)
		for i, p := range []*proc{a, b} {
			if code := p.wait(t); code != 0 {
				t.Fatalf("run %d exited %d:\n%s", i+1, code, p.out)
			}
		}
		total := 0
		for _, s := range syms {
			reqs := srv.RequestsFor(s)
			total += len(reqs)
			// The fetchers pad a request by a day each side for time
			// zones; a request for the one day the other run did not
			// store spans three days at most.
			whole := 0
			for _, r := range reqs {
				p1, _ := strconv.ParseInt(r.Query.Get("period1"), 10, 64)
				p2, _ := strconv.ParseInt(r.Query.Get("period2"), 10, 64)
				if time.Duration(p2-p1)*time.Second > 3*24*time.Hour {
					whole++
				}
			}
			if whole != 1 {
				t.Errorf("%s: %d requests for the whole range, want 1 (the other run fetches only what is missing)", s, whole)
			}
		}
		t.Logf("two runs over 30 and 31 days of %d symbols at once: %d requests (%d before: one per symbol and run)", len(syms), total, 2*len(syms))
		if total >= 2*len(syms) {
			t.Errorf("%d requests, want fewer than %d: some symbol was fetched whole by both runs", total, 2*len(syms))
		}
	})
}

// TestRetentionDeletesOldHistory ages a first run's queue rows and a log
// record by 100 days, then runs again with the default --keep 90d: the old
// tasks and the old log record are gone, the new run's are kept, and so
// is every price.
func TestRetentionDeletesOldHistory(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dsn string) {
		srv := upstream.ForTest(t)
		syms := symbols("RT", 3)
		args := []string{"--db", dsn, "--base-url", srv.URL(), "--symbols", strings.Join(syms, ","), "--rate", "0"}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if code, out := cliOutput(t, ctx, append(args, "--days", "10")...); code != 0 {
			t.Fatalf("first run exited %d:\n%s", code, out)
		}
		db := rawDB(t, dsn)
		old := time.Now().Add(-100 * 24 * time.Hour).UTC().Format("2006-01-02T15:04:05.000000Z07:00")
		mustExec(t, db, rebind(dsn, `UPDATE backfill_queue SET updated_at = $1`), old)
		mustExec(t, db, rebind(dsn, `INSERT INTO fetcher_logs (ts, level, message) VALUES ($1, 'INFO', 'ancient')`), old)
		prices := countRows(t, db, "prices")
		logs := countRows(t, db, "fetcher_logs")

		if code, out := cliOutput(t, ctx, append(args, "--days", "11")...); code != 0 {
			t.Fatalf("second run exited %d:\n%s", code, out)
		}
		if n := countRows(t, db, "backfill_queue"); n != len(syms) {
			t.Errorf("%d queue rows after the run with --keep 90d, want %d (the second run's)", n, len(syms))
		}
		var ancient int
		if err := db.QueryRow(`SELECT count(*) FROM fetcher_logs WHERE message = 'ancient'`).Scan(&ancient); err != nil {
			t.Fatal(err)
		}
		if ancient != 0 {
			t.Errorf("the 100-day-old log record survived --keep 90d")
		}
		if n := countRows(t, db, "prices"); n < prices {
			t.Errorf("%d prices after retention, want at least the %d stored before", n, prices)
		}
		t.Logf("retention: %d queue rows and 1 of %d log records deleted; %d prices kept", len(syms), logs, prices)
	})
}

func countRows(t *testing.T, db *sql.DB, table string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func mustExec(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// rebind turns the $1, $2… of q into SQLite's ?1, ?2… for an SQLite dsn.
func rebind(dsn, q string) string {
	if strings.HasPrefix(dsn, "postgres://") {
		return q
	}
	return strings.NewReplacer("$1", "?1", "$2", "?2").Replace(q)
}
