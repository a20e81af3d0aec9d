package backfill_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
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
	"github.com/pricefill/pricefill/validate"
)

func TestRunStoresEverySymbol(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		symbols := []string{"AAPL", "MSFT", "BRK.B"}
		rep := runMarch(t, h, []backfill.Option{backfill.WithLimiter(noLimit)}, symbols...)
		for _, s := range symbols {
			if diff := cmp.Diff(fake.Bars(s, march), h.store.Bars(s)); diff != "" {
				t.Errorf("stored bars of %s (-want +got):\n%s", s, diff)
			}
			if got := h.tasks()[s]; got.Status != queue.Completed || got.Result.Inserted != 20 {
				t.Errorf("task %s: %s with %+v, want completed with 20 inserted", s, got.Status, got.Result)
			}
		}
		want := backfill.Report{
			Range: march, Started: now, Total: 3, Succeeded: 3, Requests: 3, Counts: pricefill.Counts{Inserted: 60},
			RejectedByRule: map[pricefill.Rule]int{}, ServedBy: map[string]int{"fake": 3},
			Symbols: []backfill.SymbolReport{
				{Symbol: "AAPL", Status: queue.Completed, Requests: 1, Counts: pricefill.Counts{Inserted: 20}, Completeness: 100, Source: "fake"},
				{Symbol: "BRK.B", Status: queue.Completed, Requests: 1, Counts: pricefill.Counts{Inserted: 20}, Completeness: 100, Source: "fake"},
				{Symbol: "MSFT", Status: queue.Completed, Requests: 1, Counts: pricefill.Counts{Inserted: 20}, Completeness: 100, Source: "fake"},
			},
		}
		if diff := cmp.Diff(want, *rep); diff != "" {
			t.Errorf("report (-want +got):\n%s", diff)
		}
	})
}

func TestRunRejectsBadRequests(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.runner(backfill.WithLimiter(noLimit))
	for _, tc := range []struct {
		name string
		req  backfill.Request
		want string
	}{
		{"no symbols", backfill.Request{Range: march}, "no symbols"},
		{"malformed symbols", backfill.Request{Symbols: []string{"AAPL", "DROP TABLE", "", strings.Repeat("X", 50)}, Range: march}, `3 malformed symbols: symbol "DROP TABLE"`},
		{"range backwards", backfill.Request{Symbols: []string{"AAPL"}, Range: pricefill.Range{From: march.To, To: march.From}}, "ends before it starts"},
		{"no range", backfill.Request{Symbols: []string{"AAPL"}}, "both dates are required"},
	} {
		_, err := r.Run(context.Background(), tc.req)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Run error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	if calls := h.fetcher.Calls(); len(calls) != 0 {
		t.Errorf("bad requests made %d fetches, want none", len(calls))
	}
	if tasks := h.tasks(); len(tasks) != 0 {
		t.Errorf("bad requests queued %d tasks, want none", len(tasks))
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	t.Parallel()
	f, s := fake.NewFetcher(nil), fake.NewStore()
	for _, tc := range []struct {
		opt  backfill.Option
		want string
	}{
		{backfill.WithConcurrency(-1), "concurrency -1"},
		{backfill.WithMaxAttempts(-1), "max attempts -1"},
		{backfill.WithLease(time.Millisecond), "lease 1ms"},
		{backfill.WithProgressInterval(time.Millisecond), "progress interval 1ms"},
		{backfill.WithGracePeriod(-time.Second), "grace period -1s"},
		{backfill.WithHoleBackoff(time.Hour, time.Second), "hole backoff step 1s"},
	} {
		_, err := backfill.New(f, s, tc.opt)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New error %v, want one containing %q", err, tc.want)
		}
	}
	if _, err := backfill.New(nil, s); err == nil {
		t.Errorf("New with a nil fetcher succeeded")
	}
	if _, err := backfill.New(f, nil); err == nil {
		t.Errorf("New with a nil store succeeded")
	}
}

// TestZeroOptionsMeanTheDefaults: zero is the default, for every option
// whose zero is not a setting of its own: a symbol that always fails is
// given up after MaxAttemptsDefault attempts.
func TestZeroOptionsMeanTheDefaults(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		h.fetcher.Script("DEAD", fake.Step{Err: errors.New("connection reset")})
		rep := runMarch(t, h, []backfill.Option{backfill.WithLimiter(noLimit), backfill.WithConcurrency(0), backfill.WithMaxAttempts(0),
			backfill.WithLease(0), backfill.WithProgressInterval(0)}, "AAPL", "DEAD")
		if got := h.tasks()["DEAD"]; got.Status != queue.PermanentlyFailed || got.Attempts != backfill.MaxAttemptsDefault {
			t.Errorf("DEAD: %s after %d attempts, want permanently_failed after %d", got.Status, got.Attempts, backfill.MaxAttemptsDefault)
		}
		if rep.Succeeded != 1 || rep.Failed != 1 {
			t.Errorf("report: %d succeeded, %d failed; want 1, 1", rep.Succeeded, rep.Failed)
		}
	})
}

