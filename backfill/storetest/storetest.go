package storetest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
)

// A Store is what the suite tests: a [backfill.Store] that can read back
// what it stored. Package store's DB is one.
type Store interface {
	backfill.Store
	// Bars returns the stored bars of symbol within r, in date order, each
	// with Symbol set to symbol; none when the symbol has none.
	Bars(ctx context.Context, symbol string, r pricefill.Range) ([]pricefill.Bar, error)
	// Asset returns the stored description of symbol, or nil when none is
	// stored.
	Asset(ctx context.Context, symbol string) (*pricefill.Asset, error)
}

// OpenFunc returns a new, empty store for t. Each call must return a store
// that shares no data with the others; the function releases the store
// when t ends (with t.Cleanup).
type OpenFunc func(t *testing.T) Store

// Run runs the whole suite against the stores open makes, each check as a
// parallel subtest with a store of its own. The checks of StoredDates run
// when the stores are [backfill.DateLister]s, those of holes when they
// are [backfill.HoleKeeper]s, and those of dividends and splits when they
// are [backfill.ActionLister]s, which Run tells from one more store that it
// opens first.
func Run(t *testing.T, open OpenFunc) {
	t.Helper()
	type check struct {
		name string
		fn   func(t *testing.T, e *env)
	}
	tests := []check{
		{"SaveIsIdempotent", testIdempotent},
		{"ForceReplacesChangedDays", testForce},
		{"WithoutForceStoredDaysStay", testWithoutForce},
		{"SourceAloneIsNoChange", testSourceAlone},
		{"AssetFieldsMerge", testAssetMerge},
		{"RefusedBarFailsTheWholeSave", testRefused},
		{"CancelledSaveStoresNothing", testCancelled},
		{"DuplicateDatesStoreOneBar", testDuplicates},
		{"ConcurrentSavesCountExactly", testConcurrent},
		{"SavesMatchAModel", testModel},
	}
	first := open(t)
	if _, ok := first.(backfill.DateLister); ok {
		tests = append(tests, check{"StoredDatesWithinRange", testStoredDates})
	}
	if _, ok := first.(backfill.HoleKeeper); ok {
		tests = append(tests,
			check{"HolesReadBackWithinRange", testHolesWithinRange},
			check{"HoleRecordedAgainIsReplaced", testHoleReplaced},
			check{"BarForgetsItsHole", testBarForgetsHole},
			check{"RefusedSaveRecordsNoHole", testRefusedRecordsNoHole},
			check{"HolesWithoutBarsStoreTheAsset", testHolesWithoutBars},
			check{"HolesMatchAModel", testHolesModel},
		)
	}
	if _, ok := first.(backfill.ActionLister); ok {
		tests = append(tests,
			check{"ActionsSavedTwiceStoreOnce", testActionsIdempotent},
			check{"ActionRestatedIsReplaced", testActionReplaced},
			check{"ActionsReadBackWithinRange", testActionsWithinRange},
			check{"RefusedActionFailsTheSave", testRefusedActionFailsTheSave},
		)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			lister, _ := s.(backfill.DateLister)
			keeper, _ := s.(backfill.HoleKeeper)
			actions, _ := s.(backfill.ActionLister)
			tc.fn(t, &env{t: t, ctx: context.Background(), s: s, lister: lister, keeper: keeper, actions: actions})
		})
	}
}

// allTime is a range that holds every bar of the tests.
var allTime = pricefill.Range{From: pricefill.Date(1900, 1, 1), To: pricefill.Date(2200, 12, 31)}

type env struct {
	t      *testing.T
	ctx    context.Context
	s      Store
	lister backfill.DateLister // nil when s is not one
	keeper backfill.HoleKeeper // nil when s is not one
	// actions is nil when s is not a backfill.ActionLister.
	actions backfill.ActionLister
}

