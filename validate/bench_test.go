package validate_test

import (
	"testing"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/validate"
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
		if err := v.Validate(now, r, aapl, bar); err != nil {
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
				if err := v.Validate(bc.now, r, bc.asset, bar); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkTradingDays30Years lists the NYSE's trading days of 1995-2024.
func BenchmarkTradingDays30Years(b *testing.B) {
	from, to := date("1995-01-01"), date("2024-12-31")
	b.ReportAllocs()
	for b.Loop() {
		if days := validate.NYSE.TradingDays(from, to); len(days) != 7552 {
			b.Fatalf("%d trading days", len(days))
		}
	}
}

// BenchmarkGaps finds the gaps of a year of which every other week is stored.
func BenchmarkGaps(b *testing.B) {
	r := pricefill.Range{From: date("2024-01-01"), To: date("2024-12-31")}
	var stored []time.Time
	for d := r.From; !d.After(r.To); d = d.AddDate(0, 0, 1) {
		if _, w := d.ISOWeek(); w%2 == 0 && validate.NYSE.IsTradingDay(d) {
			stored = append(stored, d)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		validate.Gaps(validate.NYSE, r, stored)
	}
}