func TestFailuresAreIsolated(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		transient := errors.New("connection reset")
		h.fetcher.Script("GONE", fake.Step{Err: pricefill.NotFound("GONE", nil)})
		h.fetcher.Script("AUTH", fake.Step{Err: pricefill.Permanent(errors.New("HTTP 401: bad key"))})
		h.fetcher.Script("FLAKY", fake.Step{Err: transient}, fake.Step{Err: transient}, fake.Step{})
		h.fetcher.Script("DEAD", fake.Step{Err: transient})
		h.fetcher.Script("BUSY", fake.Step{Err: pricefill.RateLimited(7*time.Second, nil)}, fake.Step{})
		h.fetcher.Script("BOOM", fake.Step{Panic: "nil map"})
		symbols := []string{"AAPL", "GONE", "AUTH", "FLAKY", "DEAD", "BUSY", "BOOM", "MSFT"}

		rep := runMarch(t, h, []backfill.Option{backfill.WithLimiter(noLimit)}, symbols...)
		tasks := h.tasks()
		want := map[string]struct {
			status   queue.Status
			attempts int
			fetches  int
		}{
			"AAPL":  {queue.Completed, 0, 1},
			"MSFT":  {queue.Completed, 0, 1},
			"GONE":  {queue.PermanentlyFailed, 0, 1},
			"AUTH":  {queue.PermanentlyFailed, 0, 1},
			"FLAKY": {queue.Completed, 2, 3},
			"DEAD":  {queue.PermanentlyFailed, backfill.MaxAttemptsDefault, backfill.MaxAttemptsDefault},
			"BUSY":  {queue.Completed, 0, 2},
			"BOOM":  {queue.PermanentlyFailed, 0, 1},
		}
		for s, w := range want {
			got := tasks[s]
			if got.Status != w.status || got.Attempts != w.attempts {
				t.Errorf("%s: %s after %d attempts, want %s after %d", s, got.Status, got.Attempts, w.status, w.attempts)
			}
			if n := len(h.fetcher.CallsFor(s)); n != w.fetches {
				t.Errorf("%s fetched %d times, want %d", s, n, w.fetches)
			}
		}
		if rep.Succeeded != 4 || rep.Failed != 4 || rep.Requests != 15 || rep.RateLimited != 1 || rep.Retried != 2+backfill.MaxAttemptsDefault-1 {
			t.Errorf("report: %d succeeded, %d failed, %d requests, %d rate limited, %d retried; want 4, 4, 15, 1, %d",
				rep.Succeeded, rep.Failed, rep.Requests, rep.RateLimited, rep.Retried, 2+backfill.MaxAttemptsDefault-1)
		}
		gotFailures := map[string]pricefill.Kind{}
		for _, f := range rep.Failures {
			gotFailures[f.Symbol] = f.Kind
		}
		wantFailures := map[string]pricefill.Kind{"GONE": pricefill.KindNotFound, "AUTH": pricefill.KindPermanent, "DEAD": pricefill.KindTransient, "BOOM": pricefill.KindPermanent}
		if diff := cmp.Diff(wantFailures, gotFailures); diff != "" {
			t.Errorf("failure kinds (-want +got):\n%s", diff)
		}
		if got := tasks["BOOM"].LastError; !strings.Contains(got, "fetcher panicked: nil map") {
			t.Errorf("last_error of the panicking symbol = %q", got)
		}
	})
}

