package backfill_test

import (
	"context"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"pgregory.net/rapid"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/internal/fake"
	"github.com/pricefill/pricefill/validate/calendar"
)

// restingModel says whether hole h may not be asked for at now, by the
// default back-off written out again: a day, a week, thirty days after
// the first, second, third and later asks; a late hole an hour after its
// first ask, then the same steps one ask behind.
func restingModel(h backfill.Hole, now time.Time) bool {
	steps := []time.Duration{24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour}
	asks := h.Asks
	wait := time.Duration(0)
	switch {
	case h.Reason == backfill.HoleLate && asks == 1:
		wait = time.Hour
	case h.Reason == backfill.HoleLate:
		wait = steps[min(asks-1, 3)-1]
	default:
		wait = steps[min(asks, 3)-1]
	}
	return now.Before(h.LastAsked.Add(wait))
}

// agoNearBackoff draws how long ago a hole was last asked for: within an
// hour and a half of one of the back-off's steps, or of now, where the
// planning's decisions change.
func agoNearBackoff(t *rapid.T) time.Duration {
	step := rapid.SampledFrom([]time.Duration{0, time.Hour, 24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour}).Draw(t, "near")
	return max(0, step+time.Duration(rapid.IntRange(-90, 90).Draw(t, "minutes"))*time.Minute)
}

// TestPlanningAsksForExactlyWhatIsMissing: for random stored days, known
// holes, listings and clocks, the requests of a run (and the count of
// Plan) cover exactly the trading days whose session is over, that are not
// stored, and that are not holes in their back-off: every such day in one
// request, each request starting and ending on one, none overlapping.
func TestPlanningAsksForExactlyWhatIsMissing(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		// The wrapper hides Deadline, which panics inside a bubble.
		rapid.Check(struct{ *testing.T }{t}, func(rt *rapid.T) {
			sym := rapid.SampledFrom([]string{"AAPL", "VOD.L", "7203.T", "BHP.AX", "SAP.DE", "XYZ.ZZ"}).Draw(rt, "symbol")
			from := pricefill.Date(2024, 1, 1).AddDate(0, 0, rapid.IntRange(0, 700).Draw(rt, "from"))
			rng := pricefill.Range{From: from, To: from.AddDate(0, 0, rapid.IntRange(0, 90).Draw(rt, "days"))}
			at := rng.From.Add(time.Duration(rapid.Int64Range(0, int64(rng.To.Sub(rng.From)+4*24*time.Hour)).Draw(rt, "at")))

			asset := pricefill.Asset{Symbol: sym}
			cal := calendar.For(asset)
			days := cal.TradingDays(rng.From, rng.To)
			h := newHarnessAt(rt, at)
			now := h.clock.Now()

			var stored []pricefill.Bar
			var holes []backfill.Hole
			have := map[time.Time]bool{}
			rest := map[time.Time]bool{}
			reasons := []backfill.HoleReason{backfill.HoleMissing, backfill.HoleLate, backfill.HoleNull, backfill.HoleInvalid}
			for _, d := range days {
				switch rapid.IntRange(0, 3).Draw(rt, "day") {
				case 0, 1:
					b := fake.Bars(sym, pricefill.Range{From: d, To: d})
					if len(b) == 1 {
						stored = append(stored, b[0])
						have[d] = true
					}
				case 2:
					hole := backfill.Hole{
						Date:      d,
						Reason:    reasons[rapid.IntRange(0, 3).Draw(rt, "reason")],
						Asks:      rapid.IntRange(1, 5).Draw(rt, "asks"),
						LastAsked: now.Add(-agoNearBackoff(rt)),
					}
					holes = append(holes, hole)
					rest[d] = restingModel(hole, now)
				}
			}
			h.store.Put(stored...)
			if _, err := h.store.Save(context.Background(), backfill.SaveRequest{
				Series: &pricefill.Series{Asset: asset}, Range: rng, Holes: holes}); err != nil {
				rt.Fatal(err)
			}

			last := calendar.LastSessionOver(cal, asset, now)
			need := map[time.Time]bool{}
			resting := 0
			for _, d := range days {
				switch {
				case d.After(last), have[d]:
				case rest[d]:
					resting++
				default:
					need[d] = true
				}
			}

			r := h.runner(backfill.WithLimiter(noLimit))
			req := backfill.Request{Symbols: []string{sym}, Range: rng}
			plan, err := r.Plan(context.Background(), req)
			if err != nil {
				rt.Fatal(err)
			}
			if _, err := r.Run(context.Background(), req); err != nil {
				rt.Fatal(err)
			}
			calls := h.fetcher.Calls()
			if plan.Requests != len(calls) || plan.Resting != resting || plan.Missing != len(need) {
				rt.Fatalf("Plan: %d requests, %d days missing, %d resting; the run made %d, the model has %d missing, %d resting",
					plan.Requests, plan.Missing, plan.Resting, len(calls), len(need), resting)
			}
			// A request ends on a missing final session and starts on one
			// or, when a day is stored before it (and after the request
			// before), on the last such day: it overlaps the store by that
			// day, to see whether the provider restated the history stored.
			covered := map[time.Time]bool{}
			var prevTo time.Time
			for i, c := range calls {
				var first, from time.Time
				for _, d := range cal.TradingDays(c.Range.From, c.Range.To) {
					if need[d] {
						first = d
						break
					}
				}
				from = first
				for _, d := range days {
					if have[d] && d.After(prevTo) && d.Before(first) {
						from = d
					}
				}
				if first.IsZero() || !c.Range.From.Equal(from) || !need[c.Range.To] {
					rt.Fatalf("request %s does not start on a missing final session or the stored day before it, and end on a missing final session", c.Range)
				}
				if i > 0 && !c.Range.From.After(calls[i-1].Range.To) {
					rt.Fatalf("request %s overlaps or precedes %s", c.Range, calls[i-1].Range)
				}
				prevTo = c.Range.To
				for _, d := range cal.TradingDays(c.Range.From, c.Range.To) {
					covered[d] = true
				}
			}
			var missed []time.Time
			for d := range need {
				if !covered[d] {
					missed = append(missed, d)
				}
			}
			slices.SortFunc(missed, time.Time.Compare)
			if len(missed) > 0 {
				rt.Fatalf("at %s, %d missing final sessions not asked for, the first %s; requests %v",
					now.Format(time.RFC3339), len(missed), missed[0].Format(pricefill.DateLayout), requested(calls))
			}
		})
	})
}
