package backfill_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/internal/fake"
)

// holesOf returns the holes h's store knows of sym in march.
func holesOf(t *testing.T, h *harness, sym string) []backfill.Hole {
	t.Helper()
	holes, err := h.store.Holes(context.Background(), sym, march)
	if err != nil {
		t.Fatal(err)
	}
	return holes
}

// TestHolesAreRememberedWithTheirReason: the days of a fetch the provider
// did not serve (left out between days served, listed without prices,
// served invalid, left out at the end of the answer) are recorded with
// their reason and asked for again only once their back-off has passed:
// the late days after an hour, the others after a day; a day served at
// last is forgotten as a hole, and one still not served counts one more
// ask.
func TestHolesAreRememberedWithTheirReason(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		d := pricefill.Date
		all := fake.Bars("AAPL", march)
		served := without(without(all, d(2026, 3, 10), d(2026, 3, 11)), d(2026, 3, 26), d(2026, 3, 27))
		bad := all[9] // 2026-03-13
		bad.High, bad.Low = bad.Low, bad.High
		served = append(without(served, bad.Date, bad.Date), bad)
		h.fetcher.Script("AAPL",
			fake.Step{Bars: served, Nulls: []time.Time{d(2026, 3, 11)}},
			fake.Step{Bars: all[18:]},          // the late days, served an hour on
			fake.Step{Bars: []pricefill.Bar{}}, // a day on: the other three still not
		)
		req := backfill.Request{Symbols: []string{"AAPL"}, Range: march}
		run := func() *backfill.Report {
			t.Helper()
			rep, err := h.runner(backfill.WithLimiter(noLimit)).Run(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			return rep
		}
		start := h.clock.Now()

		first := run()
		asked := func(reason backfill.HoleReason, date time.Time, asks int, at time.Time) backfill.Hole {
			return backfill.Hole{Date: date, Reason: reason, Asks: asks, LastAsked: at}
		}
		want := []backfill.Hole{
			asked(backfill.HoleMissing, d(2026, 3, 10), 1, start),
			asked(backfill.HoleNull, d(2026, 3, 11), 1, start),
			asked(backfill.HoleInvalid, d(2026, 3, 13), 1, start),
			asked(backfill.HoleLate, d(2026, 3, 26), 1, start),
			asked(backfill.HoleLate, d(2026, 3, 27), 1, start),
		}
		ignoreDetail := cmpopts.IgnoreFields(backfill.Hole{}, "Detail")
		if diff := cmp.Diff(want, holesOf(t, h, "AAPL"), ignoreDetail); diff != "" {
			t.Errorf("holes after the first run (-want +got):\n%s", diff)
		}
		if got := holesOf(t, h, "AAPL")[2].Detail; got == "" {
			t.Errorf("the invalid day's hole has no detail, want the rules it broke")
		}
		if first.Holes != 5 || first.NotFetched != 0 || first.NullDays != 1 || first.Symbols[0].Completeness != 75 {
			t.Errorf("first report: %d holes, %d not fetched, %d null days, completeness %v; want 5, 0, 1, 75",
				first.Holes, first.NotFetched, first.NullDays, first.Symbols[0].Completeness)
		}

		// At once: every hole is resting, and nothing is asked for.
		if again := run(); again.Requests != 0 || again.AlreadyDone != 1 {
			t.Errorf("rerun at once: %d requests, %d already done; want 0, 1", again.Requests, again.AlreadyDone)
		}

		// An hour on, the late days alone are asked for, and are served.
		time.Sleep(time.Hour)
		later := run()
		// Each request starts at the stored day before it: the overlap.
		if diff := cmp.Diff([]string{march.String(), "2026-03-25..2026-03-27"}, requested(h.fetcher.Calls())); diff != "" {
			t.Errorf("requests (-want +got):\n%s", diff)
		}
		if later.Inserted != 2 || later.Holes != 3 {
			t.Errorf("an hour on: %d inserted, %d holes; want 2, 3", later.Inserted, later.Holes)
		}

		// A day on, the other three are asked for again, in one request,
		// and are still not served: one more ask each.
		time.Sleep(24 * time.Hour)
		run()
		if got := requested(h.fetcher.Calls()); len(got) != 3 || got[2] != "2026-03-09..2026-03-13" {
			t.Errorf("requests %v, want a third for 2026-03-09..2026-03-13", got)
		}
		again := h.clock.Now()
		want = []backfill.Hole{
			asked(backfill.HoleMissing, d(2026, 3, 10), 2, again),
			asked(backfill.HoleMissing, d(2026, 3, 11), 2, again), // no longer listed: left out now
			asked(backfill.HoleMissing, d(2026, 3, 13), 2, again),
		}
		if diff := cmp.Diff(want, holesOf(t, h, "AAPL"), ignoreDetail); diff != "" {
			t.Errorf("holes after the third fetch (-want +got):\n%s", diff)
		}

		// With force, holes are asked for whatever their back-off.
		n := len(h.fetcher.Calls())
		if _, err := h.runner(backfill.WithLimiter(noLimit), backfill.WithForce(true)).Run(context.Background(), req); err != nil {
			t.Fatal(err)
		}
		if got := len(h.fetcher.Calls()) - n; got != 1 {
			t.Errorf("forced: %d requests, want 1", got)
		}
	})
}
