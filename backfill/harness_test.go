package backfill_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/internal/clocktest"
	"github.com/pricefill/pricefill/internal/fake"
	"github.com/pricefill/pricefill/queue"
)

// now is when every simulated run starts: a Wednesday after the US close.
var now = time.Date(2026, 4, 1, 21, 0, 0, 0, time.UTC)

// march is a range of 20 weekdays with no NYSE holiday.
var march = pricefill.Range{From: pricefill.Date(2026, 3, 2), To: pricefill.Date(2026, 3, 27)}

// noLimit is a limiter that never waits, for tests about other things.
var noLimit = backfill.LimiterFunc(func(ctx context.Context) error { return ctx.Err() })

// harness is one simulated run's parts. Build it inside a synctest bubble:
// its clock is the bubble's virtual time moved to now.
type harness struct {
	t        tb
	clock    pricefill.Clock
	fetcher  *fake.Fetcher
	store    *fake.Store
	queue    *queue.Memory
	mu       sync.Mutex
	progress []backfill.Progress
}

// tb is what the harness needs of a *testing.T or *rapid.T.
type tb interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

func newHarness(t tb) *harness { return newHarnessAt(t, now) }

// newHarnessAt returns a harness whose clock starts at start.
func newHarnessAt(t tb, start time.Time) *harness {
	clock := clocktest.Shifted(start)
	return &harness{
		t:       t,
		clock:   clock,
		fetcher: fake.NewFetcher(clock),
		store:   fake.NewStore(),
		queue:   queue.NewMemory(queue.WithClock(clock)),
	}
}

// runner builds a runner on the harness's parts; opts come after the
// harness's own, so they win.
func (h *harness) runner(opts ...backfill.Option) *backfill.Runner {
	h.t.Helper()
	return h.runnerOf(h.fetcher, opts...)
}

// runnerOf builds a runner on the harness's parts but its fetcher, f.
func (h *harness) runnerOf(f backfill.Fetcher, opts ...backfill.Option) *backfill.Runner {
	h.t.Helper()
	base := []backfill.Option{
		backfill.WithClock(h.clock),
		backfill.WithQueue(h.queue),
		backfill.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
		backfill.WithProgress(func(p backfill.Progress) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.progress = append(h.progress, p)
		}),
	}
	r, err := backfill.New(f, h.store, append(base, opts...)...)
	if err != nil {
		h.t.Fatalf("backfill.New: %v", err)
	}
	return r
}

func (h *harness) progressEvents() []backfill.Progress {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]backfill.Progress(nil), h.progress...)
}

// tasks returns the queue's tasks by symbol.
func (h *harness) tasks() map[string]queue.Task {
	h.t.Helper()
	all, err := h.queue.Tasks(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	out := make(map[string]queue.Task, len(all))
	for _, task := range all {
		out[task.Symbol] = task
	}
	return out
}
