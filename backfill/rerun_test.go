package backfill_test

import (
	"context"
	"log/slog"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/internal/fake"
	"github.com/pricefill/pricefill/queue"
)

// without returns bars without those dated from..to.
func without(bars []pricefill.Bar, from, to time.Time) []pricefill.Bar {
	var out []pricefill.Bar
	for _, b := range bars {
		if b.Date.Before(from) || b.Date.After(to) {
			out = append(out, b)
		}
	}
	return out
}

// TestRerunFetchesADayServedLate: the provider leaves three days out of
// the first run's answer and serves them later. Two days on, the same
// request reopens the completed task and asks for those days alone.
func TestRerunFetchesADayServedLate(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		all := fake.Bars("AAPL", march)
		h.fetcher.Script("AAPL", fake.Step{Bars: without(all, pricefill.Date(2026, 3, 10), pricefill.Date(2026, 3, 12))}, fake.Step{})
		req := backfill.Request{Symbols: []string{"AAPL"}, Range: march}
		first, err := h.runner(backfill.WithLimiter(noLimit)).Run(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if first.Inserted != 17 || first.Symbols[0].Completeness != 85 {
			t.Fatalf("first run: %d inserted, completeness %v; want 17, 85", first.Inserted, first.Symbols[0].Completeness)
		}
		time.Sleep(48 * time.Hour) // the bubble's virtual time: past a hole's first back-off
		second, err := h.runner(backfill.WithLimiter(noLimit)).Run(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		// From 03-09, the stored day before the gap: the overlap.
		want := []string{march.String(), "2026-03-09..2026-03-12"}
		if diff := cmp.Diff(want, requested(h.fetcher.Calls())); diff != "" {
			t.Errorf("requests (-want +got):\n%s", diff)
		}
		if second.AlreadyDone != 0 || second.Inserted != 3 || second.Symbols[0].Completeness != 100 {
			t.Errorf("second run: %d already done, %d inserted, completeness %v; want 0, 3, 100",
				second.AlreadyDone, second.Inserted, second.Symbols[0].Completeness)
		}
		if diff := cmp.Diff(all, h.store.Bars("AAPL")); diff != "" {
			t.Errorf("stored (-want +got):\n%s", diff)
		}
	})
}

// TestRerunFetchesTheSessionClosedSince: a range that ends on a day whose
// session was still open at the first run; run again after the close, it
// asks for that day alone.
func TestRerunFetchesTheSessionClosedSince(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		// now is 2026-04-01 17:00 in New York: the 04-02 session is to come.
		r := pricefill.Range{From: pricefill.Date(2026, 3, 30), To: pricefill.Date(2026, 4, 2)}
		req := backfill.Request{Symbols: []string{"AAPL"}, Range: r}
		if _, err := h.runner(backfill.WithLimiter(noLimit)).Run(context.Background(), req); err != nil {
			t.Fatal(err)
		}
		// Still before the 04-02 close (16:00 in New York, 20:00 UTC):
		// nothing is asked for.
		time.Sleep(22 * time.Hour)
		again, err := h.runner(backfill.WithLimiter(noLimit)).Run(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if again.Requests != 0 || again.AlreadyDone != 1 {
			t.Errorf("before the close: %d requests, %d already done; want 0, 1", again.Requests, again.AlreadyDone)
		}
		time.Sleep(2 * time.Hour) // 04-02 21:00 UTC, after the close
		after, err := h.runner(backfill.WithLimiter(noLimit)).Run(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		// From 04-01, the stored day before: the overlap.
		want := []string{"2026-03-30..2026-04-01", "2026-04-01..2026-04-02"}
		if diff := cmp.Diff(want, requested(h.fetcher.Calls())); diff != "" {
			t.Errorf("requests (-want +got):\n%s", diff)
		}
		if after.Inserted != 1 || len(h.store.Bars("AAPL")) != 4 {
			t.Errorf("after the close: %d inserted, %d stored; want 1, 4", after.Inserted, len(h.store.Bars("AAPL")))
		}
	})
}

// plainStore is a store that cannot list what it holds.
type plainStore struct{ s *fake.Store }

func (p plainStore) Save(ctx context.Context, req backfill.SaveRequest) (backfill.SaveResult, error) {
	return p.s.Save(ctx, req)
}

// TestRerunWithoutDateListerKeepsCompletedTasks: a store that cannot say
// what it holds gives the runner nothing to check, so a completed task
// stays completed and nothing is fetched twice.
func TestRerunWithoutDateListerKeepsCompletedTasks(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		req := backfill.Request{Symbols: []string{"AAPL", "MSFT"}, Range: march}
		st := plainStore{h.store}
		for range 2 {
			r, err := backfill.New(h.fetcher, st, backfill.WithClock(h.clock), backfill.WithQueue(h.queue),
				backfill.WithLimiter(noLimit), backfill.WithLogger(slog.New(slog.DiscardHandler)))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.Run(context.Background(), req); err != nil {
				t.Fatal(err)
			}
		}
		if n := len(h.fetcher.Calls()); n != 2 {
			t.Errorf("%d fetches over two runs, want 2: one a symbol", n)
		}
		for sym, task := range h.tasks() {
			if task.Status != queue.Completed {
				t.Errorf("%s: %s, want completed", sym, task.Status)
			}
		}
	})
}
