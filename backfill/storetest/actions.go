package storetest

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
)

// The checks of a [backfill.ActionLister].

// actionsOf returns the dividends and splits the store holds for symbol
// within r.
func (e *env) actionsOf(t rapid.TB, symbol string, r pricefill.Range) ([]pricefill.Dividend, []pricefill.Split) {
	t.Helper()
	divs, err := e.actions.Dividends(e.ctx, symbol, r)
	if err != nil {
		t.Fatalf("Dividends(%s, %s): %v", symbol, r, err)
	}
	splits, err := e.actions.Splits(e.ctx, symbol, r)
	if err != nil {
		t.Fatalf("Splits(%s, %s): %v", symbol, r, err)
	}
	return divs, splits
}

// wantActions fails the test unless the actions of symbol over all time
// are divs and splits.
func (e *env) wantActions(t rapid.TB, symbol string, divs []pricefill.Dividend, splits []pricefill.Split, when string) {
	t.Helper()
	gotD, gotS := e.actionsOf(t, symbol, allTime)
	if diff := cmp.Diff(divs, gotD, cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("%s: dividends of %s (-want +stored):\n%s", when, symbol, diff)
	}
	if diff := cmp.Diff(splits, gotS, cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("%s: splits of %s (-want +stored):\n%s", when, symbol, diff)
	}
}

// saveActions saves bars of symbol with the actions, failing the test when
// the save fails.
func (e *env) saveActions(t rapid.TB, symbol string, bars []pricefill.Bar, divs []pricefill.Dividend, splits []pricefill.Split) {
	t.Helper()
	s := series(symbol, bars)
	s.Dividends, s.Splits = divs, splits
	if _, err := e.s.Save(e.ctx, backfill.SaveRequest{Series: s, Range: rangeOf(bars)}); err != nil {
		t.Fatalf("Save(%s, %d bars, %d dividends, %d splits): %v", symbol, len(bars), len(divs), len(splits), err)
	}
}

// testActionsIdempotent: the same actions saved twice are stored once,
// and read back in date order whatever order they were given in.
func testActionsIdempotent(t *testing.T, e *env) {
	bars := weekdays("AAPL", pricefill.Date(2025, 3, 3), 10)
	divs := []pricefill.Dividend{{Date: bars[7].Date, Amount: 0.25}, {Date: bars[2].Date, Amount: 0.24}}
	splits := []pricefill.Split{{Date: bars[5].Date, Numerator: 4, Denominator: 1}}
	e.saveActions(t, "AAPL", bars, divs, splits)
	e.saveActions(t, "AAPL", bars, divs, splits)
	want := []pricefill.Dividend{divs[1], divs[0]}
	e.wantActions(t, "AAPL", want, splits, "after the same actions twice")
	e.wantActions(t, "MSFT", nil, nil, "a symbol never saved")
}

// testActionReplaced: an action of a date stored already, with another
// amount or ratio, replaces the stored one; the others stay.
func testActionReplaced(t *testing.T, e *env) {
	bars := weekdays("AAPL", pricefill.Date(2025, 3, 3), 10)
	d1, d2 := bars[2].Date, bars[7].Date
	e.saveActions(t, "AAPL", bars, []pricefill.Dividend{{Date: d1, Amount: 0.24}, {Date: d2, Amount: 0.25}},
		[]pricefill.Split{{Date: d2, Numerator: 2, Denominator: 1}})
	e.saveActions(t, "AAPL", bars[5:], []pricefill.Dividend{{Date: d2, Amount: 0.5}},
		[]pricefill.Split{{Date: d2, Numerator: 1, Denominator: 10}})
	e.wantActions(t, "AAPL", []pricefill.Dividend{{Date: d1, Amount: 0.24}, {Date: d2, Amount: 0.5}},
		[]pricefill.Split{{Date: d2, Numerator: 1, Denominator: 10}}, "after a restated amount and ratio")
}

// testActionsWithinRange: the readers return the actions within the range
// asked for, its ends included, and none of other symbols.
func testActionsWithinRange(t *testing.T, e *env) {
	bars := weekdays("AAPL", pricefill.Date(2025, 3, 3), 10)
	var divs []pricefill.Dividend
	var splits []pricefill.Split
	for i, b := range bars {
		divs = append(divs, pricefill.Dividend{Date: b.Date, Amount: 0.125 * float64(i+1)})
		splits = append(splits, pricefill.Split{Date: b.Date, Numerator: float64(i + 2), Denominator: 1})
	}
	e.saveActions(t, "AAPL", bars, divs, splits)
	e.saveActions(t, "MSFT", weekdays("MSFT", bars[0].Date, 10), divs[:1], splits[:1])
	r := pricefill.Range{From: bars[3].Date, To: bars[6].Date}
	gotD, gotS := e.actionsOf(t, "AAPL", r)
	if diff := cmp.Diff(divs[3:7], gotD); diff != "" {
		t.Errorf("dividends within %s (-want +read):\n%s", r, diff)
	}
	if diff := cmp.Diff(splits[3:7], gotS); diff != "" {
		t.Errorf("splits within %s (-want +read):\n%s", r, diff)
	}
}

// testRefusedActionFailsTheSave: an action the schema would refuse (an
// amount or a ratio's term not finite and above zero, a date not midnight
// UTC) fails the whole save with an error matching ErrPermanent, naming
// the action, and stores nothing of it.
func testRefusedActionFailsTheSave(t *testing.T, e *env) {
	bars := weekdays("AAPL", pricefill.Date(2025, 3, 3), 5)
	d := bars[2].Date
	for _, tc := range []struct {
		name   string
		divs   []pricefill.Dividend
		splits []pricefill.Split
		want   string
	}{
		{"zero amount", []pricefill.Dividend{{Date: d, Amount: 0}}, nil, "dividend"},
		{"NaN amount", []pricefill.Dividend{{Date: d, Amount: math.NaN()}}, nil, "dividend"},
		{"infinite amount", []pricefill.Dividend{{Date: d, Amount: math.Inf(1)}}, nil, "dividend"},
		{"dividend not at midnight", []pricefill.Dividend{{Date: d.Add(time.Hour), Amount: 1}}, nil, "dividend"},
		{"zero numerator", nil, []pricefill.Split{{Date: d, Numerator: 0, Denominator: 1}}, "split"},
		{"negative denominator", nil, []pricefill.Split{{Date: d, Numerator: 1, Denominator: -2}}, "split"},
	} {
		s := series("AAPL", bars)
		s.Dividends, s.Splits = tc.divs, tc.splits
		_, err := e.s.Save(e.ctx, backfill.SaveRequest{Series: s, Range: rangeOf(bars)})
		switch {
		case err == nil:
			t.Errorf("%s: the save succeeded, want it refused", tc.name)
		case !errors.Is(err, pricefill.ErrPermanent):
			t.Errorf("%s: %v, want an error matching ErrPermanent", tc.name, err)
		case !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n"):
			t.Errorf("%s: %q, want one line naming the %s", tc.name, err, tc.want)
		}
	}
	e.wantBars(t, "AAPL", nil, "after refused saves")
	e.wantActions(t, "AAPL", nil, nil, "after refused saves")
}