func TestTransientFailuresBackOff(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		h.fetcher.Script("DEAD", fake.Step{Err: errors.New("HTTP 503")})
		runMarch(t, h, []backfill.Option{backfill.WithLimiter(noLimit)}, "DEAD")
		var gaps []time.Duration
		calls := h.fetcher.CallsFor("DEAD")
		for i := 1; i < len(calls); i++ {
			gaps = append(gaps, calls[i].At.Sub(calls[i-1].At))
		}
		want := []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, 40 * time.Second}
		if diff := cmp.Diff(want, gaps); diff != "" {
			t.Errorf("waits between attempts (-want +got):\n%s", diff)
		}
	})
}

func TestRateLimitCoolsTheLimiterDown(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		lim := &recordingLimiter{}
		h.fetcher.Script("A", fake.Step{Err: pricefill.RateLimited(30*time.Second, errors.New("HTTP 429"))}, fake.Step{Err: pricefill.RateLimited(0, nil)}, fake.Step{})
		rep := runMarch(t, h, []backfill.Option{backfill.WithLimiter(lim), backfill.WithMaxAttempts(1)}, "A")
		if got := h.tasks()["A"]; got.Status != queue.Completed || got.Attempts != 0 {
			t.Errorf("A: %s after %d attempts, want completed after 0: rate limits use no attempt", got.Status, got.Attempts)
		}
		calls := h.fetcher.CallsFor("A")
		if len(calls) != 3 {
			t.Fatalf("%d fetches, want 3", len(calls))
		}
		if d := calls[1].At.Sub(calls[0].At); d != 30*time.Second {
			t.Errorf("retry after a 429 with Retry-After 30s came after %s", d)
		}
		if d := calls[2].At.Sub(calls[1].At); d != backfill.RetryInitialDefault {
			t.Errorf("retry after a 429 without Retry-After came after %s, want %s", d, backfill.RetryInitialDefault)
		}
		if diff := cmp.Diff([]string{"wait", "refused 30s", "wait", "refused 0s", "wait", "answered"}, lim.events()); diff != "" {
			t.Errorf("limiter calls (-want +got):\n%s", diff)
		}
		if rep.RateLimited != 2 || rep.Retried != 0 {
			t.Errorf("report counts %d rate limited, %d retried; want 2, 0", rep.RateLimited, rep.Retried)
		}
	})
}

func TestInvalidBarsAreSkippedAndCounted(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		good := fake.Bars("AAPL", march)
		bad1 := fake.Bar("AAPL", pricefill.Date(2026, 3, 3))
		bad1.High = bad1.Low - 1 // high below low, open and close outside
		bad2 := fake.Bar("AAPL", pricefill.Date(2026, 2, 2))
		bad2.Volume = -5 // outside the range, negative volume
		bars := append([]pricefill.Bar{bad2}, good[:1]...)
		bars = append(bars, bad1)
		bars = append(bars, good[2:]...)
		h.fetcher.Script("AAPL", fake.Step{Bars: bars})
		rep := runMarch(t, h, []backfill.Option{backfill.WithLimiter(noLimit)}, "AAPL")
		want := append(append([]pricefill.Bar{}, good[:1]...), good[2:]...)
		if diff := cmp.Diff(want, h.store.Bars("AAPL")); diff != "" {
			t.Errorf("stored bars (-want +got):\n%s", diff)
		}
		if rep.Rejected != 2 || rep.Inserted != 19 {
			t.Errorf("report: %d rejected, %d inserted; want 2, 19", rep.Rejected, rep.Inserted)
		}
		wantRules := map[pricefill.Rule]int{
			validate.RuleHighBelowLow: 1, validate.RuleOutsideRange: 1, validate.RuleVolumeNegative: 1,
		}
		if diff := cmp.Diff(wantRules, rep.RejectedByRule); diff != "" {
			t.Errorf("rejects by rule (-want +got):\n%s", diff)
		}
	})
}

