package validate_test

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/validate"
)

// The rules that keep bars the store's schema would refuse out of it; the
// property that they cover the schema is in package store's tests, on
// real databases.
func TestValidateSchemaRules(t *testing.T) {
	t.Parallel()
	all := pricefill.Range{From: pricefill.Date(-10, 1, 1), To: pricefill.Date(20000, 1, 1)}
	checkRules(t, newValidator(t), []ruleCase{
		{"no adjusted close", with(func(b *pricefill.Bar) { b.AdjClose = 0 }), week, noRule},
		{"negative zero adjusted close", with(func(b *pricefill.Bar) { b.AdjClose = math.Copysign(0, -1) }), week, noRule},
		{"tiny adjusted close", with(func(b *pricefill.Bar) { b.AdjClose = 5e-324 }), week, noRule},
		{"negative adjusted close", with(func(b *pricefill.Bar) { b.AdjClose = -0.25 }), week,
			[]pricefill.Violation{{Rule: validate.RuleAdjCloseInvalid, Field: "adj_close", Value: "-0.25"}}},
		{"NaN adjusted close", with(func(b *pricefill.Bar) { b.AdjClose = math.NaN() }), week,
			[]pricefill.Violation{{Rule: validate.RuleAdjCloseInvalid, Field: "adj_close", Value: "NaN"}}},
		{"infinite adjusted close", with(func(b *pricefill.Bar) { b.AdjClose = math.Inf(1) }), week,
			[]pricefill.Violation{{Rule: validate.RuleAdjCloseInvalid, Field: "adj_close", Value: "+Inf"}}},
		{"minus infinite adjusted close", with(func(b *pricefill.Bar) { b.AdjClose = math.Inf(-1) }), week,
			[]pricefill.Violation{{Rule: validate.RuleAdjCloseInvalid, Field: "adj_close", Value: "-Inf"}}},
		{"another symbol", with(func(b *pricefill.Bar) { b.Symbol = "MSFT" }), week,
			[]pricefill.Violation{{Rule: validate.RuleSymbolMismatch, Field: "symbol", Value: "MSFT"}}},
		{"NUL in the symbol", with(func(b *pricefill.Bar) { b.Symbol = "AA\x00PL" }), week, []pricefill.Violation{
			{Rule: validate.RuleSymbolMismatch, Field: "symbol", Value: "AA\x00PL"},
			{Rule: validate.RuleTextInvalid, Field: "symbol", Value: `"AA\x00PL"`},
		}},
		{"source not UTF-8", with(func(b *pricefill.Bar) { b.Source = "ya\xffhoo" }), week,
			[]pricefill.Violation{{Rule: validate.RuleTextInvalid, Field: "source", Value: `"ya\xffhoo"`}}},
		{"source with a NUL", with(func(b *pricefill.Bar) { b.Source = "\x00" }), week,
			[]pricefill.Violation{{Rule: validate.RuleTextInvalid, Field: "source", Value: `"\x00"`}}},
		{"empty source", with(func(b *pricefill.Bar) { b.Source = "" }), week, noRule},
		// 0001-01-01 is the zero time: date_missing.
		{"first storable trading day", validBar(pricefill.Date(1, 1, 2)), all, noRule},
		{"year 0", validBar(pricefill.Date(0, 12, 29)), all,
			[]pricefill.Violation{{Rule: validate.RuleDateOutOfBounds, Field: "date", Value: "0000-12-29"}}},
		{"last storable day", validBar(pricefill.Date(9999, 12, 31)), all,
			[]pricefill.Violation{{Rule: validate.RuleDateInFuture, Field: "date", Value: "9999-12-31"}}},
		{"year 10000", validBar(pricefill.Date(10000, 1, 3)), all, []pricefill.Violation{
			{Rule: validate.RuleDateOutOfBounds, Field: "date", Value: "10000-01-03"},
			{Rule: validate.RuleDateInFuture, Field: "date", Value: "10000-01-03"},
		}},
		{"in order", pricefill.Bar{
			Symbol: "X\xff", Date: date("2024-03-09"), Open: 1, High: 1, Low: 1, Close: 1, AdjClose: -1, Volume: -1, Source: "\x00",
		}, week, []pricefill.Violation{
			{Rule: validate.RuleSymbolMismatch, Field: "symbol", Value: "X\xff"},
			{Rule: validate.RuleTextInvalid, Field: "symbol", Value: `"X\xff"`},
			{Rule: validate.RuleTextInvalid, Field: "source", Value: `"\x00"`},
			{Rule: validate.RuleOutsideRange, Field: "date", Value: "2024-03-09"},
			{Rule: validate.RuleNotTradingDay, Field: "date", Value: "2024-03-09"},
			{Rule: validate.RuleAdjCloseInvalid, Field: "adj_close", Value: "-1"},
			{Rule: validate.RuleVolumeNegative, Field: "volume", Value: "-1"},
		}},
	})
}

