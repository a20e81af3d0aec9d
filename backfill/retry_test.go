package backfill_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/ratelimit"
)

// TestExponentialBackoffDefault: the default retries wait 5, 10, 20, 40,
// 80 s and then 80 s, step for step the limiter's default cool-downs.
func TestExponentialBackoffDefault(t *testing.T) {
	t.Parallel()
	retry := backfill.ExponentialBackoff(backfill.RetryInitialDefault, backfill.RetryMaxDefault, 0)
	cool := ratelimit.Exponential{Initial: ratelimit.CoolDownInitialDefault, Max: ratelimit.CoolDownMaxDefault}
	var got, cools []time.Duration
	for attempt := 1; attempt <= 7; attempt++ {
		got = append(got, retry(attempt))
		cools = append(cools, cool.Delay(attempt))
	}
	s := time.Second
	if diff := cmp.Diff([]time.Duration{5 * s, 10 * s, 20 * s, 40 * s, 80 * s, 80 * s, 80 * s}, got); diff != "" {
		t.Errorf("retries (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(cools, got); diff != "" {
		t.Errorf("retries (-cool-downs +retries):\n%s", diff)
	}
}