// save saves bars of symbol and returns the result, failing the test when
// the save fails or its counts do not add up to the number of bars.
func (e *env) save(t rapid.TB, symbol string, bars []pricefill.Bar, force bool) backfill.SaveResult {
	t.Helper()
	res, err := e.s.Save(e.ctx, backfill.SaveRequest{Series: series(symbol, bars), Range: rangeOf(bars), Force: force})
	if err != nil {
		t.Fatalf("Save(%s, %d bars, force %v): %v", symbol, len(bars), force, err)
	}
	if n := res.Inserted + res.Updated + res.Skipped; n != int64(len(bars)) {
		t.Fatalf("Save(%s, %d bars, force %v) = %+v: the counts add up to %d, want %d", symbol, len(bars), force, res, n, len(bars))
	}
	return res
}

func (e *env) bars(t rapid.TB, symbol string) []pricefill.Bar {
	t.Helper()
	bars, err := e.s.Bars(e.ctx, symbol, allTime)
	if err != nil {
		t.Fatalf("Bars(%s): %v", symbol, err)
	}
	return bars
}

func (e *env) asset(t rapid.TB, symbol string) *pricefill.Asset {
	t.Helper()
	a, err := e.s.Asset(e.ctx, symbol)
	if err != nil {
		t.Fatalf("Asset(%s): %v", symbol, err)
	}
	return a
}

// wantBars fails the test unless the stored bars of symbol are want.
func (e *env) wantBars(t rapid.TB, symbol string, want []pricefill.Bar, when string) {
	t.Helper()
	if diff := cmp.Diff(want, e.bars(t, symbol), cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("%s: bars of %s (-want +stored):\n%s", when, symbol, diff)
	}
}

// storedDates returns the dates the lister holds for symbol within r, in
// order, failing the test when one is not midnight UTC.
func (e *env) storedDates(t rapid.TB, symbol string, r pricefill.Range) []time.Time {
	t.Helper()
	dates, err := e.lister.StoredDates(e.ctx, symbol, r)
	if err != nil {
		t.Fatalf("StoredDates(%s, %s): %v", symbol, r, err)
	}
	for _, d := range dates {
		if d.Location() != time.UTC || !d.Equal(pricefill.DateOf(d)) {
			t.Fatalf("StoredDates(%s, %s) returned %s, want dates at midnight UTC", symbol, r, d)
		}
	}
	slices.SortFunc(dates, time.Time.Compare)
	return dates
}

func series(symbol string, bars []pricefill.Bar) *pricefill.Series {
	return &pricefill.Series{Asset: pricefill.Asset{Symbol: symbol}, Bars: bars}
}

func rangeOf(bars []pricefill.Bar) pricefill.Range {
	if len(bars) == 0 {
		return pricefill.Range{From: allTime.From, To: allTime.From}
	}
	return pricefill.Range{From: bars[0].Date, To: bars[len(bars)-1].Date}
}

// weekdays returns n bars of symbol on the weekdays from from on, with
// prices that a float64 holds exactly and that differ from day to day.
func weekdays(symbol string, from time.Time, n int) []pricefill.Bar {
	bars := make([]pricefill.Bar, 0, n)
	for d := from; len(bars) < n; d = d.AddDate(0, 0, 1) {
		if d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
			continue
		}
		bars = append(bars, bar(symbol, d, len(bars), "synthetic"))
	}
	return bars
}

// bar returns a valid bar of symbol on d, its prices derived from v.
func bar(symbol string, d time.Time, v int, source string) pricefill.Bar {
	p := 100 + float64(v)/8
	return pricefill.Bar{Symbol: symbol, Date: d, Open: p, High: p + 1, Low: p - 1, Close: p + 0.25,
		AdjClose: p + 0.125, Volume: int64(1000 + v), Source: source}
}

// restate returns bars with the values of those at the indexes changed
// (as a provider restates history), the others as they are.
func restate(bars []pricefill.Bar, indexes ...int) []pricefill.Bar {
	out := slices.Clone(bars)
	for _, i := range indexes {
		out[i].Close += 0.5
		out[i].Volume += 7
	}
	return out
}

var day0 = pricefill.Date(2025, 6, 2) // a Monday