// TestValidateSymbolOfNoAsset: without an asset symbol, the bar's stands
// for it, and no symbol mismatches.
func TestValidateSymbolOfNoAsset(t *testing.T) {
	t.Parallel()
	b := validBar(day)
	b.Symbol = "MSFT"
	if err := newValidator(t).Validate(later, week, pricefill.Asset{Timezone: "America/New_York"}, nil, b); err != nil {
		t.Errorf("Validate with no asset symbol: %v", err)
	}
}

func TestDropFields(t *testing.T) {
	t.Parallel()
	v := newValidator(t)
	for _, tc := range []struct {
		name string
		adj  float64
		want []pricefill.Violation
	}{
		{"valid", 11, nil},
		{"none given", 0, nil},
		{"negative", -3.5, []pricefill.Violation{{Rule: validate.RuleAdjCloseInvalid, Field: "adj_close", Value: "-3.5"}}},
		{"NaN", math.NaN(), []pricefill.Violation{{Rule: validate.RuleAdjCloseInvalid, Field: "adj_close", Value: "NaN"}}},
		{"infinite", math.Inf(1), []pricefill.Violation{{Rule: validate.RuleAdjCloseInvalid, Field: "adj_close", Value: "+Inf"}}},
		{"minus infinite", math.Inf(-1), []pricefill.Violation{{Rule: validate.RuleAdjCloseInvalid, Field: "adj_close", Value: "-Inf"}}},
	} {
		in := validBar(day)
		in.AdjClose = tc.adj
		got, dropped := v.DropFields(in)
		if !slices.Equal(dropped, tc.want) {
			t.Errorf("%s: dropped %v, want %v", tc.name, dropped, tc.want)
		}
		want := in
		if tc.want != nil {
			want.AdjClose = 0
		}
		if got != want && !(math.IsNaN(got.AdjClose) && math.IsNaN(want.AdjClose)) {
			t.Errorf("%s: DropFields returned %+v, want %+v", tc.name, got, want)
		}
		// Validate rejects the bar as given, and keeps it once dropped.
		if err := v.Validate(later, week, aapl, nil, got); err != nil {
			t.Errorf("%s: Validate after DropFields: %v", tc.name, err)
		}
		if tc.want != nil && v.Validate(later, week, aapl, nil, in) == nil {
			t.Errorf("%s: Validate accepted the bar before DropFields", tc.name)
		}
	}
}

// TestDropFieldsLeavesTheRest: DropFields drops the adjusted close only;
// a bar broken elsewhere stays broken.
func TestDropFieldsLeavesTheRest(t *testing.T) {
	t.Parallel()
	v := newValidator(t)
	b := validBar(day)
	b.AdjClose, b.Volume, b.Close = -1, -5, math.NaN()
	got, dropped := v.DropFields(b)
	if len(dropped) != 1 || got.Volume != -5 || !math.IsNaN(got.Close) || got.AdjClose != 0 {
		t.Fatalf("DropFields = %+v, %v; want only adj_close dropped", got, dropped)
	}
	want := []pricefill.Violation{
		{Rule: validate.RulePriceNotFinite, Field: "close", Value: "NaN"},
		{Rule: validate.RuleVolumeNegative, Field: "volume", Value: "-5"},
	}
	if vs := violations(t, v.Validate(later, week, aapl, nil, got)); !slices.Equal(vs, want) {
		t.Errorf("Validate after DropFields: %v, want %v", vs, want)
	}
}

// TestDropFieldsAllocatesNothing: a bar with nothing to drop costs no
// allocation. Not parallel: AllocsPerRun counts the whole process's.
func TestDropFieldsAllocatesNothing(t *testing.T) {
	v := newValidator(t)
	b := validBar(day)
	if n := testing.AllocsPerRun(100, func() { _, _ = v.DropFields(b) }); n != 0 {
		t.Errorf("%v allocations per bar with nothing to drop, want 0", n)
	}
	now := time.Date(2024, 3, 5, 21, 30, 0, 0, time.UTC)
	if n := testing.AllocsPerRun(100, func() { _ = v.Validate(now, week, aapl, nil, b) }); n != 0 {
		t.Errorf("Validate with the new rules: %v allocations per valid bar, want 0", n)
	}
}
