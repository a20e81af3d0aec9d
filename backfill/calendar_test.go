package backfill_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/validate/calendar"
)

// TestOneCalendarForPlanAndValidation: the runner's calendar is the one its
// validator judges trading days by. With it set to Weekdays, Martin Luther
// King Jr. Day (a weekday the NYSE is closed) is a day to fetch and a bar to
// keep: it is stored on the first run, and each daily run after it asks
// for the new day only (from the last day stored, which the runner
// overlaps the store by). Were the validator to keep the NYSE calendar, every
// run would fetch the day again and reject it as not_trading_day.
func TestOneCalendarForPlanAndValidation(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		weekdays := func(pricefill.Asset) calendar.Calendar { return calendar.Weekdays }
		mlk := pricefill.Date(2026, 1, 19)
		// Three daily runs, the range growing by a day each time.
		var last time.Time
		for run, fresh := range []pricefill.Range{
			{From: pricefill.Date(2026, 1, 12), To: pricefill.Date(2026, 1, 23)}, // Monday 12 to Friday 23
			{From: pricefill.Date(2026, 1, 26), To: pricefill.Date(2026, 1, 26)},
			{From: pricefill.Date(2026, 1, 27), To: pricefill.Date(2026, 1, 27)},
		} {
			req := backfill.Request{Symbols: []string{"AAPL"}, Range: pricefill.Range{From: pricefill.Date(2026, 1, 12), To: fresh.To}}
			calls := len(h.fetcher.Calls())
			rep, err := h.runner(backfill.WithLimiter(noLimit), backfill.WithCalendarFor(weekdays)).Run(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Rejected != 0 || rep.Failed != 0 {
				t.Errorf("run %d: %d rejected %v, %d failed; want none", run+1, rep.Rejected, rep.RejectedByRule, rep.Failed)
			}
			want := []string{fresh.String()} // the new days only
			if run > 0 {                     // from the last day stored, the overlap
				want = []string{pricefill.Range{From: last, To: fresh.To}.String()}
			}
			last = fresh.To
			if diff := cmp.Diff(want, requested(h.fetcher.Calls()[calls:])); diff != "" {
				t.Errorf("run %d: requests (-want +got):\n%s", run+1, diff)
			}
			if got := rep.Symbols[0].Completeness; got != 100 {
				t.Errorf("run %d: completeness %v, want 100", run+1, got)
			}
		}
		stored := false
		for _, b := range h.store.Bars("AAPL") {
			stored = stored || b.Date.Equal(mlk)
		}
		if !stored {
			t.Errorf("the bar of %s is not stored", mlk.Format(pricefill.DateLayout))
		}
	})
}
