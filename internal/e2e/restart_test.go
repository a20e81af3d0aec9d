package e2e

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/backfill/httpopt"
	"github.com/pricefill/pricefill/backfill/yahoo"
	"github.com/pricefill/pricefill/internal/pgtest"
	"github.com/pricefill/pricefill/internal/upstream"
	"github.com/pricefill/pricefill/queue"
	"github.com/pricefill/pricefill/ratelimit"
)

// The restart run: long enough (100 symbols at 50 ms each, 4 at a time)
// that most of it is still ahead when the database stops.
const (
	restartSymbols = 100
	restartDays    = 15
	restartWorkers = 4
	// restartStopAfter is how many tasks complete before the stop.
	restartStopAfter = 10
	// restartLease is short, so that tasks whose end could not be
	// recorded are taken over soon after the restart.
	restartLease = 2 * time.Second
)

// TestPostgresRestart crashes PostgreSQL under a running Runner and starts
// it again: no symbol is ever half-written, what was committed survives,
// and the run (or a second one, if the first gave up) completes every task
// with every valid bar stored once.
func TestPostgresRestart(t *testing.T) {
	t.Parallel()
	cluster := pgtest.NewCluster(t)
	srv := upstream.ForTest(t, upstream.WithLatency(50*time.Millisecond))
	db := openStore(t, cluster.URL())

	// The signals of the run: some tasks completed, and the run met the
	// stopped database (it logs a warning or an error).
	completed := make(chan struct{})
	var completedOnce sync.Once
	var stopped atomic.Bool
	noticed := make(chan struct{})
	var noticedOnce sync.Once
	watch := func(h slog.Handler) slog.Handler {
		return notifyHandler{Handler: h, notify: func(r slog.Record) {
			if r.Level >= slog.LevelWarn && stopped.Load() {
				noticedOnce.Do(func() { close(noticed) })
			}
		}}
	}
	lim, err := ratelimit.New(ratelimit.WithInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	f, err := yahoo.New(httpopt.WithBaseURL(srv.URL()), httpopt.WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	r, err := backfill.New(f, db,
		backfill.WithLimiter(lim),
		backfill.WithConcurrency(restartWorkers),
		backfill.WithLease(restartLease),
		// A failed save counts as a transient failure: a few of them must
		// not give a symbol up.
		backfill.WithMaxAttempts(10),
		backfill.WithRetryBackoff(backfill.ExponentialBackoff(50*time.Millisecond, 500*time.Millisecond, 0)),
		backfill.WithLogger(testLogger(t, watch)),
		backfill.WithProgress(func(p backfill.Progress) {
			if p.Succeeded >= restartStopAfter {
				completedOnce.Do(func() { close(completed) })
			}
		}),
	)
	if err != nil {
		t.Fatal(err)
	}

	syms := symbols("R", restartSymbols)
	start := time.Now()
	rng := runRange(start, restartDays)
	req := backfill.Request{Symbols: syms, Range: rng}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	type outcome struct {
		rep *backfill.Report
		err error
	}
	first := make(chan outcome, 1)
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		rep, err := r.Run(ctx, req)
		first <- outcome{rep, err}
	}()
	// On a failure below, the run must still end before the test does.
	defer func() {
		cancel()
		<-ran
	}()

	select {
	case <-completed:
	case o := <-first:
		t.Fatalf("the run ended before %d tasks were reported completed: %v", restartStopAfter, o.err)
	case <-time.After(30 * time.Second):
		t.Fatalf("%d tasks not completed within 30 s", restartStopAfter)
	}
	before := mustSnapshot(t, cluster.URL())
	stopped.Store(true)
	cluster.Stop(t)
	select {
	case <-noticed:
	case <-time.After(30 * time.Second):
		t.Fatalf("the run logged no warning within 30 s of the database's stop")
	}
	cluster.Start(t)

	// Right after the restart, while the run goes on: every symbol has
	// all its bars or none, and what was completed before the stop still is.
	// (Checked against the bars expected once the run is over.)
	mid := mustSnapshot(t, cluster.URL())
	done := 0
	for sym, tk := range before {
		if tk.Status == queue.Completed {
			done++
			if mid[sym].Status != queue.Completed {
				t.Errorf("%s was completed before the crash and is %s after it: a committed transaction was lost", sym, mid[sym].Status)
			}
		}
	}
	if done == 0 || done == restartSymbols {
		t.Errorf("%d of %d tasks completed before the stop; want some, not all", done, restartSymbols)
	}

	var o outcome
	select {
	case o = <-first:
	case <-time.After(time.Minute):
		t.Fatalf("the run did not end within a minute of the restart")
	}
	t.Logf("the first run: %v; %d succeeded, %d unfinished", o.err, o.rep.Succeeded, o.rep.Unfinished)
	if o.err != nil {
		// Allowed: the run may give up while the database is away. A
		// second run must then finish the job.
		t.Logf("the first run ended with %v; running again", o.err)
		rctx, rcancel := context.WithTimeout(context.Background(), time.Minute)
		defer rcancel()
		o.rep, o.err = r.Run(rctx, req)
		if o.err != nil {
			t.Fatalf("the second run: %v", o.err)
		}
	}
	if o.rep.Unfinished != 0 || o.rep.Failed != 0 {
		t.Errorf("the run ended with %d tasks unfinished and %d failed, want none: %+v", o.rep.Unfinished, o.rep.Failed, o.rep.Failures)
	}

	after := mustSnapshot(t, cluster.URL())
	e := expect(srv, syms, rng, start, time.Now())
	checkAllOrNothing(t, mid, e)
	checkAllOrNothing(t, after, e)
	total, inserted := 0, 0
	for _, s := range syms {
		if tk := after[s]; tk.Status != queue.Completed {
			t.Errorf("%s: %+v at the end, want completed", s, tk)
		}
		total += e.check(t, s, storedBars(t, db, s))
		inserted += int(after[s].Inserted)
	}
	if inserted != total {
		t.Errorf("%d bars expected; the tasks recorded %d inserted", total, inserted)
	}
}

// notifyHandler is a slog.Handler that calls notify with every record it
// handles.
type notifyHandler struct {
	slog.Handler
	notify func(slog.Record)
}

func (h notifyHandler) Handle(ctx context.Context, r slog.Record) error {
	h.notify(r)
	return h.Handler.Handle(ctx, r)
}

func (h notifyHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return notifyHandler{Handler: h.Handler.WithAttrs(as), notify: h.notify}
}

func (h notifyHandler) WithGroup(name string) slog.Handler {
	return notifyHandler{Handler: h.Handler.WithGroup(name), notify: h.notify}
}
