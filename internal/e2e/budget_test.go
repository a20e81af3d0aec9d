package e2e

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pricefill/pricefill/internal/upstream"
	"github.com/pricefill/pricefill/queue"
)

// The fleet: three programs of four workers on one database, each at
// --rate 9.5, against a provider that refuses an eleventh request within a
// second and then everything for a second. Alone, each would send 9.5 a
// second; together, as one budget, they must too.
const (
	fleetProcs   = 3
	fleetSymbols = 45 // about 5 s of requests at 9.5/s
	fleetServer  = 10
	fleetRate    = "9.5"
	fleetLatency = 20 * time.Millisecond
	// fleetRefusals is the most refusals the fleet may meet: a grant and
	// its arrival are a fraction of a millisecond apart, by an amount
	// that varies, so a budget just under a strict limit meets one now
	// and then.
	fleetRefusals = 2
)

// TestFleetSharesOneBudget: the programs of a fleet share one rate: the
// provider never sees more than its limit in a second, gets nothing during
// its cool-downs, and refuses at most a couple of requests; every symbol is
// completed and every bar stored once.
func TestFleetSharesOneBudget(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dsn string) {
		srv := upstream.ForTest(t, upstream.WithRateLimit(fleetServer), upstream.WithStrictCoolDown(time.Second), upstream.WithLatency(fleetLatency))
		syms := symbols("B", fleetSymbols)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		start := time.Now()
		reps := runFleet(t, ctx, fleetProcs, "--db", dsn, "--base-url", srv.URL(), "--symbols", strings.Join(syms, ","),
			"--days", "10", "--rate", fleetRate, "--concurrency", "4", "--log-level", "warn")
		end := time.Now()

		if peak := srv.PeakRate(time.Second); peak > fleetServer {
			t.Errorf("the provider saw %d requests within a second, more than its limit of %d", peak, fleetServer)
		}
		if n := srv.DuringCoolDown(); n != 0 {
			t.Errorf("%d requests came during the provider's cool-downs, want none", n)
		}
		if n := srv.Refusals(); n > fleetRefusals {
			t.Errorf("the provider refused %d requests for its rate, want at most %d", n, fleetRefusals)
		}
		succeeded, requests := 0, 0
		for i, r := range reps {
			t.Logf("process %d: %+v", i, r)
			succeeded += r.Succeeded
			requests += r.Requests
		}
		if succeeded != fleetSymbols || requests != fleetSymbols+srv.Refusals() {
			t.Errorf("the fleet completed %d tasks with %d requests; want %d with %d (one each, and one more per refusal)",
				succeeded, requests, fleetSymbols, fleetSymbols+srv.Refusals())
		}
		tasks := mustSnapshot(t, dsn)
		db := openStore(t, dsn)
		e := expect(srv, syms, runRange(start, 10), start, end)
		for _, s := range syms {
			if tk := tasks[s]; tk.Status != queue.Completed || tk.Attempts != 0 {
				t.Errorf("%s: %+v, want completed with no attempt used", s, tk)
			}
			e.check(t, s, storedBars(t, db, s))
		}
	})
}

// cliOutput runs the program with args to its end and returns its exit
// status and output.
func cliOutput(t *testing.T, ctx context.Context, args ...string) (int, string) {
	t.Helper()
	cmd, out := cliCommand(t, ctx, args...)
	err := cmd.Run()
	return exitCode(t, err), out.String()
}

// waitForStatus runs --status until its output holds want, and returns
// that output; it fails t after a minute.
func waitForStatus(t *testing.T, ctx context.Context, want string, args ...string) string {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		code, out := cliOutput(t, ctx, append(args, "--status")...)
		if code == 0 && strings.Contains(out, want) {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("--status never said %q; last (exit %d):\n%s", want, code, out)
		}
		time.Sleep(100 * time.Millisecond) // polling another process: no clock to drive
	}
}

// waitForClaim waits until a task of a symbol with prefix is in progress:
// a program has claimed it, and waits on the limiter. It fails t after a
// minute.
func waitForClaim(t *testing.T, dsn, prefix string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		for sym, tk := range mustSnapshot(t, dsn) {
			if strings.HasPrefix(sym, prefix) && tk.Status == queue.InProgress {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no task of %s… was claimed within a minute", prefix)
		}
		time.Sleep(20 * time.Millisecond) // polling another process: no clock to drive
	}
}

