package storetest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
)

// The checks of a [backfill.HoleKeeper].

// saveHoles saves bars and holes of symbol, failing the test when the save
// fails.
func (e *env) saveHoles(t rapid.TB, symbol string, bars []pricefill.Bar, holes ...backfill.Hole) backfill.SaveResult {
	t.Helper()
	res, err := e.s.Save(e.ctx, backfill.SaveRequest{Series: series(symbol, bars), Range: rangeOf(bars), Holes: holes})
	if err != nil {
		t.Fatalf("Save(%s, %d bars, %d holes): %v", symbol, len(bars), len(holes), err)
	}
	return res
}

// holes returns the holes the keeper holds for symbol within r, failing
// the test when one is not dated midnight UTC or not last asked in UTC.
func (e *env) holes(t rapid.TB, symbol string, r pricefill.Range) []backfill.Hole {
	t.Helper()
	holes, err := e.keeper.Holes(e.ctx, symbol, r)
	if err != nil {
		t.Fatalf("Holes(%s, %s): %v", symbol, r, err)
	}
	for _, h := range holes {
		if h.Date.Location() != time.UTC || !h.Date.Equal(pricefill.DateOf(h.Date)) {
			t.Fatalf("Holes(%s, %s) returned a hole dated %s, want dates at midnight UTC", symbol, r, h.Date)
		}
		if h.LastAsked.Location() != time.UTC {
			t.Fatalf("Holes(%s, %s) returned a hole of %s last asked at %s, want the time in UTC", symbol, r, h.Date.Format(pricefill.DateLayout), h.LastAsked)
		}
	}
	return holes
}

// wantHoles fails the test unless the holes of symbol over all time are
// want.
func (e *env) wantHoles(t rapid.TB, symbol string, want []backfill.Hole, when string) {
	t.Helper()
	if diff := cmp.Diff(want, e.holes(t, symbol, allTime), cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("%s: holes of %s (-want +recorded):\n%s", when, symbol, diff)
	}
}

// asked is a time a hole was last asked for: June 2025, on a clock of
// New York, to microseconds (what SQL stores).
func asked(day, minute, micro int) time.Time {
	return time.Date(2025, 6, day, 18, minute, 5, micro*1000, time.FixedZone("EDT", -4*3600))
}

// hole returns a hole of d; its LastAsked is in UTC, as a keeper returns
// it.
func hole(d time.Time, reason backfill.HoleReason, detail string, asks int, last time.Time) backfill.Hole {
	return backfill.Hole{Date: d, Reason: reason, Detail: detail, Asks: asks, LastAsked: last.UTC()}
}

// inZone returns h with LastAsked on New York's clock, as a runner might
// give it.
func inZone(h backfill.Hole) backfill.Hole {
	h.LastAsked = h.LastAsked.In(time.FixedZone("EDT", -4*3600))
	return h
}

func testHolesWithinRange(t *testing.T, e *env) {
	d := func(day int) time.Time { return pricefill.Date(2025, 6, day) }
	aapl := []backfill.Hole{
		hole(d(2), backfill.HoleMissing, "", 1, asked(10, 0, 1)),
		hole(d(3), backfill.HoleLate, "", 2, asked(10, 1, 999999)),
		hole(d(6), backfill.HoleNull, "", 3, asked(11, 2, 0)),
		hole(d(9), backfill.HoleInvalid, "high below low; close above high", 7, asked(12, 3, 500)),
	}
	var given []backfill.Hole
	for _, h := range aapl {
		given = append(given, inZone(h))
	}
	e.saveHoles(t, "AAPL", []pricefill.Bar{bar("AAPL", d(4), 1, "synthetic"), bar("AAPL", d(5), 2, "synthetic")}, given...)
	msft := hole(d(3), backfill.HoleMissing, "", 1, asked(10, 0, 0))
	e.saveHoles(t, "MSFT", nil, msft)
	for _, tc := range []struct {
		symbol   string
		from, to time.Time
		want     []backfill.Hole
	}{
		{"AAPL", d(3), d(6), aapl[1:3]},
		{"AAPL", d(4), d(5), nil},
		{"AAPL", d(2), d(2), aapl[:1]},
		{"AAPL", d(9), d(30), aapl[3:]},
		{"AAPL", d(10), d(30), nil},
		{"AAPL", d(1), d(30), aapl},
		{"MSFT", d(1), d(30), []backfill.Hole{msft}},
		{"IBM", d(1), d(30), nil},
	} {
		r := pricefill.Range{From: tc.from, To: tc.to}
		if diff := cmp.Diff(tc.want, e.holes(t, tc.symbol, r), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("Holes(%s, %s) (-want +got):\n%s", tc.symbol, r, diff)
		}
	}
}

