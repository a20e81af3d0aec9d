package e2e

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/backfill/httpopt"
	"github.com/pricefill/pricefill/backfill/synthetic"
	"github.com/pricefill/pricefill/backfill/yahoo"
	"github.com/pricefill/pricefill/internal/upstream"
	"github.com/pricefill/pricefill/queue"
	"github.com/pricefill/pricefill/ratelimit"
)

// The mixed-fault run.
const (
	faultKnown   = 40 // symbols the server knows
	faultUnknown = 3  // symbols it answers "not found" for, every time
	faultDays    = 30 // about 21 trading days each
	faultWorkers = 8
	// faultInterval is the limiter's minimum gap: 25 requests a second.
	faultInterval = 40 * time.Millisecond
	// faultServerRate is R, the server's own limit per second. The limiter
	// grants at most 25 requests in any second; at most one more per
	// worker (granted before that second, late to arrive) lands in the
	// same second at the server: 33. So a 429 of the server's own can only
	// come from a request the limiter never granted.
	faultServerRate = 35
	// faultRate is the share of requests that get a random fault, on top
	// of the faults pushed.
	faultRate = 0.2
	// faultMaxAttempts is high enough that transient faults cannot give a
	// symbol up. Random draws depend only on the seed, the symbol and the
	// number of its request, so for a given seed the outcome is fixed; and
	// at a rate of 0.2 (the pushed faults add at most two), the chance
	// that any of 40 symbols meets 20 transient faults in a row is below
	// 1e-10 for any seed.
	faultMaxAttempts = 20
	// faultLatency is the server's time to answer. It exceeds the
	// limiter's gap, so requests overlap and a 429 finds others in flight,
	// as bursts do; and the workers could send 8 / 50 ms = 160 requests a
	// second, far beyond R, were it not for the limiter.
	faultLatency = 50 * time.Millisecond
	// faultClientTimeout ends the slow answer that never finishes.
	faultClientTimeout = 2 * time.Second
	// faultNullRate and faultInvalidRate make null days and invalid bars.
	faultNullRate    = 0.1
	faultInvalidRate = 0.1
)

// TestMixedFaults runs the Runner through every kind of fault at once, on
// SQLite and on PostgreSQL: at the end every valid bar is stored once and
// nothing else is, unknown symbols are given up and the others completed,
// and the limiter kept the server under its rate limit throughout.
func TestMixedFaults(t *testing.T) {
	t.Parallel()
	seed := *seedFlag
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("random faults with -e2e.seed=%d", seed)
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			mixedFaults(t, d.dsn(t), seed)
		})
	}
}