func TestStoreFailureIsRetried(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		h.store.FailSaves("AAPL", errors.New("database is locked"))
		rep := runMarch(t, h, []backfill.Option{backfill.WithLimiter(noLimit)}, "AAPL")
		if got := h.tasks()["AAPL"]; got.Status != queue.Completed || got.Attempts != 1 || !strings.Contains(got.LastError, "saving the bars: database is locked") {
			t.Errorf("AAPL: %s, %d attempts, %q; want completed after 1 failed attempt naming the store", got.Status, got.Attempts, got.LastError)
		}
		if rep.Inserted != 20 || rep.Requests != 2 {
			t.Errorf("report: %d inserted, %d requests; want 20, 2", rep.Inserted, rep.Requests)
		}
	})
}

func TestProgressIsReported(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		// One symbol a minute: the 30 s ticks must show between them.
		limiter := backfill.LimiterFunc(func(ctx context.Context) error { return pricefill.Sleep(ctx, h.clock, time.Minute) })
		symbols := make([]string, 20)
		for i := range symbols {
			symbols[i] = fmt.Sprintf("S%02d", i)
		}
		runMarch(t, h, []backfill.Option{backfill.WithLimiter(limiter), backfill.WithConcurrency(1)}, symbols...)
		events := h.progressEvents()
		// 20 tasks: an event each time another 2 are done, and one at
		// least every 30 s.
		for k := 2; k <= 20; k += 2 {
			if !slices.ContainsFunc(events, func(p backfill.Progress) bool { return p.Done == k }) {
				t.Errorf("no progress event at %d done", k)
			}
		}
		for i := 1; i < len(events); i++ {
			if gap := events[i].Elapsed - events[i-1].Elapsed; gap > 30*time.Second {
				t.Errorf("%s between progress events %d and %d, want at most 30s", gap, i-1, i)
			}
		}
		last := events[len(events)-1]
		if last.Done != 20 || last.Succeeded != 20 || last.Total != 20 || last.Requests != 20 {
			t.Errorf("last progress = %+v, want 20 of 20 done and succeeded after 20 requests", last)
		}
		for i := 1; i < len(events); i++ {
			if events[i].Done < events[i-1].Done {
				t.Fatalf("progress went backwards: %+v then %+v", events[i-1], events[i])
			}
		}
		mid := events[len(events)/2]
		if mid.Rate <= 0 || mid.ETA <= 0 {
			t.Errorf("progress midway has rate %v and ETA %v, want both positive", mid.Rate, mid.ETA)
		}
	})
}