func testHoleReplaced(t *testing.T, e *env) {
	d2, d3 := day0, day0.AddDate(0, 0, 1)
	first := hole(d2, backfill.HoleMissing, "", 1, asked(10, 0, 0))
	other := hole(d3, backfill.HoleNull, "", 1, asked(10, 0, 0))
	e.saveHoles(t, "AAPL", nil, first, other)
	again := hole(d2, backfill.HoleInvalid, "volume negative", 3, asked(20, 30, 250))
	e.saveHoles(t, "AAPL", nil, inZone(again))
	e.wantHoles(t, "AAPL", []backfill.Hole{again, other}, "after a save with a hole of a date recorded already")
	// As given, whatever was recorded: fewer asks, an earlier time, no
	// detail.
	last := hole(d2, backfill.HoleLate, "", 1, asked(5, 0, 0))
	e.saveHoles(t, "AAPL", nil, last)
	e.wantHoles(t, "AAPL", []backfill.Hole{last, other}, "after a third save of the date")
}

func testBarForgetsHole(t *testing.T, e *env) {
	days := weekdays("AAPL", day0, 6)
	at := asked(10, 0, 0)
	holes := make([]backfill.Hole, len(days))
	for i, b := range days {
		holes[i] = hole(b.Date, backfill.HoleMissing, "", 1, at)
	}
	e.saveHoles(t, "AAPL", nil, holes[0], holes[1], holes[2])
	e.saveHoles(t, "MSFT", nil, hole(days[1].Date, backfill.HoleNull, "", 1, at)) // another symbol's, on the same date

	if res := e.saveHoles(t, "AAPL", days[1:2]); res != (backfill.SaveResult{Inserted: 1}) {
		t.Errorf("save of a bar of a hole's date: %+v, want 1 inserted", res)
	}
	e.wantHoles(t, "AAPL", []backfill.Hole{holes[0], holes[2]}, "after a save of a bar of the second hole's date")
	e.wantHoles(t, "MSFT", []backfill.Hole{hole(days[1].Date, backfill.HoleNull, "", 1, at)}, "after a save of AAPL's bar")

	// A hole and a bar of one date in one save: the day is served.
	e.saveHoles(t, "AAPL", days[3:4], holes[3], holes[4])
	e.wantHoles(t, "AAPL", []backfill.Hole{holes[0], holes[2], holes[4]}, "after a save with a hole and a bar of one date")

	// A bar stored before, given again (and skipped), forgets the hole
	// recorded since.
	e.saveHoles(t, "AAPL", nil, holes[1])
	if res := e.saveHoles(t, "AAPL", days[1:2]); res != (backfill.SaveResult{Skipped: 1}) {
		t.Errorf("save of a stored bar again: %+v, want 1 skipped", res)
	}
	e.wantHoles(t, "AAPL", []backfill.Hole{holes[0], holes[2], holes[4]}, "after a save of a stored bar of a hole's date")
	e.wantBars(t, "AAPL", []pricefill.Bar{days[1], days[3]}, "after the saves")
}

func testRefusedRecordsNoHole(t *testing.T, e *env) {
	d := func(i int) time.Time { return day0.AddDate(0, 0, i) }
	stored := hole(d(0), backfill.HoleMissing, "", 1, asked(10, 0, 0))
	e.saveHoles(t, "BAD", nil, stored)
	good := []backfill.Hole{
		hole(d(0), backfill.HoleNull, "", 2, asked(11, 0, 0)), // would replace stored
		hole(d(1), backfill.HoleLate, "", 1, asked(11, 0, 0)),
	}
	goodBar := bar("BAD", d(2), 3, "synthetic")
	badBar := goodBar
	badBar.Close = math.NaN()
	refused := func(name string, bars []pricefill.Bar, holes []backfill.Hole) {
		t.Helper()
		_, err := e.s.Save(e.ctx, backfill.SaveRequest{Series: series("BAD", bars), Holes: holes})
		if !errors.Is(err, pricefill.ErrPermanent) {
			t.Errorf("%s: Save = %v, want an error matching pricefill.ErrPermanent", name, err)
		}
		e.wantHoles(t, "BAD", []backfill.Hole{stored}, name+": after the refused save")
		e.wantBars(t, "BAD", nil, name+": after the refused save")
	}
	refused("a bar refused", []pricefill.Bar{goodBar, badBar}, good)
	for _, tc := range []struct {
		name string
		edit func(h *backfill.Hole)
	}{
		{"unknown reason", func(h *backfill.Hole) { h.Reason = "gone" }},
		{"no reason", func(h *backfill.Hole) { h.Reason = "" }},
		{"no asks", func(h *backfill.Hole) { h.Asks = 0 }},
		{"negative asks", func(h *backfill.Hole) { h.Asks = -1 }},
		{"date not midnight", func(h *backfill.Hole) { h.Date = h.Date.Add(time.Hour) }},
		{"zero date", func(h *backfill.Hole) { h.Date = time.Time{} }},
		{"never asked", func(h *backfill.Hole) { h.LastAsked = time.Time{} }},
	} {
		bad := hole(d(3), backfill.HoleMissing, "", 1, asked(11, 0, 0))
		tc.edit(&bad)
		refused("a hole with "+tc.name, []pricefill.Bar{goodBar}, append(slices.Clone(good), bad))
	}

	ctx, cancel := context.WithCancel(e.ctx)
	cancel()
	_, err := e.s.Save(ctx, backfill.SaveRequest{Series: series("GONE", nil), Holes: good})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Save of holes with a cancelled context = %v, want context.Canceled", err)
	}
	e.wantHoles(t, "GONE", nil, "after a cancelled save")
	if a := e.asset(t, "GONE"); a != nil {
		t.Errorf("asset after a cancelled save of holes: %+v, want none", a)
	}
}

