package fake_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/backfill/storetest"
	"github.com/pricefill/pricefill/internal/fake"
)

// readable gives a fake.Store the read methods the suite calls.
type readable struct{ *fake.Store }

// Bars returns the stored bars of symbol within r.
func (s readable) Bars(ctx context.Context, symbol string, r pricefill.Range) ([]pricefill.Bar, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []pricefill.Bar
	for _, b := range s.Store.Bars(symbol) {
		if r.Contains(b.Date) {
			out = append(out, b)
		}
	}
	return out, nil
}

func TestStoreConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) storetest.Store { return readable{fake.NewStore()} })
}

// The suite checks the fake's holes.
var _ backfill.HoleKeeper = readable{}

// TestStepNulls: a step's Nulls come back as the series' Nulls, and its
// bars as given.
func TestStepNulls(t *testing.T) {
	t.Parallel()
	f := fake.NewFetcher(pricefill.SystemClock())
	r := pricefill.Range{From: pricefill.Date(2025, 6, 2), To: pricefill.Date(2025, 6, 6)}
	nulls := []time.Time{pricefill.Date(2025, 6, 3), pricefill.Date(2025, 6, 5)}
	bars := []pricefill.Bar{fake.Bar("AAPL", r.From), fake.Bar("AAPL", pricefill.Date(2025, 6, 4))}
	f.Script("AAPL", fake.Step{Bars: bars, Nulls: nulls}, fake.Step{})
	s, err := f.Fetch(context.Background(), "AAPL", r)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(nulls, s.Nulls); diff != "" {
		t.Errorf("Nulls of the scripted step (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(bars, s.Bars); diff != "" {
		t.Errorf("Bars of the scripted step (-want +got):\n%s", diff)
	}
	s, err = f.Fetch(context.Background(), "AAPL", r)
	if err != nil || s.Nulls != nil {
		t.Errorf("a step without Nulls: %v, %v; want none", s.Nulls, err)
	}
}
