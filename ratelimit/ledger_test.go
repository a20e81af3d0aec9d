package ratelimit_test

import (
	"testing"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/ratelimit"
	"github.com/pricefill/pricefill/ratelimit/ledgertest"
)

func TestMemoryLedger(t *testing.T) {
	t.Parallel()
	ledgertest.Run(t, func(t *testing.T, clock pricefill.Clock, n int) []ratelimit.Ledger {
		l := ratelimit.NewMemoryLedger(clock)
		ls := make([]ratelimit.Ledger, n)
		for i := range ls {
			ls[i] = l
		}
		return ls
	})
}
