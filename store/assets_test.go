package store_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
)

// TestPutAssetsMerges is a property: after any sequence of PutAssets and
// Saves of one symbol's asset, each value stored (name, sector, currency)
// is the last one given that was not empty, or empty when none was.
// Putting the same assets again changes nothing.
func TestPutAssetsMerges(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		db := open(t, d.dsn(t))
		n := 0
		rapid.Check(t, func(t *rapid.T) {
			n++
			sym := fmt.Sprintf("P%d", n)
			value := rapid.SampledFrom([]string{"", "", "Apple", "Apple Inc.", "IT"})
			var want pricefill.Asset
			want.Symbol = sym
			steps := rapid.IntRange(1, 6).Draw(t, "steps")
			for i := range steps {
				a := pricefill.Asset{Symbol: sym, Name: value.Draw(t, "name"), Sector: value.Draw(t, "sector"), Currency: value.Draw(t, "currency")}
				if rapid.Bool().Draw(t, fmt.Sprintf("save %d", i)) {
					if _, err := db.Save(ctx, backfill.SaveRequest{Series: &pricefill.Series{Asset: a}}); err != nil {
						t.Fatalf("Save: %v", err)
					}
				} else if err := db.PutAssets(ctx, []pricefill.Asset{a, a}); err != nil {
					t.Fatalf("PutAssets: %v", err)
				}
				for _, f := range []struct {
					dst *string
					v   string
				}{{&want.Name, a.Name}, {&want.Sector, a.Sector}, {&want.Currency, a.Currency}} {
					if f.v != "" {
						*f.dst = f.v
					}
				}
			}
			got, err := db.Asset(ctx, sym)
			if err != nil || got == nil {
				t.Fatalf("Asset(%s) = %v, %v", sym, got, err)
			}
			if diff := cmp.Diff(want, *got); diff != "" {
				t.Fatalf("stored asset (-want +got):\n%s", diff)
			}
		})
	})
}

// TestPutAssetsRefusesBadSymbols: a symbol empty, malformed or not in its
// canonical form fails the whole call, naming it, as a permanent error,
// and stores nothing.
func TestPutAssetsRefusesBadSymbols(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		db := open(t, d.dsn(t))
		for _, bad := range []string{"", "aapl", "A B"} {
			err := db.PutAssets(ctx, []pricefill.Asset{{Symbol: "GOOD", Name: "Good"}, {Symbol: bad, Name: "Bad"}})
			if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("asset 2 (%q)", bad)) || !errors.Is(err, pricefill.ErrPermanent) {
				t.Errorf("PutAssets with %q: %v, want a permanent error naming asset 2", bad, err)
			}
		}
		if n := count(t, db, "assets", "GOOD"); n != 0 {
			t.Errorf("%d assets GOOD stored by refused calls, want 0", n)
		}
	})
}