func testIdempotent(t *testing.T, e *env) {
	bars := weekdays("AAPL", day0, 10)
	if res := e.save(t, "AAPL", bars, false); res != (backfill.SaveResult{Inserted: 10}) {
		t.Errorf("first save of 10 bars: %+v, want 10 inserted", res)
	}
	for _, force := range []bool{false, true} {
		if res := e.save(t, "AAPL", bars, force); res != (backfill.SaveResult{Skipped: 10}) {
			t.Errorf("the same 10 bars again (force %v): %+v, want 10 skipped", force, res)
		}
	}
	e.wantBars(t, "AAPL", bars, "after three saves of the same bars")
}

func testForce(t *testing.T, e *env) {
	all := weekdays("AAPL", day0, 8)
	e.save(t, "AAPL", all[:6], false)
	next := restate(all, 1, 3)
	res := e.save(t, "AAPL", next, true)
	if want := (backfill.SaveResult{Inserted: 2, Updated: 2, Skipped: 4}); res != want {
		t.Errorf("forced save with 2 of 6 stored days changed and 2 new: %+v, want %+v", res, want)
	}
	e.wantBars(t, "AAPL", next, "after the forced save")
	if res := e.save(t, "AAPL", next, true); res != (backfill.SaveResult{Skipped: 8}) {
		t.Errorf("the same forced save again: %+v, want 8 skipped", res)
	}
}

func testWithoutForce(t *testing.T, e *env) {
	all := weekdays("AAPL", day0, 8)
	e.save(t, "AAPL", all[:6], false)
	res := e.save(t, "AAPL", restate(all, 1, 3), false)
	if want := (backfill.SaveResult{Inserted: 2, Skipped: 6}); res != want {
		t.Errorf("save without force, 2 of 6 stored days changed and 2 new: %+v, want %+v", res, want)
	}
	e.wantBars(t, "AAPL", all, "after the save without force")
}

// testSourceAlone pins the SQL store's rule: Force replaces a stored day
// when its prices or volume changed; a new Bar.Source alone changes
// nothing, and the day keeps its source until its values change.
func testSourceAlone(t *testing.T, e *env) {
	stored := weekdays("AAPL", day0, 4)
	e.save(t, "AAPL", stored, false)
	moved := slices.Clone(stored)
	for i := range moved {
		moved[i].Source = "elsewhere"
	}
	if res := e.save(t, "AAPL", moved, true); res != (backfill.SaveResult{Skipped: 4}) {
		t.Errorf("forced save with only the source changed: %+v, want 4 skipped", res)
	}
	e.wantBars(t, "AAPL", stored, "after a forced save with only the source changed")

	restated := restate(moved, 2)
	if res := e.save(t, "AAPL", restated, true); res != (backfill.SaveResult{Updated: 1, Skipped: 3}) {
		t.Errorf("forced save with one day's values and every source changed: %+v, want 1 updated, 3 skipped", res)
	}
	want := slices.Clone(stored)
	want[2] = restated[2]
	e.wantBars(t, "AAPL", want, "after a forced save of a restated day from another source")
}

func testAssetMerge(t *testing.T, e *env) {
	if a := e.asset(t, "AAPL"); a != nil {
		t.Fatalf("Asset of an empty store: %+v, want nil", a)
	}
	save := func(a pricefill.Asset, bars []pricefill.Bar) {
		t.Helper()
		res, err := e.s.Save(e.ctx, backfill.SaveRequest{Series: &pricefill.Series{Asset: a, Bars: bars}, Range: rangeOf(bars)})
		if err != nil {
			t.Fatalf("Save(%+v, %d bars): %v", a, len(bars), err)
		}
		if res != (backfill.SaveResult{Inserted: int64(len(bars))}) {
			t.Fatalf("Save(%+v, %d new bars) = %+v, want them inserted", a, len(bars), res)
		}
	}
	save(pricefill.Asset{Symbol: "AAPL", Name: "Apple Inc.", Exchange: "NMS"}, nil) // a save without bars stores the asset
	want := pricefill.Asset{Symbol: "AAPL", Name: "Apple Inc.", Exchange: "NMS"}
	if diff := cmp.Diff(&want, e.asset(t, "AAPL")); diff != "" {
		t.Errorf("asset after a save without bars (-want +stored):\n%s", diff)
	}
	save(pricefill.Asset{Symbol: "AAPL", Currency: "USD", Timezone: "America/New_York"}, weekdays("AAPL", day0, 2))
	want = pricefill.Asset{Symbol: "AAPL", Name: "Apple Inc.", Currency: "USD", Exchange: "NMS", Timezone: "America/New_York"}
	if diff := cmp.Diff(&want, e.asset(t, "AAPL")); diff != "" {
		t.Errorf("asset after a save that gave other fields (-want +stored):\n%s", diff)
	}
	save(pricefill.Asset{Symbol: "AAPL", Name: "Apple", Currency: "GBp"}, nil)
	want.Name, want.Currency = "Apple", "GBp"
	if diff := cmp.Diff(&want, e.asset(t, "AAPL")); diff != "" {
		t.Errorf("asset after a save that changed two fields (-want +stored):\n%s", diff)
	}
	if a := e.asset(t, "MSFT"); a != nil {
		t.Errorf("Asset of a symbol never saved: %+v, want nil", a)
	}
}

