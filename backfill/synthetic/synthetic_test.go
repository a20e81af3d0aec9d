package synthetic_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill/synthetic"
	"github.com/pricefill/pricefill/internal/testmain"
	"github.com/pricefill/pricefill/validate"
	"github.com/pricefill/pricefill/validate/calendar"
)

func TestMain(m *testing.M) { testmain.Run(m) }

var d = pricefill.Date

func newFetcher(t *rapid.T, opts ...synthetic.Option) *synthetic.Fetcher {
	f, err := synthetic.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

var genSymbol = rapid.StringMatching(`[A-Z]{1,5}(\.[A-Z]{1,2})?`)

func genRange(t *rapid.T, label string) pricefill.Range {
	from := d(1995, 1, 1).AddDate(0, 0, rapid.IntRange(0, 40*365).Draw(t, label+".from"))
	return pricefill.Range{From: from, To: from.AddDate(0, 0, rapid.IntRange(0, 400).Draw(t, label+".days"))}
}

// TestSameDaySameBar: overlapping ranges agree on every day they share,
// and Bar predicts what Fetch returns.
func TestSameDaySameBar(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		f := newFetcher(t, synthetic.WithSeed(rapid.Uint64().Draw(t, "seed")), synthetic.WithInvalidRate(rapid.Float64Range(0, 1).Draw(t, "invalid")))
		sym := genSymbol.Draw(t, "symbol")
		a, b := genRange(t, "a"), genRange(t, "b")
		sa, err := f.Fetch(t.Context(), sym, a)
		if err != nil {
			t.Fatal(err)
		}
		sb, err := f.Fetch(t.Context(), sym, b)
		if err != nil {
			t.Fatal(err)
		}
		inB := map[time.Time]pricefill.Bar{}
		for _, x := range sb.Bars {
			inB[x.Date] = x
		}
		for _, x := range sa.Bars {
			if y, ok := inB[x.Date]; ok && !cmp.Equal(x, y) {
				t.Fatalf("%s differs between %s and %s: %v, %v", x.Date.Format(time.DateOnly), a, b, x, y)
			}
			if y, ok := f.Bar(sym, x.Date); !ok || !cmp.Equal(x, y) {
				t.Fatalf("Bar(%s) = %v %v, Fetch gave %v", x.Date.Format(time.DateOnly), y, ok, x)
			}
		}
	})
}

// TestPlausible: without WithInvalidRate every bar passes validation, on
// each trading day of the symbol's listing, once per date, in order.
func TestPlausible(t *testing.T) {
	t.Parallel()
	v := &validate.Validator{}
	rapid.Check(t, func(t *rapid.T) {
		f := newFetcher(t, synthetic.WithSeed(rapid.Uint64().Draw(t, "seed")))
		sym := genSymbol.Draw(t, "symbol")
		r := genRange(t, "r")
		s, err := f.Fetch(t.Context(), sym, r)
		if err != nil {
			t.Fatal(err)
		}
		want := len(calendar.For(pricefill.Asset{Symbol: sym}).TradingDays(r.From, r.To))
		if len(s.Bars) != want {
			t.Fatalf("%d bars in %s, want one per trading day: %d", len(s.Bars), r, want)
		}
		for i, b := range s.Bars {
			if err := v.Validate(r.To.AddDate(0, 0, 2), r, s.Asset, nil, b); err != nil {
				t.Fatalf("invalid bar: %v", err)
			}
			if b.Source != synthetic.Source || b.Symbol != sym || b.Volume < 50_000 || b.High > 5*b.Low {
				t.Fatalf("implausible bar %+v", b)
			}
			if i > 0 && !s.Bars[i-1].Date.Before(b.Date) {
				t.Fatalf("bars out of order at %d", i)
			}
			if b.Close != math.Round(b.Close*100)/100 {
				t.Fatalf("close %v not in cents", b.Close)
			}
		}
	})
}

