package backfill_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/internal/fake"
	"github.com/pricefill/pricefill/queue"
	"github.com/pricefill/pricefill/validate"
)

func requested(calls []fake.Call) []string {
	out := make([]string, len(calls))
	for i, c := range calls {
		out[i] = c.Range.String()
	}
	return out
}

func TestFullyStoredSymbolIsSkippedUnlessForced(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		h.store.Put(fake.Bars("AAPL", march)...)
		req := backfill.Request{Symbols: []string{"AAPL"}, Range: march}
		rep, err := h.runner(backfill.WithLimiter(noLimit)).Run(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(h.fetcher.Calls()); n != 0 {
			t.Errorf("%d fetches for a fully stored symbol, want 0", n)
		}
		if rep.Succeeded != 1 || rep.Covered != 1 || rep.Requests != 0 || rep.Symbols[0].Completeness != 100 {
			t.Errorf("report: %d succeeded, %d covered, %d requests, completeness %v; want 1, 1, 0, 100",
				rep.Succeeded, rep.Covered, rep.Requests, rep.Symbols[0].Completeness)
		}

		// With force the symbol is fetched again, and a restated day replaces the stored one.
		restated := fake.Bars("AAPL", march)
		restated[5].Close, restated[5].AdjClose = restated[5].Close+0.5, restated[5].AdjClose+0.5
		h.fetcher.Script("AAPL", fake.Step{Bars: restated})
		rep, err = h.runner(backfill.WithLimiter(noLimit), backfill.WithForce(true)).Run(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{march.String()}, requested(h.fetcher.Calls())); diff != "" {
			t.Errorf("forced fetches (-want +got):\n%s", diff)
		}
		if rep.Updated != 1 || rep.Skipped != 19 || rep.Inserted != 0 || rep.Covered != 0 {
			t.Errorf("forced report: %d updated, %d skipped, %d inserted, %d covered; want 1, 19, 0, 0", rep.Updated, rep.Skipped, rep.Inserted, rep.Covered)
		}
		if got := h.store.Bars("AAPL")[5].Close; got != restated[5].Close {
			t.Errorf("stored close after force = %v, want the restated %v", got, restated[5].Close)
		}
	})
}

func TestOnlyTheGapIsFetched(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		all := fake.Bars("AAPL", march)
		// Stored: all but the week of 2026-03-09 and the last two days.
		var stored []pricefill.Bar
		for _, b := range all {
			if (b.Date.Before(pricefill.Date(2026, 3, 9)) || b.Date.After(pricefill.Date(2026, 3, 13))) && b.Date.Before(pricefill.Date(2026, 3, 26)) {
				stored = append(stored, b)
			}
		}
		h.store.Put(stored...)
		rep, err := h.runner(backfill.WithLimiter(noLimit)).Run(context.Background(), backfill.Request{Symbols: []string{"AAPL"}, Range: march})
		if err != nil {
			t.Fatal(err)
		}
		// The two gaps lie 7 trading days apart: one request covers both,
		// from 03-06, the stored day before them (the overlap).
		if diff := cmp.Diff([]string{"2026-03-06..2026-03-27"}, requested(h.fetcher.Calls())); diff != "" {
			t.Errorf("requests (-want +got):\n%s", diff)
		}
		if rep.Inserted != 7 || len(h.store.Bars("AAPL")) != 20 || rep.Symbols[0].Completeness != 100 {
			t.Errorf("%d inserted, %d stored, completeness %v; want 7, 20, 100", rep.Inserted, len(h.store.Bars("AAPL")), rep.Symbols[0].Completeness)
		}
	})
}

func TestGapsFarApartAreFetchedApart(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		year := pricefill.Range{From: pricefill.Date(2025, 1, 2), To: pricefill.Date(2025, 12, 31)}
		var stored []pricefill.Bar
		for _, b := range fake.Bars("AAPL", year) {
			if b.Date.Month() != time.February && b.Date.Month() != time.November {
				stored = append(stored, b)
			}
		}
		h.store.Put(stored...)
		_, err := h.runner(backfill.WithLimiter(noLimit)).Run(context.Background(), backfill.Request{Symbols: []string{"AAPL"}, Range: year})
		if err != nil {
			t.Fatal(err)
		}
		// February has Presidents' Day (2025-02-17); the spans run from
		// the stored day before the first missing trading day (the
		// overlap) to the last.
		want := []string{"2025-01-31..2025-02-28", "2025-10-31..2025-11-28"}
		if diff := cmp.Diff(want, requested(h.fetcher.Calls())); diff != "" {
			t.Errorf("requests (-want +got):\n%s", diff)
		}
	})
}

func TestSessionInProgressIsNotFetched(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		// now is 2026-04-01 17:00 in New York; a range ending on 04-02
		// has a session still to come.
		r := pricefill.Range{From: pricefill.Date(2026, 3, 30), To: pricefill.Date(2026, 4, 2)}
		rep, err := h.runner(backfill.WithLimiter(noLimit)).Run(context.Background(), backfill.Request{Symbols: []string{"AAPL", "7203.T"}, Range: r})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string][]string{"AAPL": requested(h.fetcher.CallsFor("AAPL")), "7203.T": requested(h.fetcher.CallsFor("7203.T"))}
		want := map[string][]string{
			"AAPL": {"2026-03-30..2026-04-01"},
			// Tokyo's 04-01 session closed at 15:00 there, 06:00 UTC; its
			// 04-02 session has not begun (it is 06:00 on 04-02 in Tokyo).
			"7203.T": {"2026-03-30..2026-04-01"},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("requests (-want +got):\n%s", diff)
		}
		if rep.Rejected != 0 {
			t.Errorf("%d bars rejected, want 0", rep.Rejected)
		}
	})
}

func TestCompletenessCountsMissingDays(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		bars := fake.Bars("AAPL", march)
		h.fetcher.Script("AAPL", fake.Step{Bars: append(bars[:5:5], bars[10:]...)}) // a week missing upstream
		dup := fake.Bars("MSFT", march)
		h.fetcher.Script("MSFT", fake.Step{Bars: append(dup, dup[0])})
		rep, err := h.runner(backfill.WithLimiter(noLimit)).Run(context.Background(), backfill.Request{Symbols: []string{"AAPL", "MSFT"}, Range: march})
		if err != nil {
			t.Fatal(err)
		}
		if got := rep.Symbols[0]; got.Symbol != "AAPL" || got.Completeness != 75 {
			t.Errorf("AAPL report %+v, want completeness 75 (15 of 20 days)", got)
		}
		if got := h.tasks()["AAPL"].Result.Completeness; got != 75 {
			t.Errorf("AAPL task completeness %v, want 75", got)
		}
		if rep.RejectedByRule[validate.RuleDuplicateDate] != 1 || rep.Symbols[1].Inserted != 20 {
			t.Errorf("MSFT with a repeated day: %d duplicates rejected, %d inserted; want 1, 20", rep.RejectedByRule[validate.RuleDuplicateDate], rep.Symbols[1].Inserted)
		}
		if h.tasks()["MSFT"].Status != queue.Completed {
			t.Errorf("MSFT %s, want completed", h.tasks()["MSFT"].Status)
		}
	})
}
