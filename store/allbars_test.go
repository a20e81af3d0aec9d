package store_test

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/store"
)

// collect reads every value of db.AllBars(q), failing t on an error.
func collect(t rapid.TB, db *store.DB, q store.BarQuery) []pricefill.Bar {
	t.Helper()
	var out []pricefill.Bar
	for b, err := range db.AllBars(ctx, q) {
		if err != nil {
			t.Fatalf("AllBars(%+v): %v", q, err)
		}
		out = append(out, b)
	}
	return out
}

// byteOrder orders bars as AllBars does: by symbol's bytes, then date.
func byteOrder(a, b pricefill.Bar) int {
	return cmp.Or(strings.Compare(a.Symbol, b.Symbol), a.Date.Compare(b.Date))
}

// TestAllBarsAreTheStoredRows: whatever bars of whatever symbols are
// saved, in whatever order, AllBars reads exactly those that its query
// selects (by symbols, an unknown one among them, and by a range open at
// either end), each once, ordered by the symbol's bytes then date.
// Symbols differ only in punctuation and case, which a language's
// collation orders otherwise.
func TestAllBarsAreTheStoredRows(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		db := open(t, d.dsn(t))
		day0 := pricefill.Date(2000, 1, 3)
		dateOf := func(t *rapid.T, label string) time.Time {
			return day0.AddDate(0, 0, rapid.IntRange(0, 400).Draw(t, label))
		}
		rapid.Check(t, func(t *rapid.T) {
			base := strings.TrimSuffix(newSymbol(), ".X")
			shapes := rapid.SliceOfNDistinct(rapid.SampledFrom([]string{"", ".B", "A", "-A", "a", "^", "=X"}), 1, 3, rapid.ID).Draw(t, "shapes")
			var stored []pricefill.Bar
			var syms []string
			for _, shape := range shapes {
				sym := base + shape
				if shape == "^" {
					sym = "^" + base
				}
				syms = append(syms, sym)
				seen := map[time.Time]bool{}
				var bars []pricefill.Bar
				for range rapid.IntRange(0, 12).Draw(t, "bars") {
					day := dateOf(t, "date")
					if seen[day] {
						continue
					}
					seen[day] = true
					p := rapid.Float64Range(1e-4, 1e6).Draw(t, "price")
					b := pricefill.Bar{Symbol: sym, Date: day, Open: p, High: p * 1.5, Low: p / 3, Close: p * 1.25,
						Volume: rapid.Int64Min(0).Draw(t, "volume"), Source: rapid.SampledFrom([]string{"yahoo", "stooq"}).Draw(t, "source")}
					if rapid.Bool().Draw(t, "adjusted") {
						b.AdjClose = rapid.Float64Range(1e-300, 1e300).Draw(t, "adj")
					}
					bars = append(bars, b)
				}
				// Saved out of date order: the store sorts them.
				save(t, db, backfill.SaveRequest{Series: series(sym, rapid.Permutation(bars).Draw(t, "order"))})
				stored = append(stored, bars...)
			}

			q := store.BarQuery{Symbols: rapid.SliceOfN(rapid.SampledFrom(append(syms, base+"UNKNOWN")), 1, 6).Draw(t, "symbols")}
			if rapid.Bool().Draw(t, "from") {
				q.Range.From = dateOf(t, "range from")
			}
			if rapid.Bool().Draw(t, "to") {
				q.Range.To = dateOf(t, "range to")
				if q.Range.To.Before(q.Range.From) {
					q.Range.From, q.Range.To = q.Range.To, q.Range.From
				}
			}
			var want []pricefill.Bar
			for _, b := range stored {
				if slices.Contains(q.Symbols, b.Symbol) &&
					(q.Range.From.IsZero() || !b.Date.Before(q.Range.From)) && (q.Range.To.IsZero() || !b.Date.After(q.Range.To)) {
					want = append(want, b)
				}
			}
			slices.SortFunc(want, byteOrder)
			if diff := gocmp.Diff(want, collect(t, db, q)); diff != "" {
				t.Fatalf("AllBars(%+v) (-stored +read):\n%s", q, diff)
			}
		})
	})
}

