package store_test

import (
	"testing"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/queue/queuetest"
	"github.com/pricefill/pricefill/store"
)

func TestQueueConformance(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		queuetest.Run(t, func(t *testing.T, clock pricefill.Clock) queuetest.Queue {
			return open(t, d.dsn(t), store.WithClock(clock))
		})
	})
}
