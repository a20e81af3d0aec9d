package e2e

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pricefill/pricefill/internal/upstream"
	"github.com/pricefill/pricefill/queue"
)

// refuseFlag is the --outage-timeout of TestProviderOnlyRefuses: how long
// the provider refuses every request before the run stops. 15m runs the
// story at the program's default timeout; the next run then starts at
// the adaptive pace the refusals left, as slow as one request a minute
// after 15 minutes of Retry-After: 1, and may take as long again.
var refuseFlag = flag.Duration("e2e.refuse", 3*time.Second, "the --outage-timeout of TestProviderOnlyRefuses")

const (
	refuseSymbols     = 12
	refuseConcurrency = 4
)

// TestProviderOnlyRefuses: a provider that answers 429 to every request,
// with Retry-After: 1 (SQLite's run) or without one (PostgreSQL's), stops
// a run (--once, the default) once it has refused every request for
// --outage-timeout: exit 1, one line that says so and that nothing is
// lost, every task left to the next run with no attempt used, a handful
// of requests sent. Once the provider answers again, the next run
// completes every symbol.
func TestProviderOnlyRefuses(t *testing.T) {
	t.Parallel()
	for i, d := range dialects {
		retryAfter := []string{"1", ""}[i%2]
		name := d.name + "/retry-after-" + retryAfter
		if retryAfter == "" {
			name = d.name + "/no-retry-after"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			providerOnlyRefuses(t, d.dsn(t), retryAfter, *refuseFlag)
		})
	}
}

func providerOnlyRefuses(t *testing.T, dsn, retryAfter string, timeout time.Duration) {
	srv := upstream.ForTest(t)
	syms := symbols("R", refuseSymbols)
	for _, s := range syms {
		srv.SetFault(s, upstream.Fault{Kind: upstream.RateLimit, RetryAfter: retryAfter})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute+2*timeout)
	defer cancel()
	args := []string{"--db", dsn, "--base-url", srv.URL(), "--symbols", strings.Join(syms, ","), "--days", "10",
		"--rate", "20", "--concurrency", fmt.Sprint(refuseConcurrency), "--outage-timeout", timeout.String(), "--log-level", "error"}

	// The run that meets the refusals is killed if it has not stopped
	// well after the timeout.
	runCtx, cancelRun := context.WithTimeout(ctx, timeout+30*time.Second)
	defer cancelRun()
	start := time.Now()
	cmd, out := cliCommand(t, runCtx, args...)
	code := exitCode(t, cmd.Run())
	took := time.Since(start)
	if code != 1 {
		t.Fatalf("exit %d after %s, want 1 (-1: still running, killed):\n%s", code, took.Round(time.Millisecond), out)
	}
	// A bound, not a benchmark: the first refusal comes at once, and the
	// run stops when the refusals have lasted the timeout.
	if took < timeout || took > timeout+15*time.Second {
		t.Errorf("the run took %s to give up, want about the outage timeout %s", took.Round(time.Millisecond), timeout)
	}
	var stops []string
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(line, "pricefill: ") {
			stops = append(stops, line)
		}
	}
	if len(stops) != 1 {
		t.Fatalf("want one line of the program's own, got %d:\n%s", len(stops), out)
	}
	for _, want := range []string{"yahoo refused every request since", fmt.Sprintf("(for %s or more)", timeout), "429",
		"nothing lost; run it again to resume"} {
		if !strings.Contains(stops[0], want) {
			t.Errorf("the line %q does not say %q", stops[0], want)
		}
	}

	// Every request was refused, and there were few: at most a burst of
	// the workers per cool-down, a cool-down being at least a second.
	reqs := srv.Requests()
	for _, q := range reqs {
		if q.Status != http.StatusTooManyRequests {
			t.Errorf("a request for %q was answered %d, want only 429s", q.Symbol, q.Status)
		}
	}
	if most := refuseConcurrency * (int(timeout/time.Second) + 1); len(reqs) == 0 || len(reqs) > most {
		t.Errorf("%d requests reached the provider, want 1 to %d", len(reqs), most)
	}
	tasks := mustSnapshot(t, dsn)
	if len(tasks) != len(syms) {
		t.Fatalf("%d tasks, want %d", len(tasks), len(syms))
	}
	for sym, tk := range tasks {
		if (tk.Status != queue.Pending && tk.Status != queue.RateLimited) || tk.Attempts != 0 || tk.Bars != 0 {
			t.Errorf("%s: %+v, want pending or rate limited for a moment, with no attempt used and no bar", sym, tk)
		}
	}
	code, status := cliOutput(t, ctx, append(args, "--status")...)
	if code != 0 || !strings.Contains(status, "every request refused since") {
		t.Errorf("--status exited %d and does not say that every request was refused:\n%s", code, status)
	}
	t.Logf("gave up after %s and %d requests (peak RSS %s): %s\n%s", took.Round(10*time.Millisecond), len(reqs),
		mib(peakRSS(cmd.ProcessState)), stops[0], status)

	// The provider answers again: the next run completes everything,
	// one request a symbol.
	for _, s := range syms {
		srv.SetFault(s, upstream.Fault{Kind: upstream.None})
	}
	srv.Reset()
	start = time.Now()
	cmd, out = cliCommand(t, ctx, args...)
	code = exitCode(t, cmd.Run())
	took = time.Since(start)
	end := time.Now()
	if code != 0 {
		t.Fatalf("the run after the provider came back exited %d, want 0:\n%s", code, out)
	}
	if n := len(srv.Requests()); n != refuseSymbols {
		t.Errorf("the run after the provider came back made %d requests, want %d", n, refuseSymbols)
	}
	db := openStore(t, dsn)
	e := expect(srv, syms, runRange(start, 10), start, end)
	for _, s := range syms {
		if tk := mustSnapshot(t, dsn)[s]; tk.Status != queue.Completed || tk.Attempts != 0 {
			t.Errorf("%s: %+v, want completed with no attempt used", s, tk)
		}
		e.check(t, s, storedBars(t, db, s))
	}
	t.Logf("the next run completed %d symbols in %s with %d requests (peak RSS %s)", refuseSymbols, took.Round(10*time.Millisecond),
		len(srv.Requests()), mib(peakRSS(cmd.ProcessState)))
}
