package backfill_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/internal/fake"
	"github.com/pricefill/pricefill/queue"
	"github.com/pricefill/pricefill/ratelimit"
)

// A provider that cannot be reached is no symbol's fault: the task goes
// back without using up an attempt, however often it happens.
func TestUnreachableIsChargedToNoSymbol(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		lim := &recordingLimiter{}
		refused := pricefill.Unavailable(errors.New("dial tcp: connection refused"))
		steps := []fake.Step{{Err: refused}, {Err: refused}, {Err: refused}, {Err: refused}, {Err: refused}, {Err: refused}, {}}
		h.fetcher.Script("A", steps...)
		rep, err := h.runner(backfill.WithLimiter(lim), backfill.WithMaxAttempts(2)).Run(context.Background(), backfill.Request{Symbols: []string{"A"}, Range: march})
		if err != nil {
			t.Fatal(err)
		}
		if got := h.tasks()["A"]; got.Status != queue.Completed || got.Attempts != 0 {
			t.Errorf("A: %s after %d attempts, want completed after 0 (with --max-attempts 2)", got.Status, got.Attempts)
		}
		if rep.Deferred != 6 || rep.Retried != 0 || rep.Failed != 0 {
			t.Errorf("report: %d deferred, %d retried, %d failed; want 6, 0, 0", rep.Deferred, rep.Retried, rep.Failed)
		}
		want := []string{"wait"}
		for range 6 {
			want = append(want, "failed A unavailable", "wait")
		}
		want = append(want, "answered")
		if diff := cmp.Diff(want, lim.events()); diff != "" {
			t.Errorf("limiter calls (-want +got):\n%s", diff)
		}
	})
}

// A transient failure is charged to its symbol while the provider is up,
// and not while the limiter takes it to be down.
func TestTransientFailureDuringAnOutage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		outage   bool
		attempts int
		deferred int
	}{{false, 1, 0}, {true, 0, 1}} {
		synctest.Test(t, func(t *testing.T) {
			h := newHarness(t)
			lim := &recordingLimiter{outage: tc.outage}
			h.fetcher.Script("A", fake.Step{Err: errors.New("HTTP 503")}, fake.Step{})
			rep, err := h.runner(backfill.WithLimiter(lim)).Run(context.Background(), backfill.Request{Symbols: []string{"A"}, Range: march})
			if err != nil {
				t.Fatal(err)
			}
			if got := h.tasks()["A"]; got.Status != queue.Completed || got.Attempts != tc.attempts {
				t.Errorf("outage %t: A %s after %d attempts, want completed after %d", tc.outage, got.Status, got.Attempts, tc.attempts)
			}
			if rep.Deferred != tc.deferred {
				t.Errorf("outage %t: %d deferred, want %d", tc.outage, rep.Deferred, tc.deferred)
			}
			if diff := cmp.Diff([]string{"wait", "failed A transient", "wait", "answered"}, lim.events()); diff != "" {
				t.Errorf("outage %t: limiter calls (-want +got):\n%s", tc.outage, diff)
			}
		})
	}
}

// Answers about the symbol are answers: the limiter hears of them, and
// save failures are no news of the provider.
func TestNotFoundIsAnAnswer(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		lim := &recordingLimiter{}
		h.fetcher.Script("A", fake.Step{Err: pricefill.NotFound("A", nil)})
		if _, err := h.runner(backfill.WithLimiter(lim)).Run(context.Background(), backfill.Request{Symbols: []string{"A"}, Range: march}); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"wait", "answered"}, lim.events()); diff != "" {
			t.Errorf("limiter calls (-want +got):\n%s", diff)
		}
	})
}

// When the limiter gives up on an outage, the run stops at once with one
// line that says nothing was lost, and every task waits, its attempts
// unchanged, for the next run.
func TestOutageStopsTheRun(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		outage := &ratelimit.OutageError{Name: "yahoo", Since: now, Cause: "connection refused", Timeout: 15 * time.Minute}
		lim := &recordingLimiter{waitErrs: []error{outage, outage, outage, outage}}
		syms := []string{"A", "B", "C", "D", "E", "F"}
		rep, err := h.runner(backfill.WithLimiter(lim), backfill.WithConcurrency(2)).Run(context.Background(), backfill.Request{Symbols: syms, Range: march})
		if !errors.Is(err, pricefill.ErrUnavailable) {
			t.Fatalf("Run = %v, want an error matching ErrUnavailable", err)
		}
		for _, want := range []string{"yahoo unreachable since", "connection refused", "nothing lost; run it again to resume"} {
			if !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("Run's error %q: want one line with %q", err, want)
			}
		}
		if rep == nil || rep.Unfinished != len(syms) || rep.Succeeded != 0 {
			t.Fatalf("report %+v: want %d unfinished, none succeeded", rep, len(syms))
		}
		for sym, task := range h.tasks() {
			if task.Status != queue.Pending || task.Attempts != 0 {
				t.Errorf("%s: %s after %d attempts, want pending after 0", sym, task.Status, task.Attempts)
			}
		}
		if n := len(h.fetcher.Calls()); n != 0 {
			t.Errorf("%d fetches, want none", n)
		}
	})
}

// A limiter that fails (its ledger's database restarting) gives the task
// back and backs the worker off, as a failing queue does; one that keeps
// failing ends the run.
func TestLimiterFailureBacksOff(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		down := errors.New("ratelimit: budget yahoo: connection refused")
		lim := &recordingLimiter{waitErrs: []error{down, down}}
		start := h.clock.Now()
		rep, err := h.runner(backfill.WithLimiter(lim), backfill.WithConcurrency(1)).Run(context.Background(), backfill.Request{Symbols: []string{"A"}, Range: march})
		if err != nil || rep.Succeeded != 1 {
			t.Fatalf("Run = %v with %d succeeded, want it to complete A after two failures of the limiter", err, rep.Succeeded)
		}
		if got := h.tasks()["A"]; got.Attempts != 0 {
			t.Errorf("A used %d attempts, want 0", got.Attempts)
		}
		if d := h.clock.Now().Sub(start); d != 3*time.Second {
			t.Errorf("the run took %s, want 3s: backing off 1 s, then 2 s", d)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		down := errors.New("ratelimit: budget yahoo: connection refused")
		lim := &recordingLimiter{waitErrs: []error{down, down, down, down, down, down}}
		_, err := h.runner(backfill.WithLimiter(lim), backfill.WithConcurrency(1)).Run(context.Background(), backfill.Request{Symbols: []string{"A"}, Range: march})
		if err == nil || !strings.Contains(err.Error(), "the limiter failed 6 times in a row") {
			t.Fatalf("Run = %v, want the run to end after 6 failures of the limiter", err)
		}
		if got := h.tasks()["A"]; got.Status != queue.Pending || got.Attempts != 0 {
			t.Errorf("A: %s after %d attempts, want pending after 0", got.Status, got.Attempts)
		}
	})
}
