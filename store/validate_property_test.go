package store_test

import (
	"math"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/validate"
)

// TestValidatedBarsAreStored: validation covers the schema. Whatever bars
// a provider sends, those that package validate accepts after dropping
// their fields (as the runner does) are stored by the real database, and
// read back as accepted: the store never refuses what validation let
// through.
func TestValidatedBarsAreStored(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		db := open(t, d.dsn(t))
		var v validate.Validator
		// Far enough ahead that every storable session is over, and a
		// range that holds every date: the date rules left are those
		// of the schema, and the calendar's.
		now := time.Date(10001, 1, 1, 0, 0, 0, 0, time.UTC)
		r := pricefill.Range{From: pricefill.Date(-100, 1, 1), To: pricefill.Date(20000, 1, 1)}
		var accepted, dropped, rejected atomic.Int64
		rapid.Check(t, func(t *rapid.T) {
			sym := newSymbol()
			asset := pricefill.Asset{Symbol: sym, Timezone: "America/New_York"}
			var want []pricefill.Bar
			seen := map[time.Time]bool{}
			bars := rapid.SliceOfN(barOf(sym), 1, 8).Draw(t, "bars")
			for _, b := range bars {
				b, drops := v.DropFields(b)
				if err := v.Validate(now, r, asset, nil, b); err != nil {
					rejected.Add(1)
					continue
				}
				accepted.Add(1)
				dropped.Add(int64(len(drops)))
				if !seen[b.Date] { // the store keeps a date's first bar
					seen[b.Date] = true
					want = append(want, b)
				}
			}
			if _, err := db.Save(ctx, backfill.SaveRequest{Series: &pricefill.Series{Asset: asset, Bars: want}, Range: r}); err != nil {
				t.Fatalf("the store refused bars that validation accepted: %v\nbars: %#v", err, want)
			}
			got, err := db.Bars(ctx, sym, pricefill.Range{From: pricefill.Date(1, 1, 1), To: pricefill.Date(9999, 12, 31)})
			if err != nil {
				t.Fatal(err)
			}
			slices.SortFunc(want, func(a, b pricefill.Bar) int { return a.Date.Compare(b.Date) })
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("stored bars differ from those accepted (-accepted +stored):\n%s", diff)
			}
		})
		// The generator reaches all three outcomes, or the property says
		// little.
		t.Logf("%d bars accepted (%d fields dropped), %d rejected", accepted.Load(), dropped.Load(), rejected.Load())
		if accepted.Load() == 0 || dropped.Load() == 0 || rejected.Load() == 0 {
			t.Errorf("%d bars accepted, %d fields dropped, %d rejected: want some of each", accepted.Load(), dropped.Load(), rejected.Load())
		}
	})
}

// Values at and past the edges of what the schema keeps.
var (
	oddPrices = []float64{0, math.Copysign(0, -1), -1, -math.MaxFloat64, math.NaN(), math.Inf(1), math.Inf(-1),
		math.SmallestNonzeroFloat64, 2.2250738585072014e-308, math.MaxFloat64, 1e300}
	oddVolumes = []int64{0, -1, math.MinInt64, math.MaxInt64}
	oddTexts   = []string{"\x00", "\xff", "a\x00b", "caf\xc3", "", "é", "yahoo"}
)

// barOf draws a bar of sym as a provider might send it: mostly sound, each
// field now and then odd or broken, out to the limits of the types.
func barOf(sym string) *rapid.Generator[pricefill.Bar] {
	return rapid.Custom(func(t *rapid.T) pricefill.Bar {
		b := pricefill.Bar{Symbol: sym, Source: "yahoo"}
		if odd(t, "symbol odd", 20) {
			b.Symbol = rapid.SampledFrom([]string{"", "OTHER", sym + "\x00", "\xff" + sym}).Draw(t, "symbol")
		}
		b.Date = dateOf(t)

		low := rapid.OneOf(
			rapid.Float64Range(1e-6, 1e6),
			rapid.SampledFrom([]float64{math.SmallestNonzeroFloat64, 1e-300, 1e300, math.MaxFloat64 / 2}),
		).Draw(t, "low")
		b.Low = low
		b.High = low * (1 + rapid.Float64Range(0, 2).Draw(t, "spread")) // may overflow to +Inf
		between := func(label string) float64 {
			return math.Min(math.Max(b.Low+(b.High-b.Low)*rapid.Float64Range(0, 1).Draw(t, label), b.Low), b.High)
		}
		b.Open, b.Close = between("open"), between("close")
		for _, p := range []struct {
			name string
			v    *float64
		}{{"open", &b.Open}, {"high", &b.High}, {"low", &b.Low}, {"close", &b.Close}} {
			if odd(t, p.name+" odd", 30) {
				*p.v = rapid.SampledFrom(oddPrices).Draw(t, p.name)
			}
		}
		switch rapid.IntRange(0, 4).Draw(t, "adj_close kind") {
		case 0:
			b.AdjClose = rapid.SampledFrom(oddPrices).Draw(t, "adj_close")
		case 1: // none given
		default:
			b.AdjClose = rapid.Float64Range(1e-6, 1e6).Draw(t, "adj_close")
		}
		b.Volume = rapid.Int64Range(0, 1e12).Draw(t, "volume")
		if odd(t, "volume odd", 20) {
			b.Volume = rapid.SampledFrom(oddVolumes).Draw(t, "volume")
		}
		if odd(t, "source odd", 20) {
			b.Source = rapid.OneOf(rapid.SampledFrom(oddTexts), rapid.String()).Draw(t, "source")
		}
		return b
	})
}

// odd draws whether a field is odd, now and then: about one time in n,
// and more often as rapid leans to the ends of ranges.
func odd(t *rapid.T, label string, n int) bool {
	return rapid.IntRange(0, n-1).Draw(t, label) == n-1
}

// dateOf draws a date: mostly a recent day, sometimes any day of the
// storable years or one past them, the zero time, or not midnight UTC.
func dateOf(t *rapid.T) time.Time {
	switch rapid.IntRange(0, 9).Draw(t, "date kind") {
	case 0:
		return pricefill.Date(1, 1, 2).AddDate(0, 0, rapid.IntRange(0, 9998*366).Draw(t, "any day"))
	case 1:
		return rapid.SampledFrom([]time.Time{
			{}, pricefill.Date(0, 12, 29), pricefill.Date(-5, 6, 1), pricefill.Date(10000, 1, 3),
			pricefill.Date(9999, 12, 31), pricefill.Date(1, 1, 2),
		}).Draw(t, "edge day")
	case 2:
		d := pricefill.Date(2024, 3, 4).AddDate(0, 0, rapid.IntRange(0, 30).Draw(t, "day"))
		return d.Add(time.Duration(rapid.Int64Range(1, int64(24*time.Hour)-1).Draw(t, "time of day")))
	case 3:
		ny, _ := time.LoadLocation("America/New_York")
		d := pricefill.Date(2024, 3, 4).AddDate(0, 0, rapid.IntRange(0, 30).Draw(t, "day"))
		return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, ny)
	default:
		return pricefill.Date(1990, 1, 1).AddDate(0, 0, rapid.IntRange(0, 40*366).Draw(t, "recent day"))
	}
}
