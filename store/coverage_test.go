package store_test

import (
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/internal/clocktest"
	"github.com/pricefill/pricefill/store"
	"github.com/pricefill/pricefill/validate/calendar"
)

// coverageOf returns the coverage of one symbol, failing t unless there
// is exactly one.
func coverageOf(t rapid.TB, db *store.DB, symbol string) store.SymbolCoverage {
	t.Helper()
	cov, err := db.Coverage(ctx, []string{symbol})
	if err != nil {
		t.Fatal(err)
	}
	if len(cov) != 1 || cov[0].Asset.Symbol != symbol {
		t.Fatalf("Coverage(%s) = %+v, want one row, of %[1]s", symbol, cov)
	}
	return cov[0]
}

// TestCoverageAgreesWithTheRows: whatever trading days of a symbol are
// stored, and whatever other days are holes, the
// coverage has the first and last dates and the number of the bars
// stored, the holes by reason, and the completeness that
// calendar.Completeness gives over the stored dates from the first to
// the last.
func TestCoverageAgreesWithTheRows(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		db := open(t, d.dsn(t))
		days := calendar.NYSE.TradingDays(pricefill.Date(2024, 12, 16), pricefill.Date(2025, 1, 17))
		reasons := []backfill.HoleReason{backfill.HoleMissing, backfill.HoleLate, backfill.HoleNull, backfill.HoleInvalid}
		rapid.Check(t, func(t *rapid.T) {
			sym := newSymbol()
			asset := pricefill.Asset{Symbol: sym, Exchange: "NMS", Timezone: "America/New_York"}
			var all []pricefill.Bar
			var holes []backfill.Hole
			wantHoles := map[backfill.HoleReason]int{}
			for i, day := range days {
				switch rapid.IntRange(0, 3).Draw(t, "day") {
				case 0, 1:
					b := weekdays(sym, day, 1)[0]
					b.Open += float64(i)
					all = append(all, b)
				case 2:
					r := rapid.SampledFrom(reasons).Draw(t, "reason")
					holes = append(holes, backfill.Hole{Date: day, Reason: r, Asks: 1, LastAsked: start})
					wantHoles[r]++
				}
			}
			save(t, db, backfill.SaveRequest{Series: &pricefill.Series{Asset: asset, Bars: all}, Holes: holes})
			stored := all

			got := coverageOf(t, db, sym)
			want := store.SymbolCoverage{Asset: asset, Bars: len(stored)}
			if len(wantHoles) > 0 {
				want.Holes = wantHoles
			}
			var dates []time.Time
			for _, b := range stored {
				dates = append(dates, b.Date)
			}
			if len(stored) > 0 {
				want.First, want.Last = stored[0].Date, stored[len(stored)-1].Date
			}
			got.LastUpdate = time.Time{} // TestCoverageOfEachAsset checks it
			if diff := gocmp.Diff(want, got); diff != "" {
				t.Fatalf("coverage (-stored +read):\n%s", diff)
			}
			cal := calendar.For(got.Asset)
			if len(stored) == 0 {
				if c := got.Completeness(cal); c != 0 {
					t.Fatalf("completeness %v with no bar, want 0", c)
				}
				return
			}
			span := pricefill.Range{From: got.First, To: got.Last}
			if c, w := got.Completeness(cal), calendar.Completeness(cal, span, dates); c != w {
				t.Fatalf("completeness %v, want %v: %d bars of %d sessions in %s", c, w, got.Bars, got.Sessions(cal), span)
			}
			if n, w := got.Sessions(cal), len(cal.TradingDays(got.First, got.Last)); n != w {
				t.Fatalf("%d sessions, want %d", n, w)
			}
			if n := got.HoleCount(); n != len(holes) {
				t.Fatalf("%d holes counted, want %d", n, len(holes))
			}
		})
	})
}

// TestCoverageOfEachAsset: Coverage has a row for every asset, in the
// symbols' byte order, those without bars included, with the time of the
// last save; with symbols, only the assets among them.
func TestCoverageOfEachAsset(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		clock := clocktest.NewFake(start)
		db := open(t, d.dsn(t), store.WithClock(clock))
		london := pricefill.Asset{Symbol: "VOD.L", Exchange: "LSE", Timezone: "Europe/London", Currency: "GBp"}
		londonDays := calendar.LSE.TradingDays(pricefill.Date(2024, 12, 20), pricefill.Date(2025, 1, 10))
		var londonBars []pricefill.Bar
		for _, day := range londonDays {
			londonBars = append(londonBars, weekdays("VOD.L", day, 1)[0])
		}
		save(t, db, backfill.SaveRequest{Series: &pricefill.Series{Asset: london, Bars: londonBars}})
		firstSave := clock.Now()
		clock.Advance(90 * time.Minute)
		// BRK.B: NYSE sessions but one, which is a known hole, a
		// weekday holiday (New Year's Day) without a session.
		us := pricefill.Asset{Symbol: "BRK.B", Exchange: "NYQ", Timezone: "America/New_York"}
		usDays := calendar.NYSE.TradingDays(pricefill.Date(2024, 12, 20), pricefill.Date(2025, 1, 10))
		var usBars []pricefill.Bar
		for i, day := range usDays {
			if i != 3 {
				usBars = append(usBars, weekdays("BRK.B", day, 1)[0])
			}
		}
		save(t, db, backfill.SaveRequest{Series: &pricefill.Series{Asset: us, Bars: usBars},
			Holes: []backfill.Hole{missing(usDays[3], 1, start), {Date: pricefill.Date(2025, 1, 13), Reason: backfill.HoleLate, Asks: 1, LastAsked: start}}})
		secondSave := clock.Now()
		if err := db.PutAssets(ctx, []pricefill.Asset{{Symbol: "BRKA", Name: "Berkshire Hathaway"}}); err != nil {
			t.Fatal(err)
		}

		got, err := db.Coverage(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := []store.SymbolCoverage{
			{Asset: us, First: usDays[0], Last: usDays[len(usDays)-1], Bars: len(usBars),
				Holes: map[backfill.HoleReason]int{backfill.HoleMissing: 1, backfill.HoleLate: 1}, LastUpdate: secondSave},
			{Asset: pricefill.Asset{Symbol: "BRKA", Name: "Berkshire Hathaway"}},
			{Asset: london, First: londonDays[0], Last: londonDays[len(londonDays)-1], Bars: len(londonBars), LastUpdate: firstSave},
		}
		if diff := gocmp.Diff(want, got); diff != "" {
			t.Errorf("coverage (-want +got):\n%s", diff)
		}
		completeness := map[string]float64{}
		for _, c := range got {
			completeness[c.Asset.Symbol] = c.Completeness(calendar.For(c.Asset))
		}
		wantPct := map[string]float64{"BRK.B": float64(len(usBars)) * 100 / float64(len(usDays)), "BRKA": 0, "VOD.L": 100}
		if diff := gocmp.Diff(wantPct, completeness); diff != "" {
			t.Errorf("completeness (-want +got):\n%s", diff)
		}

		some, err := db.Coverage(ctx, []string{"VOD.L", "NONE", "BRKA"})
		if err != nil {
			t.Fatal(err)
		}
		var syms []string
		for _, c := range some {
			syms = append(syms, c.Asset.Symbol)
		}
		if diff := gocmp.Diff([]string{"BRKA", "VOD.L"}, syms); diff != "" {
			t.Errorf("coverage of VOD.L, NONE and BRKA: symbols (-want +got):\n%s", diff)
		}
	})
}
