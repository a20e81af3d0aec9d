package e2e

import (
	"context"
	"flag"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/backfill/httpopt"
	"github.com/pricefill/pricefill/backfill/yahoo"
	"github.com/pricefill/pricefill/internal/upstream"
	"github.com/pricefill/pricefill/queue"
	"github.com/pricefill/pricefill/ratelimit"
)

// outageFlag is how long the provider is gone in TestOutageMidRun. The
// probes of the breaker are scaled with it, from their defaults of 5 s
// doubling to a minute for a 100 s outage: the default 10 s runs the same
// story ten times faster. The benchmark's outage experiment runs the
// program itself through a 100 s outage at the defaults.
var outageFlag = flag.Duration("e2e.outage", 10*time.Second, "how long the provider is gone in TestOutageMidRun")

const (
	outageSymbols  = 60
	outageInterval = 50 * time.Millisecond // 20 requests a second
	outageWorkers  = 4
	outageAfter    = 20 // requests before the provider goes
)

// TestOutageMidRun: the provider goes away in the middle of a run,
// refusing connections (SQLite's run) or answering 503 to everything
// (PostgreSQL's). The breaker opens, the workers pause, only probes go out;
// once the provider is back the run completes: no symbol failed, none used
// more than the attempt of a request caught in flight, every bar stored
// once.
func TestOutageMidRun(t *testing.T) {
	t.Parallel()
	for i, d := range dialects {
		kind := []upstream.Outage{upstream.Refuse, upstream.Unavailable}[i%2]
		t.Run(d.name+"/"+kind.String(), func(t *testing.T) {
			t.Parallel()
			outageMidRun(t, d.dsn(t), kind, *outageFlag)
		})
	}
}

func outageMidRun(t *testing.T, dsn string, kind upstream.Outage, outage time.Duration) {
	srv := upstream.ForTest(t, upstream.WithLatency(10*time.Millisecond))
	db := openStore(t, dsn)
	probe := outage / 20
	lim, err := ratelimit.New(ratelimit.WithLedger(db.Ledger()), ratelimit.WithName("yahoo"), ratelimit.WithInterval(outageInterval),
		ratelimit.WithProbeInterval(probe, 12*probe), ratelimit.WithOutageTimeout(10*outage))
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: srv.Client().Transport, Timeout: 10 * time.Second}
	f, err := yahoo.New(httpopt.WithBaseURL(srv.URL()), httpopt.WithHTTPClient(client))
	if err != nil {
		t.Fatal(err)
	}
	r, err := backfill.New(f, db, backfill.WithLimiter(lim), backfill.WithConcurrency(outageWorkers),
		backfill.WithRetryBackoff(backfill.ExponentialBackoff(50*time.Millisecond, 500*time.Millisecond, 0)),
		backfill.WithLogger(testLogger(t, nil)))
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute+20*outage)
	defer cancel()
	// The provider goes once the run is under way, and comes back after
	// the outage.
	var went, back time.Time
	var wg sync.WaitGroup
	wg.Go(func() {
		for len(srv.Requests()) < outageAfter {
			if pricefill.Sleep(ctx, pricefill.SystemClock(), 5*time.Millisecond) != nil {
				return
			}
		}
		went = time.Now()
		if err := srv.SetOutage(kind); err != nil {
			t.Error(err)
			return
		}
		_ = pricefill.Sleep(ctx, pricefill.SystemClock(), outage)
		back = time.Now()
		if err := srv.SetOutage(upstream.Up); err != nil {
			t.Error(err)
		}
	})
	syms := symbols("O", outageSymbols)
	start := time.Now()
	rep, err := r.Run(ctx, backfill.Request{Symbols: syms, Range: runRange(start, 10)})
	end := time.Now()
	wg.Wait()
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if back.IsZero() || !end.After(back) {
		t.Fatalf("the run ended at %s, before the provider came back at %s: no outage met", end.Sub(start), back.Sub(start))
	}
	t.Logf("%d requests, %d deferred, %d retried in %s; outage from %s to %s", rep.Requests, rep.Deferred, rep.Retried,
		rep.Duration.Round(time.Millisecond), went.Sub(start).Round(time.Millisecond), back.Sub(start).Round(time.Millisecond))
	if rep.Succeeded != outageSymbols || rep.Failed != 0 || rep.Deferred == 0 {
		t.Errorf("report: %d succeeded, %d failed, %d deferred; want %d, 0, some", rep.Succeeded, rep.Failed, rep.Deferred, outageSymbols)
	}
	// During the outage the provider sees only the failures that open the
	// breaker, those in flight, and the probes: a handful, where a run
	// without a breaker sends twenty a second.
	during := 0
	for _, q := range srv.Requests() {
		if q.Time.After(went) && q.Time.Before(back) {
			during++
		}
	}
	if most := ratelimit.BreakerFailuresDefault + outageWorkers + 8; during > most {
		t.Errorf("%d requests reached the provider during its outage, want at most %d", during, most)
	}
	tasks := mustSnapshot(t, dsn)
	e := expect(srv, syms, runRange(start, 10), start, end)
	for _, s := range syms {
		if tk := tasks[s]; tk.Status != queue.Completed || tk.Attempts > 1 {
			t.Errorf("%s: %+v, want completed with at most one attempt used (a request caught in flight)", s, tk)
		}
		e.check(t, s, storedBars(t, db, s))
	}
}