func testRefused(t *testing.T, e *env) {
	before := pricefill.Asset{Symbol: "BAD", Name: "Before Inc."}
	stored := weekdays("BAD", day0, 3)
	if _, err := e.s.Save(e.ctx, backfill.SaveRequest{Series: &pricefill.Series{Asset: before, Bars: stored}}); err != nil {
		t.Fatal(err)
	}
	good := bar("BAD", day0.AddDate(0, 0, 7), 40, "synthetic") // a day not stored yet
	for _, tc := range []struct {
		name string
		edit func(b *pricefill.Bar)
	}{
		{"NaN open", func(b *pricefill.Bar) { b.Open = math.NaN() }},
		{"infinite high", func(b *pricefill.Bar) { b.High = math.Inf(1) }},
		{"minus infinite low", func(b *pricefill.Bar) { b.Low = math.Inf(-1) }},
		{"zero low", func(b *pricefill.Bar) { b.Low = 0 }},
		{"zero close", func(b *pricefill.Bar) { b.Close = 0 }},
		{"negative close", func(b *pricefill.Bar) { b.Close = -1 }},
		{"NaN adj close", func(b *pricefill.Bar) { b.AdjClose = math.NaN() }},
		{"negative adj close", func(b *pricefill.Bar) { b.AdjClose = -1 }},
		{"negative volume", func(b *pricefill.Bar) { b.Volume = -1 }},
		{"date not midnight", func(b *pricefill.Bar) { b.Date = b.Date.Add(time.Hour) }},
		{"midnight of another zone", func(b *pricefill.Bar) {
			b.Date = time.Date(b.Date.Year(), b.Date.Month(), b.Date.Day(), 0, 0, 0, 0, time.FixedZone("EST", -5*3600))
		}},
		{"zero date", func(b *pricefill.Bar) { b.Date = time.Time{} }},
		{"another symbol", func(b *pricefill.Bar) { b.Symbol = "OTHER" }},
	} {
		bad := bar("BAD", day0.AddDate(0, 0, 8), 41, "synthetic")
		tc.edit(&bad)
		// The bad bar comes last, after a restated day and a new one: a
		// store that saves bar by bar has stored them by then.
		bars := append(restate(stored, 0)[:1], good, bad)
		req := backfill.SaveRequest{Series: &pricefill.Series{Asset: pricefill.Asset{Symbol: "BAD", Name: "After Inc."}, Bars: bars}, Force: true}
		_, err := e.s.Save(e.ctx, req)
		if !errors.Is(err, pricefill.ErrPermanent) {
			t.Errorf("%s: Save = %v, want an error matching pricefill.ErrPermanent", tc.name, err)
		}
		e.wantBars(t, "BAD", stored, tc.name+": after the refused save")
		if diff := cmp.Diff(&before, e.asset(t, "BAD")); diff != "" {
			t.Errorf("%s: asset after the refused save (-want +stored):\n%s", tc.name, diff)
		}
		if a := e.asset(t, "OTHER"); a != nil {
			t.Errorf("%s: asset OTHER stored by the refused save: %+v", tc.name, a)
		}
	}
	if _, err := e.s.Save(e.ctx, backfill.SaveRequest{}); !errors.Is(err, pricefill.ErrPermanent) {
		t.Errorf("Save without a series = %v, want an error matching pricefill.ErrPermanent", err)
	}

	// The edges the schema takes: an unknown adjusted close (0), no volume,
	// the smallest positive price.
	edge := good
	edge.AdjClose, edge.Volume, edge.Low = 0, 0, math.SmallestNonzeroFloat64
	e.save(t, "BAD", []pricefill.Bar{edge}, false)
	e.wantBars(t, "BAD", append(slices.Clone(stored), edge), "after a save of the edge values")
}

