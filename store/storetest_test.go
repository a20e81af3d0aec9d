package store_test

import (
	"testing"

	"github.com/pricefill/pricefill/backfill/storetest"
	"github.com/pricefill/pricefill/store"
)

var _ storetest.Store = (*store.DB)(nil)

func TestStoreConformance(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		storetest.Run(t, func(t *testing.T) storetest.Store { return open(t, d.dsn(t)) })
	})
}
