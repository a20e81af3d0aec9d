package validate_test

import (
	"testing"
	"time"

	"github.com/pricefill/pricefill"
)

// BenchmarkValidate validates one valid bar of a year's backfill: a US
// listing, a past trading day. Target: under 100 ns, no allocation.
func BenchmarkValidate(b *testing.B) {
	v := newValidator(b)
	bar := validBar(date("2024-03-05"))
	r := pricefill.Range{From: date("2023-03-20"), To: date("2024-03-20")}
	now := time.Date(2024, 3, 20, 14, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		if err := v.Validate(now, r, aapl, nil, bar); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidateToday validates today's bar after the close, which
// needs the exchange's zone: New York for a US listing, the provider's
// zone for a foreign one.
func BenchmarkValidateToday(b *testing.B) {
	for _, bc := range []struct {
		name  string
		asset pricefill.Asset
		now   time.Time
	}{
		{"NYSE", aapl, time.Date(2024, 3, 5, 21, 30, 0, 0, time.UTC)},
		{"Tokyo", pricefill.Asset{Symbol: "7203.T", Timezone: "Asia/Tokyo"}, time.Date(2024, 3, 5, 15, 30, 0, 0, time.UTC)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			v := newValidator(b)
			bar := validBar(date("2024-03-05"))
			bar.Symbol = bc.asset.Symbol
			r := pricefill.Range{From: date("2023-03-05"), To: date("2024-03-05")}
			b.ReportAllocs()
			for b.Loop() {
				if err := v.Validate(bc.now, r, bc.asset, nil, bar); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
