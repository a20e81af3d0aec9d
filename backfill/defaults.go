package backfill

import (
	"context"

	"github.com/pricefill/pricefill"
)

// defaultLimiter is the limiter of a runner built without WithLimiter.
func defaultLimiter(pricefill.Clock) Limiter {
	return LimiterFunc(func(ctx context.Context) error { return ctx.Err() })
}