// TestInvalidRate: the validator rejects exactly the bars Breakage names,
// about the share asked for.
func TestInvalidRate(t *testing.T) {
	t.Parallel()
	f, err := synthetic.New(synthetic.WithInvalidRate(0.2))
	if err != nil {
		t.Fatal(err)
	}
	r := pricefill.Range{From: d(2020, 1, 1), To: d(2023, 12, 31)}
	s, err := f.Fetch(t.Context(), "AAPL", r)
	if err != nil {
		t.Fatal(err)
	}
	v := &validate.Validator{}
	broken := map[synthetic.Breakage]int{}
	for _, b := range s.Bars {
		kind := f.Breakage("AAPL", b.Date)
		err := v.Validate(time.Now(), r, s.Asset, nil, b)
		if (err != nil) != (kind != synthetic.NotBroken) {
			t.Errorf("%s: breakage %s, validation error %v", b.Date.Format(time.DateOnly), kind, err)
		}
		broken[kind]++
	}
	share := 1 - float64(broken[synthetic.NotBroken])/float64(len(s.Bars))
	if share < 0.15 || share > 0.25 {
		t.Errorf("%.2f of the bars broken, want about 0.2", share)
	}
	for _, k := range []synthetic.Breakage{synthetic.HighBelowLow, synthetic.NullLike, synthetic.NegativeVolume, synthetic.CloseAboveHigh} {
		if broken[k] == 0 {
			t.Errorf("no bar broken as %s", k)
		}
	}
}

type mondays struct{}

func (mondays) IsTradingDay(t time.Time) bool { return t.Weekday() == time.Monday }

func TestCalendarAndLabels(t *testing.T) {
	t.Parallel()
	f, err := synthetic.New(synthetic.WithCalendar(mondays{}))
	if err != nil {
		t.Fatal(err)
	}
	s, err := f.Fetch(t.Context(), " brk.b ", pricefill.Range{From: d(2024, 1, 1), To: d(2024, 1, 31)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range s.Bars {
		got = append(got, b.Date.Format(time.DateOnly))
		if b.Symbol != "BRK.B" || b.Source != "synthetic" {
			t.Errorf("bar %+v: want symbol BRK.B, source synthetic", b)
		}
	}
	if diff := cmp.Diff([]string{"2024-01-01", "2024-01-08", "2024-01-15", "2024-01-22", "2024-01-29"}, got); diff != "" {
		t.Errorf("dates (-want +got):\n%s", diff)
	}
	if !strings.Contains(s.Asset.Name, "Synthetic") || !strings.Contains(s.Asset.Name, "not real") {
		t.Errorf("asset name %q does not say the data is synthetic", s.Asset.Name)
	}
	g, _ := synthetic.New(synthetic.WithSeed(1))
	a, _ := f.Bar("AAPL", d(2024, 1, 8))
	b, _ := g.Bar("AAPL", d(2024, 1, 8))
	if a == b {
		t.Error("two seeds, same bar")
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	for _, opt := range []synthetic.Option{synthetic.WithInvalidRate(-0.1), synthetic.WithInvalidRate(1.5), synthetic.WithInvalidRate(math.NaN())} {
		if _, err := synthetic.New(opt); err == nil || !strings.Contains(err.Error(), "synthetic.With") {
			t.Errorf("error %v, want one naming the option", err)
		}
	}
	f, _ := synthetic.New()
	if _, err := f.Fetch(t.Context(), "a b", pricefill.Range{From: d(2024, 1, 1), To: d(2024, 1, 2)}); pricefill.KindOf(err) != pricefill.KindPermanent {
		t.Errorf("bad symbol: %v, want permanent", err)
	}
	if _, err := f.Fetch(t.Context(), "A", pricefill.Range{From: d(2024, 1, 2), To: d(2024, 1, 1)}); pricefill.KindOf(err) != pricefill.KindPermanent {
		t.Errorf("bad range: %v, want permanent", err)
	}
}