func TestCancelFinishesOrReleasesInFlightTasks(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		quick, stuck := make(chan struct{}), make(chan struct{})
		defer close(stuck)
		h.fetcher.Script("QUICK", fake.Step{Block: quick})
		h.fetcher.Script("STUCK", fake.Step{Block: stuck}, fake.Step{})
		ctx, cancel := context.WithCancel(context.Background())
		r := h.runner(backfill.WithLimiter(noLimit), backfill.WithConcurrency(2), backfill.WithGracePeriod(10*time.Second))
		symbols := []string{"QUICK", "STUCK", "LATER"}
		var (
			rep *backfill.Report
			err error
		)
		done := make(chan struct{})
		go func() {
			defer close(done)
			rep, err = r.Run(ctx, backfill.Request{Symbols: symbols, Range: march})
		}()
		synctest.Wait() // both workers are blocked in their fetches
		cancel()
		time.Sleep(5 * time.Second) // virtual: within the grace period
		close(quick)
		<-done
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run error %v, want context.Canceled", err)
		}
		tasks := h.tasks()
		if tasks["QUICK"].Status != queue.Completed || tasks["STUCK"].Status != queue.Pending || tasks["LATER"].Status != queue.Pending {
			t.Errorf("statuses QUICK %s, STUCK %s, LATER %s; want completed, pending, pending",
				tasks["QUICK"].Status, tasks["STUCK"].Status, tasks["LATER"].Status)
		}
		if n := len(h.fetcher.CallsFor("LATER")); n != 0 {
			t.Errorf("LATER fetched %d times after the cancel, want 0", n)
		}
		if !rep.Interrupted || rep.Succeeded != 1 || rep.Unfinished != 2 {
			t.Errorf("report: interrupted %v, %d succeeded, %d unfinished; want true, 1, 2", rep.Interrupted, rep.Succeeded, rep.Unfinished)
		}

		// A second run resumes: QUICK is not fetched again.
		rep = runMarch(t, h, []backfill.Option{backfill.WithLimiter(noLimit)}, symbols...)
		if n := len(h.fetcher.CallsFor("QUICK")); n != 1 {
			t.Errorf("QUICK fetched %d times over two runs, want 1", n)
		}
		if rep.AlreadyDone != 1 || rep.Succeeded != 2 || h.store.Count() != 60 {
			t.Errorf("resumed run: %d already done, %d succeeded, %d bars stored; want 1, 2, 60", rep.AlreadyDone, rep.Succeeded, h.store.Count())
		}
	})
}

func TestLongTaskKeepsItsLease(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		release := make(chan struct{})
		h.fetcher.Script("SLOW", fake.Step{Block: release})
		done := make(chan error)
		go func() {
			_, err := h.runner(backfill.WithLimiter(noLimit), backfill.WithConcurrency(4), backfill.WithLease(time.Minute)).
				Run(context.Background(), backfill.Request{Symbols: []string{"SLOW"}, Range: march})
			done <- err
		}()
		time.Sleep(10 * time.Minute) // virtual: ten leases long
		synctest.Wait()
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if n := len(h.fetcher.CallsFor("SLOW")); n != 1 {
			t.Errorf("SLOW fetched %d times, want 1: its lease was renewed, so no idle worker took it", n)
		}
	})
}

func TestLostLeaseDropsTheTask(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		q := &losingQueue{Memory: h.queue}
		release := make(chan struct{})
		h.fetcher.Script("A", fake.Step{Block: release}, fake.Step{})
		done := make(chan error)
		go func() {
			_, err := h.runner(backfill.WithQueue(q), backfill.WithLimiter(noLimit), backfill.WithConcurrency(1), backfill.WithLease(time.Minute)).
				Run(context.Background(), backfill.Request{Symbols: []string{"A"}, Range: march})
			done <- err
		}()
		synctest.Wait()
		time.Sleep(time.Minute) // the renewal at 20 s is refused; the lease expires at 60 s
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		close(release)
		if n := len(h.fetcher.CallsFor("A")); n != 2 {
			t.Errorf("A fetched %d times, want 2: the fetch that lost its lease is abandoned and redone", n)
		}
		if got := h.tasks()["A"]; got.Status != queue.Completed {
			t.Errorf("A: %s, want completed", got.Status)
		}
	})
}

func TestQueueOutageEndsTheRun(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		q := &brokenQueue{Memory: h.queue}
		_, err := h.runner(backfill.WithQueue(q), backfill.WithLimiter(noLimit)).Run(context.Background(), backfill.Request{Symbols: []string{"A"}, Range: march})
		if err == nil || !strings.Contains(err.Error(), "queue failed 6 times in a row: connection refused") {
			t.Errorf("Run error %v, want the queue failure", err)
		}
	})
}