func testCancelled(t *testing.T, e *env) {
	ctx, cancel := context.WithCancel(e.ctx)
	cancel()
	_, err := e.s.Save(ctx, backfill.SaveRequest{Series: series("AAPL", weekdays("AAPL", day0, 3))})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Save with a cancelled context = %v, want context.Canceled", err)
	}
	e.wantBars(t, "AAPL", nil, "after a cancelled save")
	if a := e.asset(t, "AAPL"); a != nil {
		t.Errorf("asset after a cancelled save: %+v, want none", a)
	}
}

// testDuplicates checks the module's one rule for a series with a date
// twice (pricefill.Series.Dedupe): one bar per date, the last given, and
// the others counted as skipped.
func testDuplicates(t *testing.T, e *env) {
	bars := weekdays("AAPL", day0, 3)
	again := bar("AAPL", bars[1].Date, 20, "synthetic")
	if res := e.save(t, "AAPL", []pricefill.Bar{bars[0], bars[1], again, bars[2]}, false); res != (backfill.SaveResult{Inserted: 3, Skipped: 1}) {
		t.Errorf("save of 4 bars, one date twice: %+v, want 3 inserted, 1 skipped", res)
	}
	got := e.bars(t, "AAPL")
	var dates []time.Time
	for _, b := range got {
		dates = append(dates, b.Date)
	}
	if diff := cmp.Diff([]time.Time{bars[0].Date, bars[1].Date, bars[2].Date}, dates); diff != "" {
		t.Errorf("dates stored from a series with one date twice (-want +stored):\n%s", diff)
	}
	if len(got) == 3 && got[1] != again {
		t.Errorf("bar stored for the date given twice: %+v, want the last given, %+v (see pricefill.Series.Dedupe)", got[1], again)
	}
}

// testConcurrent saves the same bars from four goroutines at once, each
// cutting them into batches of its own, and then restated bars with Force
// the same way: each bar is inserted once and each restated day updated
// once, over all the saves.
func testConcurrent(t *testing.T, e *env) {
	const workers = 4
	bars := weekdays("AAPL", day0, 20)
	restated := restate(bars, 2, 3, 11, 17, 19)
	for _, round := range []struct {
		bars  []pricefill.Bar
		force bool
		want  backfill.SaveResult
	}{
		{bars, false, backfill.SaveResult{Inserted: 20, Skipped: 20 * (workers - 1)}},
		{restated, true, backfill.SaveResult{Updated: 5, Skipped: 20*workers - 5}},
	} {
		var (
			wg    sync.WaitGroup
			total [3]atomic.Int64
		)
		for w := range workers {
			wg.Go(func() {
				batches := slices.Collect(slices.Chunk(round.bars, w+3))
				if w%2 == 1 {
					slices.Reverse(batches)
				}
				for _, batch := range batches {
					res, err := e.s.Save(e.ctx, backfill.SaveRequest{Series: series("AAPL", batch), Force: round.force})
					if err != nil {
						t.Errorf("worker %d: Save of %d bars: %v", w, len(batch), err)
						return
					}
					if n := res.Inserted + res.Updated + res.Skipped; n != int64(len(batch)) {
						t.Errorf("worker %d: Save of %d bars = %+v, adding up to %d", w, len(batch), res, n)
					}
					total[0].Add(res.Inserted)
					total[1].Add(res.Updated)
					total[2].Add(res.Skipped)
				}
			})
		}
		wg.Wait()
		got := backfill.SaveResult{Inserted: total[0].Load(), Updated: total[1].Load(), Skipped: total[2].Load()}
		if got != round.want {
			t.Errorf("%d workers saving the same 20 bars (force %v): %+v in all, want %+v", workers, round.force, got, round.want)
		}
		e.wantBars(t, "AAPL", round.bars, fmt.Sprintf("after the concurrent saves (force %v)", round.force))
	}
}

