package backfill_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"pgregory.net/rapid"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/internal/fake"
	"github.com/pricefill/pricefill/queue"
)

// outcome kinds a scripted fetch can have.
const (
	stepOK = iota
	stepInvalid
	stepTransient
	stepRateLimited
	stepNotFound
	stepPermanent
)

// expectation is what the runner's policy makes of one symbol's script.
type expectation struct {
	status      queue.Status
	attempts    int
	fetches     int
	rateLimited int
	retried     int
	inserted    int64
	rejected    int
}

// expect walks a script as the runner must: transient failures use up
// attempts until maxAttempts, rate limits use none, not found and
// permanent end at once.
func expect(kinds []int, maxAttempts int) expectation {
	var e expectation
	for i := 0; ; i++ {
		k := kinds[min(i, len(kinds)-1)]
		e.fetches++
		switch k {
		case stepOK:
			e.status, e.inserted = queue.Completed, 20
			return e
		case stepInvalid:
			e.status, e.inserted, e.rejected = queue.Completed, 19, 1
			return e
		case stepTransient:
			e.attempts++
			if e.attempts >= maxAttempts {
				e.status = queue.PermanentlyFailed
				return e
			}
			e.retried++
		case stepRateLimited:
			e.rateLimited++
		case stepNotFound, stepPermanent:
			e.status = queue.PermanentlyFailed
			return e
		}
	}
}

func toSteps(symbol string, kinds []int, rng *rapid.T) []fake.Step {
	steps := make([]fake.Step, len(kinds))
	for i, k := range kinds {
		switch k {
		case stepInvalid:
			bars := fake.Bars(symbol, march)
			bars[3].Low = -1
			steps[i] = fake.Step{Bars: bars}
		case stepTransient:
			steps[i] = fake.Step{Err: fmt.Errorf("HTTP 503 for %s", symbol)}
		case stepRateLimited:
			wait := time.Duration(rapid.IntRange(0, 90).Draw(rng, "retry_after")) * time.Second
			steps[i] = fake.Step{Err: pricefill.RateLimited(wait, errors.New("HTTP 429"))}
		case stepNotFound:
			steps[i] = fake.Step{Err: pricefill.NotFound(symbol, nil)}
		case stepPermanent:
			steps[i] = fake.Step{Err: pricefill.Permanent(errors.New("HTTP 403"))}
		}
	}
	return steps
}

// TestRunnerProperties runs random mixes of good and failing symbols and
// checks, against the policy: error isolation (the run never aborts, every
// good symbol completes, every failing one is permanently failed), the
// queue's state machine seen from the runner (attempts count transient
// failures only, permanently failed after exactly max attempts, rate
// limits never use an attempt), report accuracy (every count equals what
// happened) and progress frequency (at least floor(N/10) events for N ≥ 10).
func TestRunnerProperties(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		rapid.Check(struct{ *testing.T }{t}, func(rt *rapid.T) {
			h := newHarness(rt)
			n := rapid.IntRange(1, 25).Draw(rt, "symbols")
			maxAttempts := rapid.IntRange(1, 5).Draw(rt, "max_attempts")
			concurrency := rapid.IntRange(1, 6).Draw(rt, "concurrency")
			symbols := make([]string, n)
			want := make(map[string]expectation, n)
			var total expectation
			var succeeded, failed int
			for i := range symbols {
				s := fmt.Sprintf("S%02d", i)
				symbols[i] = s
				kinds := rapid.SliceOfN(rapid.IntRange(stepOK, stepPermanent), 0, 7).Draw(rt, s)
				// The last step repeats: it must not be a rate limit, which
				// would be retried for ever.
				kinds = append(kinds, rapid.SampledFrom([]int{stepOK, stepInvalid, stepTransient, stepNotFound, stepPermanent}).Draw(rt, s+" last"))
				h.fetcher.Script(s, toSteps(s, kinds, rt)...)
				e := expect(kinds, maxAttempts)
				want[s] = e
				total.fetches += e.fetches
				total.rateLimited += e.rateLimited
				total.retried += e.retried
				total.inserted += e.inserted
				total.rejected += e.rejected
				if e.status == queue.Completed {
					succeeded++
				} else {
					failed++
				}
			}

			r := h.runner(backfill.WithLimiter(noLimit), backfill.WithMaxAttempts(maxAttempts), backfill.WithConcurrency(concurrency))
			rep, err := r.Run(context.Background(), backfill.Request{Symbols: symbols, Range: march})
			if err != nil {
				rt.Fatalf("Run: %v", err)
			}

			tasks := h.tasks()
			for _, s := range symbols {
				got, w := tasks[s], want[s]
				if got.Status != w.status || got.Attempts != w.attempts {
					rt.Fatalf("%s: %s after %d attempts, want %s after %d", s, got.Status, got.Attempts, w.status, w.attempts)
				}
				if calls := len(h.fetcher.CallsFor(s)); calls != w.fetches {
					rt.Fatalf("%s fetched %d times, want %d", s, calls, w.fetches)
				}
				if stored := int64(len(h.store.Bars(s))); stored != w.inserted {
					rt.Fatalf("%s has %d bars stored, want %d", s, stored, w.inserted)
				}
			}
			if rep.Total != n || rep.Succeeded != succeeded || rep.Failed != failed || rep.Unfinished != 0 || rep.AlreadyDone != 0 ||
				rep.Requests != total.fetches || rep.RateLimited != total.rateLimited || rep.Retried != total.retried ||
				rep.Inserted != total.inserted || rep.Skipped != 0 || rep.Rejected != total.rejected ||
				len(rep.Failures) != failed || len(rep.Symbols) != n || rep.Interrupted {
				rt.Fatalf("report %+v\nwant %d tasks, %d succeeded, %d failed, %d requests, %d rate limited, %d retried, %d inserted, %d rejected",
					rep, n, succeeded, failed, total.fetches, total.rateLimited, total.retried, total.inserted, total.rejected)
			}
			for _, sr := range rep.Symbols {
				if w := want[sr.Symbol]; sr.Status != w.status || sr.Requests != w.fetches || sr.Inserted != w.inserted || sr.Rejected != w.rejected {
					rt.Fatalf("symbol report %+v, want %+v", sr, w)
				}
			}
			if n >= 10 {
				events := len(h.progressEvents())
				if events < n/10 {
					rt.Fatalf("%d progress events for %d tasks, want at least %d", events, n, n/10)
				}
			}
		})
	})
}