// TestAllBarsReadsEverything: the zero query reads every bar of every
// symbol, in order.
func TestAllBarsReadsEverything(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		db := open(t, d.dsn(t))
		var want []pricefill.Bar
		for _, sym := range []string{"MSFT", "BRKA", "BRK.B", "^GSPC", "AAPL"} {
			bars := weekdays(sym, pricefill.Date(1990, 12, 20), 30)
			bars[3].AdjClose = 0 // stored as NULL
			save(t, db, backfill.SaveRequest{Series: series(sym, bars)})
			want = append(want, bars...)
		}
		slices.SortFunc(want, byteOrder)
		if diff := gocmp.Diff(want, collect(t, db, store.BarQuery{})); diff != "" {
			t.Errorf("AllBars of everything (-stored +read):\n%s", diff)
		}
		if got := collect(t, db, store.BarQuery{Symbols: []string{"NONE"}}); len(got) != 0 {
			t.Errorf("AllBars of a symbol not stored: %d bars, want none", len(got))
		}
	})
}

// TestAllBarsStopsEarly: a loop that stops early ends the query and gives
// the connection back (SQLite's only one: the next call does not wait),
// and leaks no goroutine (TestMain checks).
func TestAllBarsStopsEarly(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		db := open(t, d.dsn(t))
		for _, sym := range []string{"A", "B", "C"} {
			save(t, db, backfill.SaveRequest{Series: series(sym, weekdays(sym, pricefill.Date(2024, 1, 1), 200))})
		}
		n := 0
		for _, err := range db.AllBars(ctx, store.BarQuery{}) {
			if err != nil {
				t.Fatal(err)
			}
			if n++; n == 10 {
				break
			}
		}
		if inUse := db.SQLX().Stats().InUse; inUse != 0 {
			t.Errorf("%d connections in use after the loop stopped, want 0", inUse)
		}
		c, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if bars, err := db.Bars(c, "B", allTime); err != nil || len(bars) != 200 {
			t.Errorf("Bars after the loop stopped: %d bars, %v; want 200", len(bars), err)
		}
	})
}

// TestAllBarsEndsWithItsContext: a context cancelled in the middle of the
// loop ends it with an error matching context.Canceled, as its last
// value.
func TestAllBarsEndsWithItsContext(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		db := open(t, d.dsn(t))
		for _, sym := range []string{"A", "B"} {
			save(t, db, backfill.SaveRequest{Series: series(sym, weekdays(sym, pricefill.Date(2024, 1, 1), 2000))})
		}
		c, cancel := context.WithCancel(ctx)
		defer cancel()
		var bars int
		var last error
		for b, err := range db.AllBars(c, store.BarQuery{}) {
			if last != nil {
				t.Fatalf("a value after the error %v: %+v, %v", last, b, err)
			}
			if err != nil {
				last = err
				continue
			}
			if bars++; bars == 5 {
				cancel()
			}
		}
		if !errors.Is(last, context.Canceled) {
			t.Errorf("after %d of 4000 bars, the loop ended with %v, want context.Canceled", bars, last)
		}
	})
}

// TestAllBarsRefusesABadRange: a range that ends before it starts, or
// whose dates are not midnight UTC, is one error naming it, and no bar.
func TestAllBarsRefusesABadRange(t *testing.T) {
	t.Parallel()
	db := open(t, dialects[0].dsn(t))
	save(t, db, backfill.SaveRequest{Series: series("A", weekdays("A", pricefill.Date(2024, 1, 1), 5))})
	for _, tc := range []struct {
		r    pricefill.Range
		want string
	}{
		{pricefill.Range{From: pricefill.Date(2024, 2, 1), To: pricefill.Date(2024, 1, 1)},
			"store: all bars: range 2024-02-01..2024-01-01: ends before it starts"},
		{pricefill.Range{From: pricefill.Date(2024, 1, 1).Add(time.Hour)},
			"store: all bars: range 2024-01-01..0001-01-01: dates must be midnight UTC (use pricefill.Date or DateOf)"},
	} {
		var got []string
		for b, err := range db.AllBars(ctx, store.BarQuery{Range: tc.r}) {
			if err == nil {
				t.Errorf("range %s: bar %+v, want none", tc.r, b)
				continue
			}
			got = append(got, err.Error())
		}
		if diff := gocmp.Diff([]string{tc.want}, got); diff != "" {
			t.Errorf("range %s: errors (-want +got):\n%s", tc.r, diff)
		}
	}
}