func testStoredDates(t *testing.T, e *env) {
	e.save(t, "AAPL", weekdays("AAPL", pricefill.Date(2025, 1, 1), 10), false) // Jan 1 to 14
	e.save(t, "MSFT", weekdays("MSFT", pricefill.Date(2025, 1, 4), 3), false)  // Jan 6 to 8
	d := func(day int) time.Time { return pricefill.Date(2025, 1, day) }
	for _, tc := range []struct {
		symbol   string
		from, to time.Time
		want     []time.Time
	}{
		{"AAPL", d(3), d(7), []time.Time{d(3), d(6), d(7)}},
		{"AAPL", d(4), d(5), nil},
		{"AAPL", d(14), d(31), []time.Time{d(14)}},
		{"AAPL", d(15), d(31), nil},
		{"MSFT", d(1), d(31), []time.Time{d(6), d(7), d(8)}},
		{"IBM", d(1), d(31), nil},
	} {
		r := pricefill.Range{From: tc.from, To: tc.to}
		got := e.storedDates(t, tc.symbol, r)
		if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("StoredDates(%s, %s) (-want +got):\n%s", tc.symbol, r, diff)
		}
	}
}

var modelSeq atomic.Int64

// testModel drives one store with random saves of random days, forced or
// not, from two sources, and compares every result and the bars stored
// with a model of the rules above. (The saves have no date twice: the
// suite leaves the duplicate policy open.)
func testModel(t *testing.T, e *env) {
	days := weekdays("", day0, 8)
	rapid.Check(t, func(rt *rapid.T) {
		symbol := fmt.Sprintf("M%d", modelSeq.Add(1))
		model := make(map[time.Time]pricefill.Bar)
		for range rapid.IntRange(1, 5).Draw(rt, "saves") {
			picked := rapid.SliceOfNDistinct(rapid.IntRange(0, len(days)-1), 0, len(days), rapid.ID).Draw(rt, "days")
			slices.Sort(picked)
			force := rapid.Bool().Draw(rt, "force")
			var (
				bars []pricefill.Bar
				want backfill.SaveResult
			)
			for _, i := range picked {
				b := bar(symbol, days[i].Date, rapid.IntRange(0, 2).Draw(rt, "values"), rapid.SampledFrom([]string{"a", "b"}).Draw(rt, "source"))
				bars = append(bars, b)
				old, ok := model[b.Date]
				switch {
				case !ok:
					model[b.Date] = b
					want.Inserted++
				case force && !sameValues(old, b):
					model[b.Date] = b
					want.Updated++
				default:
					want.Skipped++
				}
			}
			if got := e.save(rt, symbol, bars, force); got != want {
				rt.Fatalf("Save of %d bars (force %v) = %+v, want %+v", len(bars), force, got, want)
			}
		}
		var want []pricefill.Bar
		for _, b := range model {
			want = append(want, b)
		}
		slices.SortFunc(want, func(a, b pricefill.Bar) int { return a.Date.Compare(b.Date) })
		e.wantBars(rt, symbol, want, "after the saves")
		if e.lister == nil {
			return
		}
		var dates []time.Time
		for _, b := range want {
			dates = append(dates, b.Date)
		}
		if diff := cmp.Diff(dates, e.storedDates(rt, symbol, allTime), cmpopts.EquateEmpty()); diff != "" {
			rt.Fatalf("StoredDates after the saves (-want +got):\n%s", diff)
		}
	})
}

// sameValues reports whether a and b have the same prices and volume:
// Force replaces a stored bar when they differ.
func sameValues(a, b pricefill.Bar) bool {
	a.Source, b.Source = "", ""
	return a == b
}