func mixedFaults(t *testing.T, dsn string, seed uint64) {
	genOpts := []synthetic.Option{synthetic.WithInvalidRate(faultInvalidRate)}
	srv := upstream.ForTest(t,
		upstream.WithRateLimit(faultServerRate),
		upstream.WithLatency(faultLatency),
		upstream.WithRandomFaults(seed, faultRate, upstream.MixedFaults()...),
		upstream.WithNullRate(faultNullRate),
		upstream.WithGenerator(genOpts...),
	)
	known, unknown := symbols("F", faultKnown), symbols("U", faultUnknown)
	srv.SetUnknown(unknown...)
	srv.PushEveryKind(known)

	db := openStore(t, dsn)
	// The budget is the database's, as the program's is. The default
	// first cool-down, 5 s, would make each 429 without Retry-After
	// (Quota) cost the run 5 s, and the first probe of the breaker, which
	// five faults in a row open now and then, as long.
	lim, err := ratelimit.New(ratelimit.WithLedger(db.Ledger()), ratelimit.WithName("yahoo"), ratelimit.WithInterval(faultInterval),
		ratelimit.WithCoolDown(200*time.Millisecond, 2*time.Second), ratelimit.WithProbeInterval(200*time.Millisecond, 2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: srv.Client().Transport, Timeout: faultClientTimeout}
	f, err := yahoo.New(httpopt.WithBaseURL(srv.URL()), httpopt.WithHTTPClient(client))
	if err != nil {
		t.Fatal(err)
	}
	r, err := backfill.New(f, db,
		backfill.WithLimiter(lim),
		backfill.WithConcurrency(faultWorkers),
		backfill.WithMaxAttempts(faultMaxAttempts),
		// Short retries (the default starts at 5 s): the run lasts
		// seconds, not minutes.
		backfill.WithRetryBackoff(backfill.ExponentialBackoff(20*time.Millisecond, 200*time.Millisecond, 0)),
		backfill.WithLogger(testLogger(t, nil)),
	)
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	all := append(slices.Clone(known), unknown...)
	start := time.Now()
	rng := runRange(start, faultDays)
	rep, err := r.Run(ctx, backfill.Request{Symbols: all, Range: rng})
	end := time.Now()
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	t.Logf("%d symbols, %d requests in %s: %d rate limited, %d retried, %d bars rejected",
		rep.Total, rep.Requests, rep.Duration.Round(time.Millisecond), rep.RateLimited, rep.Retried, rep.Rejected)
	if rep.Unfinished != 0 || rep.Succeeded != faultKnown || rep.Failed != faultUnknown {
		t.Errorf("report: %d succeeded, %d failed, %d unfinished; want %d, %d, 0", rep.Succeeded, rep.Failed, rep.Unfinished, faultKnown, faultUnknown)
	}

	// The queue: unknown symbols given up at once, the others completed.
	tasks := mustSnapshot(t, dsn)
	for _, s := range unknown {
		if tk := tasks[s]; tk.Status != queue.PermanentlyFailed || tk.Attempts != 0 || tk.Bars != 0 {
			t.Errorf("%s (unknown): %+v; want permanently_failed with no attempt and no bar", s, tk)
		}
		if n := len(srv.RequestsFor(s)); n != 1 {
			t.Errorf("%s (unknown) was asked for %d times, want once: not found is permanent", s, n)
		}
	}
	for _, s := range known {
		if tk := tasks[s]; tk.Status != queue.Completed {
			t.Errorf("%s: %+v; want completed", s, tk)
		}
	}

	// The bars: the valid ones served, each once; no null day, no broken bar.
	gen, err := synthetic.New(genOpts...)
	if err != nil {
		t.Fatal(err)
	}
	e := expect(srv, known, rng, start, end)
	var total, inserted, nulls, broken int
	for _, s := range known {
		stored := storedBars(t, db, s)
		total += e.check(t, s, stored)
		inserted += int(tasks[s].Inserted)
		sent := map[time.Time]bool{} // the days with a bar, not null
		for _, b := range srv.Bars(s, rng) {
			sent[b.Date] = true
		}
		for d := rng.From; !d.After(rng.To); d = d.AddDate(0, 0, 1) {
			if _, ok := gen.Bar(s, d); ok && !sent[d] {
				nulls++
			}
		}
		for _, b := range stored {
			if !sent[b.Date] {
				t.Errorf("%s %s: stored, but the server sent no bar that day (a null day)", s, b.Date.Format(pricefill.DateLayout))
			}
			if k := gen.Breakage(s, b.Date); k != synthetic.NotBroken {
				t.Errorf("%s %s: stored, but the server sent an invalid bar (%s)", s, b.Date.Format(pricefill.DateLayout), k)
			}
		}
		for _, b := range srv.Bars(s, rng) {
			if gen.Breakage(s, b.Date) != synthetic.NotBroken {
				broken++
			}
		}
	}
	if nulls == 0 || broken == 0 {
		t.Errorf("the server sent %d null days and %d invalid bars; want some of each", nulls, broken)
	}
	if inserted != total || rep.Inserted != int64(total) {
		t.Errorf("%d bars expected; the tasks recorded %d inserted, the report %d: a bar inserted twice, or lost", total, inserted, rep.Inserted)
	}

	// The server: every kind of fault served, none of its own 429s, and
	// never more than its rate.
	faults := map[upstream.FaultKind]int{}
	limited := 0
	for _, q := range srv.Requests() {
		faults[q.Fault]++
		if q.Limited {
			limited++
		}
	}
	for _, k := range upstream.EveryKind() {
		if faults[k] == 0 {
			t.Errorf("no %s fault was served", k)
		}
	}
	if limited != 0 {
		t.Errorf("the server refused %d requests for its own rate limit of %d a second: the limiter let too many through", limited, faultServerRate)
	}
	if peak := srv.PeakRate(time.Second); peak > faultServerRate {
		t.Errorf("the server saw %d requests within one second, more than R = %d", peak, faultServerRate)
	}
	t.Logf("faults served: %v; peak %d requests a second", faults, srv.PeakRate(time.Second))
}