// TestStoreThatCompletesTheTask checks that the runner saves with
// SaveAndComplete exactly when the store completes the tasks of the
// runner's queue, and finishes the tasks itself otherwise.
func TestStoreThatCompletesTheTask(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// queue is the runner's queue, from the store's own queue.
		queue         func(own *countingQueue) *countingQueue
		wantCompleted bool
	}{
		{"the store's queue", func(own *countingQueue) *countingQueue { return own }, true},
		{"another queue", func(own *countingQueue) *countingQueue { return &countingQueue{Memory: own.Memory} }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t)
				own := &countingQueue{Memory: h.queue}
				q := tc.queue(own)
				store := &completingStore{Store: h.store, own: own}
				r, err := backfill.New(h.fetcher, store, backfill.WithQueue(q), backfill.WithClock(h.clock), backfill.WithLimiter(noLimit),
					backfill.WithLogger(slog.New(slog.DiscardHandler)))
				if err != nil {
					t.Fatal(err)
				}
				rep, err := r.Run(context.Background(), backfill.Request{Symbols: []string{"A", "B"}, Range: march})
				if err != nil {
					t.Fatal(err)
				}
				wantSaves, wantCompletions, wantFinishes := 2, 0, 2
				if tc.wantCompleted {
					wantSaves, wantCompletions, wantFinishes = 0, 2, 0
				}
				if store.saves != wantSaves || store.completions != wantCompletions || q.finishes != wantFinishes {
					t.Errorf("%d Save, %d SaveAndComplete, %d Finish by the runner; want %d, %d, %d",
						store.saves, store.completions, q.finishes, wantSaves, wantCompletions, wantFinishes)
				}
				task := h.tasks()["A"]
				if rep.Succeeded != 2 || task.Status != queue.Completed || task.Result.Inserted != 20 || task.Result.Completeness != 100 {
					t.Errorf("%d succeeded, A %s %+v; want 2, completed with 20 inserted, 100%% complete", rep.Succeeded, task.Status, task.Result)
				}
			})
		})
	}
}

// TestWorkersStayUnderTheLimiter runs 4 workers with the default limiter
// against a fetcher that answers at once, and checks on the injected clock
// that no two requests came closer than a second and that no rolling hour
// held more than the limiter's budget.
func TestWorkersStayUnderTheLimiter(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		lim, err := ratelimit.New(ratelimit.WithClock(h.clock), ratelimit.WithHourlyLimit(30))
		if err != nil {
			t.Fatal(err)
		}
		symbols := make([]string, 80)
		for i := range symbols {
			symbols[i] = fmt.Sprintf("S%02d", i)
		}
		h.fetcher.Script("S07", fake.Step{Err: pricefill.RateLimited(0, nil)}, fake.Step{})
		rep := runMarch(t, h, []backfill.Option{backfill.WithLimiter(lim), backfill.WithConcurrency(4)}, symbols...)
		calls := h.fetcher.Calls()
		if len(calls) != 81 || rep.Succeeded != 80 {
			t.Fatalf("%d fetches, %d succeeded; want 81, 80", len(calls), rep.Succeeded)
		}
		for i := 1; i < len(calls); i++ {
			if gap := calls[i].At.Sub(calls[i-1].At); gap < ratelimit.IntervalDefault {
				t.Errorf("requests %d and %d came %s apart, want at least %s", i-1, i, gap, ratelimit.IntervalDefault)
			}
		}
		for i := range calls {
			j := i
			for j < len(calls) && calls[j].At.Sub(calls[i].At) < time.Hour {
				j++
			}
			if j-i > 30 {
				t.Fatalf("%d requests in the hour from %s, want at most 30", j-i, calls[i].At)
			}
		}
		// 81 requests at 30 an hour: the last is in the third hour.
		if d := calls[80].At.Sub(calls[0].At); d < 2*time.Hour {
			t.Errorf("81 requests took %s, want at least 2h at 30 an hour", d)
		}
		if rep.LimiterWait <= 0 {
			t.Errorf("report says no time waited on the limiter")
		}
	})
}

// runMarch runs a runner of h with opts on symbols over march, failing
// the test when the run fails, and returns the report.
func runMarch(t *testing.T, h *harness, opts []backfill.Option, symbols ...string) *backfill.Report {
	t.Helper()
	rep, err := h.runner(opts...).Run(context.Background(), backfill.Request{Symbols: symbols, Range: march})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return rep
}
