package fake_test

import (
	"context"
	"testing"

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
