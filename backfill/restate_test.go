package backfill_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/internal/fake"
)

// history is a provider's current history of some symbols, served by
// range, with the requests made of it.
type history struct {
	mu     sync.Mutex
	series map[string]pricefill.Series
	calls  map[string][]string
}

func (h *history) Fetch(ctx context.Context, symbol string, r pricefill.Range) (*pricefill.Series, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls[symbol] = append(h.calls[symbol], r.String())
	all := h.series[symbol]
	out := &pricefill.Series{Asset: pricefill.Asset{Symbol: symbol}}
	for _, b := range all.Bars {
		if r.Contains(b.Date) {
			out.Bars = append(out.Bars, b)
		}
	}
	for _, d := range all.Dividends {
		if r.Contains(d.Date) {
			out.Dividends = append(out.Dividends, d)
		}
	}
	for _, s := range all.Splits {
		if r.Contains(s.Date) {
			out.Splits = append(out.Splits, s)
		}
	}
	return out, nil
}

// adjusted returns bars with every adjusted close before ex multiplied
// by f, as a provider restates them on a dividend or split dated ex.
func adjusted(bars []pricefill.Bar, ex time.Time, f float64) []pricefill.Bar {
	out := make([]pricefill.Bar, len(bars))
	for i, b := range bars {
		if b.Date.Before(ex) {
			b.AdjClose *= f
		}
		out[i] = b
	}
	return out
}

// TestRestatementCostsOneRequest: a daily run over stored history asks for
// the new days from the last stored day, one request a symbol. When the
// answer shows the history restated (a new dividend or split, or another
// adjusted close of the stored day it overlaps), the symbol's range is
// fetched again, one request more, and every stored day whose values
// changed is replaced: the store then holds the provider's current
// history and the action. A symbol not restated costs no request more.
func TestRestatementCostsOneRequest(t *testing.T) {
	t.Parallel()
	stored := without(fake.Bars("AAPL", march), pricefill.Date(2026, 3, 23), march.To) // to 03-20: 15 days
	ex := pricefill.Date(2026, 3, 24)
	for _, tc := range []struct {
		name     string
		current  pricefill.Series
		have     []pricefill.Dividend // stored before the run
		restated bool
	}{
		{name: "nothing new", current: pricefill.Series{Bars: fake.Bars("AAPL", march)}},
		{name: "a dividend already stored", current: pricefill.Series{Bars: fake.Bars("AAPL", march),
			Dividends: []pricefill.Dividend{{Date: ex, Amount: 0.5}}}, have: []pricefill.Dividend{{Date: ex, Amount: 0.5}}},
		{name: "a new dividend", restated: true, current: pricefill.Series{Bars: adjusted(fake.Bars("AAPL", march), ex, 0.99),
			Dividends: []pricefill.Dividend{{Date: ex, Amount: 0.5}}}},
		{name: "a new split, the adjusted closes as they were", restated: true, current: pricefill.Series{Bars: fake.Bars("AAPL", march),
			Splits: []pricefill.Split{{Date: ex, Numerator: 4, Denominator: 1}}}},
		{name: "an adjusted close restated", restated: true, current: pricefill.Series{Bars: adjusted(fake.Bars("AAPL", march), ex, 0.98)}},
		{name: "an adjusted close within the tolerance", current: pricefill.Series{Bars: adjusted(fake.Bars("AAPL", march), ex, 1+1e-7)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t)
				h.store.Put(stored...)
				h.store.Put(without(fake.Bars("MSFT", march), pricefill.Date(2026, 3, 23), march.To)...)
				if len(tc.have) > 0 {
					if _, err := h.store.Save(context.Background(), backfill.SaveRequest{Range: march,
						Series: &pricefill.Series{Asset: pricefill.Asset{Symbol: "AAPL"}, Bars: stored[:1], Dividends: tc.have}}); err != nil {
						t.Fatal(err)
					}
				}
				p := &history{calls: map[string][]string{}, series: map[string]pricefill.Series{
					"AAPL": tc.current, "MSFT": {Bars: fake.Bars("MSFT", march)}}}
				r, err := backfill.New(p, h.store, backfill.WithClock(h.clock), backfill.WithQueue(h.queue), backfill.WithLimiter(noLimit))
				if err != nil {
					t.Fatal(err)
				}
				rep, err := r.Run(context.Background(), backfill.Request{Symbols: []string{"AAPL", "MSFT"}, Range: march})
				if err != nil {
					t.Fatal(err)
				}
				daily := pricefill.Range{From: pricefill.Date(2026, 3, 20), To: march.To}.String()
				want := map[string][]string{"AAPL": {daily}, "MSFT": {daily}}
				wantRestated, wantUpdated := 0, int64(0)
				if tc.restated {
					want["AAPL"] = append(want["AAPL"], march.String())
					wantRestated = 1
				}
				if tc.name == "a new dividend" || tc.name == "an adjusted close restated" {
					wantUpdated = 15 // every stored day before the ex-date
				}
				if diff := cmp.Diff(want, p.calls); diff != "" {
					t.Errorf("requests (-want +made):\n%s", diff)
				}
				if rep.Requests != 2+wantRestated || rep.Restated != wantRestated || rep.Updated != wantUpdated || rep.Inserted != 10 {
					t.Errorf("report: %d requests, %d restated, %d updated, %d inserted; want %d, %d, %d, 10",
						rep.Requests, rep.Restated, rep.Updated, rep.Inserted, 2+wantRestated, wantRestated, wantUpdated)
				}
				if got := rep.Symbols[0]; got.Symbol != "AAPL" || got.Restated != tc.restated || got.Requests != 1+wantRestated {
					t.Errorf("AAPL's report: restated %v, %d requests; want %v, %d", got.Restated, got.Requests, tc.restated, 1+wantRestated)
				}
				if rep.Symbols[1].Restated {
					t.Error("MSFT's report says restated; want not")
				}
				var text strings.Builder
				if err := rep.WriteText(&text); err != nil {
					t.Fatal(err)
				}
				if got := strings.Contains(text.String(), "restated      1 symbols"); got != tc.restated {
					t.Errorf("the report's text has the restated line: %v, want %v:\n%s", got, tc.restated, text.String())
				}
				wantBars := tc.current.Bars
				if !tc.restated {
					wantBars = append(stored[:len(stored):len(stored)], tc.current.Bars[len(stored):]...)
				}
				if diff := cmp.Diff(wantBars, h.store.Bars("AAPL")); diff != "" {
					t.Errorf("stored bars (-want +stored):\n%s", diff)
				}
				divs, err := h.store.Dividends(context.Background(), "AAPL", march)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tc.current.Dividends, divs); diff != "" {
					t.Errorf("stored dividends (-want +stored):\n%s", diff)
				}
				splits, err := h.store.Splits(context.Background(), "AAPL", march)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tc.current.Splits, splits); diff != "" {
					t.Errorf("stored splits (-want +stored):\n%s", diff)
				}
			})
		})
	}
}