// TestBudgetSurvivesRestart: a run that spent the hour's budget leaves it
// spent for the next process: that one sends nothing, says why and until
// when, and keeps waiting after a restart; likewise after the provider
// said its daily quota is used up.
func TestBudgetSurvivesRestart(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dsn string) {
		srv := upstream.ForTest(t)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		base := []string{"--db", dsn, "--base-url", srv.URL(), "--days", "10", "--rate", "0", "--hourly-limit", "10", "--log-level", "warn"}

		first := symbols("H", 10)
		if code, out := cliOutput(t, ctx, append(base, "--symbols", strings.Join(first, ","))...); code != 0 {
			t.Fatalf("the first run exited %d:\n%s", code, out)
		}
		spent := len(srv.Requests())
		if spent != 10 {
			t.Fatalf("the first run made %d requests, want 10", spent)
		}

		second := append(base, "--symbols", strings.Join(symbols("J", 10), ","))
		code, out := cliOutput(t, ctx, append(second, "--plan")...)
		if code != 0 || !strings.Contains(out, "symbols       10: 10 need requests") || !strings.Contains(out, "requests      10,") ||
			!strings.Contains(out, "waiting for the hourly limit (10 requests in the last hour)") {
			t.Errorf("--plan exited %d:\n%s", code, out)
		}
		waitForStatus(t, ctx, "waiting for the hourly limit (10 requests in the last hour)", second...)
		for restart := range 2 {
			p := startProc(t, ctx, second...)
			waitForClaim(t, dsn, "J")
			if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			if code := p.wait(t); code != 130 {
				t.Errorf("restart %d: interrupted while waiting, exited %d, want 130:\n%s", restart, code, p.out)
			}
			if n := len(srv.Requests()); n != spent {
				t.Fatalf("restart %d: %d requests, want the %d of the first run: the hour's budget was spent", restart, n, spent)
			}
			t.Logf("restart %d:\n%s", restart, p.out)
		}
		for sym, tk := range mustSnapshot(t, dsn) {
			if strings.HasPrefix(sym, "J") && (tk.Status != queue.Pending || tk.Attempts != 0) {
				t.Errorf("%s: %+v, want pending with no attempt used", sym, tk)
			}
		}
	})
}

// TestQuotaSurvivesRestart: after Stooq says its daily hits are used up,
// no process asks again before the hold ends, restarts included.
func TestQuotaSurvivesRestart(t *testing.T) {
	t.Parallel()
	srv := upstream.ForTest(t)
	dsn := dialects[0].dsn(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv.PushFaults("QA", upstream.Fault{Kind: upstream.Quota})
	args := []string{"--db", dsn, "--source", "stooq", "--base-url", srv.URL(), "--symbols", "QA,QB", "--days", "10",
		"--rate", "0", "--concurrency", "1", "--log-level", "warn"}
	for restart := range 2 {
		p := startProc(t, ctx, args...)
		if restart == 0 {
			out := waitForStatus(t, ctx, "waiting for the provider's quota until", args...)
			if !strings.Contains(out, "requests resume at") {
				t.Errorf("--status does not say when requests resume:\n%s", out)
			}
		}
		waitForClaim(t, dsn, "Q")
		if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		if code := p.wait(t); code != 130 {
			t.Errorf("restart %d: exited %d, want 130:\n%s", restart, code, p.out)
		}
		if n := len(srv.Requests()); n != 1 {
			t.Fatalf("restart %d: %d requests, want only the one answered with the quota message", restart, n)
		}
	}
}

// TestUnreachableProvider: with the provider unreachable from the start,
// the run stops once the outage has lasted --outage-timeout, with exit 1
// and one line that names the provider, since when and why, and no task
// charged an attempt.
func TestUnreachableProvider(t *testing.T) {
	t.Parallel()
	const timeout = 8 * time.Second
	unreachable, err := upstream.UnreachableURL()
	if err != nil {
		t.Fatal(err)
	}
	dsn := dialects[0].dsn(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	syms := symbols("U", 12)
	start := time.Now()
	code, out := cliOutput(t, ctx, "--db", dsn, "--base-url", unreachable, "--symbols", strings.Join(syms, ","), "--days", "10",
		"--rate", "20", "--outage-timeout", timeout.String(), "--log-level", "error")
	took := time.Since(start)
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	// A bound, not a benchmark: the breaker opens within a second, and
	// the run stops when it has been open for the timeout.
	if took > timeout+15*time.Second {
		t.Errorf("the run took %s to give up, want about the outage timeout %s", took.Round(time.Second), timeout)
	}
	var stops []string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "pricefill: ") {
			stops = append(stops, line)
		}
	}
	if len(stops) != 1 {
		t.Fatalf("want one line of the program's own, got %d:\n%s", len(stops), out)
	}
	for _, want := range []string{"yahoo unreachable since", "connection refused", "nothing lost; run it again to resume"} {
		if !strings.Contains(stops[0], want) {
			t.Errorf("the line %q does not say %q", stops[0], want)
		}
	}
	tasks := mustSnapshot(t, dsn)
	if len(tasks) != len(syms) {
		t.Fatalf("%d tasks, want %d", len(tasks), len(syms))
	}
	for sym, tk := range tasks {
		if tk.Status != queue.Pending || tk.Attempts != 0 {
			t.Errorf("%s: %+v, want pending with no attempt used", sym, tk)
		}
	}
	t.Logf("gave up after %s: %s", took.Round(100*time.Millisecond), stops[0])
}
