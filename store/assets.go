package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/store/internal/sqldialect"
)

// PutAssets stores the descriptions of assets, in one transaction, merged
// with the stored ones as [DB.Save] merges a series' asset: an asset not
// stored yet is added; of one stored, each value given (name, currency,
// exchange, time zone, sector) replaces the stored one, and a value left
// empty keeps it, so that an empty name never hides a provider's. Putting
// the same assets again changes nothing. It is how the names and sectors
// of a universe (package backfill/universe) reach the store, before a run
// fetches them.
//
// Each asset's Symbol is its canonical symbol, as [pricefill.NormalizeSymbol]
// gives it; an empty or malformed one fails the whole call, with an error
// matching [pricefill.ErrPermanent].
func (db *DB) PutAssets(ctx context.Context, assets []pricefill.Asset) error {
	for i, a := range assets {
		sym, err := pricefill.NormalizeSymbol(a.Symbol)
		if err == nil && sym != a.Symbol {
			err = fmt.Errorf("want its canonical form %s", sym)
		}
		if err != nil {
			return pricefill.Permanent(fmt.Errorf("store: put assets: asset %d (%q): %w", i+1, a.Symbol, err))
		}
	}
	if len(assets) == 0 {
		return nil
	}
	err := inTx(ctx, db.x, func(tx *sqlx.Tx) error {
		now := sqldialect.FormatTime(sqldialect.Now(db.clock))
		for _, a := range assets {
			var id int64
			if err := db.cache.QueryRow(ctx, tx, db.stmts.upsertAsset, a.Symbol, orNull(a.Name), orNull(a.Currency),
				orNull(a.Exchange), orNull(a.Timezone), now, orNull(a.Sector)).Scan(&id); err != nil {
				return fmt.Errorf("%s: %w", a.Symbol, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: put assets: %w", refusal(err))
	}
	return nil
}