func testHolesWithoutBars(t *testing.T, e *env) {
	holes := []backfill.Hole{
		hole(day0, backfill.HoleNull, "", 1, asked(10, 0, 0)),
		hole(day0.AddDate(0, 0, 1), backfill.HoleMissing, "", 1, asked(10, 0, 0)),
	}
	a := pricefill.Asset{Symbol: "NEW", Name: "New Listing plc", Timezone: "Europe/London"}
	res, err := e.s.Save(e.ctx, backfill.SaveRequest{Series: &pricefill.Series{Asset: a}, Holes: holes})
	if err != nil {
		t.Fatalf("Save of holes and no bars of a new symbol: %v", err)
	}
	if res != (backfill.SaveResult{}) {
		t.Errorf("Save of holes and no bars = %+v, want nothing counted", res)
	}
	e.wantHoles(t, "NEW", holes, "after a save of holes and no bars")
	if diff := cmp.Diff(&a, e.asset(t, "NEW")); diff != "" {
		t.Errorf("asset after a save of holes and no bars (-want +stored):\n%s", diff)
	}
	e.wantBars(t, "NEW", nil, "after a save of holes and no bars")
}

// testHolesModel drives one store with random saves of bars and holes on
// random days and compares the holes recorded, over all time and within a
// random range, with a model: each save records its holes, replacing
// those of their dates, then forgets those of the dates of its bars.
func testHolesModel(t *testing.T, e *env) {
	days := weekdays("", day0, 8)
	reasons := []backfill.HoleReason{backfill.HoleMissing, backfill.HoleLate, backfill.HoleNull, backfill.HoleInvalid}
	rapid.Check(t, func(rt *rapid.T) {
		symbol := fmt.Sprintf("H%d", modelSeq.Add(1))
		model := make(map[time.Time]backfill.Hole)
		stored := make(map[time.Time]bool)
		for range rapid.IntRange(1, 6).Draw(rt, "saves") {
			barDays := rapid.SliceOfNDistinct(rapid.IntRange(0, len(days)-1), 0, len(days), rapid.ID).Draw(rt, "bar days")
			holeDays := rapid.SliceOfNDistinct(rapid.IntRange(0, len(days)-1), 0, len(days), rapid.ID).Draw(rt, "hole days")
			slices.Sort(barDays)
			slices.Sort(holeDays)
			var (
				bars  []pricefill.Bar
				holes []backfill.Hole
			)
			for _, i := range holeDays {
				reason := rapid.SampledFrom(reasons).Draw(rt, "reason")
				detail := ""
				if reason == backfill.HoleInvalid {
					detail = rapid.SampledFrom([]string{"high below low", `a "quoted" \ rule`, "NULL"}).Draw(rt, "detail")
				}
				h := hole(days[i].Date, reason, detail, rapid.IntRange(1, 40).Draw(rt, "asks"),
					asked(10, rapid.IntRange(0, 59).Draw(rt, "minute"), rapid.IntRange(0, 999999).Draw(rt, "micro")))
				holes = append(holes, h)
				model[h.Date] = h
			}
			for _, i := range barDays {
				b := bar(symbol, days[i].Date, i, "synthetic")
				bars = append(bars, b)
				delete(model, b.Date)
				stored[b.Date] = true
			}
			e.saveHoles(rt, symbol, bars, holes...)
		}
		want := slices.SortedFunc(maps.Values(model), func(a, b backfill.Hole) int { return a.Date.Compare(b.Date) })
		e.wantHoles(rt, symbol, want, "after the saves")

		from := rapid.IntRange(0, len(days)-1).Draw(rt, "from")
		to := rapid.IntRange(from, len(days)-1).Draw(rt, "to")
		r := pricefill.Range{From: days[from].Date, To: days[to].Date}
		var within []backfill.Hole
		for _, h := range want {
			if r.Contains(h.Date) {
				within = append(within, h)
			}
		}
		if diff := cmp.Diff(within, e.holes(rt, symbol, r), cmpopts.EquateEmpty()); diff != "" {
			rt.Fatalf("Holes(%s, %s) after the saves (-want +got):\n%s", symbol, r, diff)
		}
		var dates []time.Time
		for _, b := range e.bars(rt, symbol) {
			dates = append(dates, b.Date)
		}
		if diff := cmp.Diff(slices.SortedFunc(maps.Keys(stored), time.Time.Compare), dates, cmpopts.EquateEmpty()); diff != "" {
			rt.Fatalf("dates of the bars after the saves (-want +stored):\n%s", diff)
		}
	})
}
