package calendar_test

import (
	"testing"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/validate/calendar"
)

// BenchmarkTradingDays30Years lists the NYSE's trading days of 1995-2024.
func BenchmarkTradingDays30Years(b *testing.B) {
	from, to := date("1995-01-01"), date("2024-12-31")
	b.ReportAllocs()
	for b.Loop() {
		if days := calendar.NYSE.TradingDays(from, to); len(days) != 7552 {
			b.Fatalf("%d trading days", len(days))
		}
	}
}

// BenchmarkGaps finds the gaps of a year of which every other week is stored.
func BenchmarkGaps(b *testing.B) {
	r := pricefill.Range{From: date("2024-01-01"), To: date("2024-12-31")}
	var stored []time.Time
	for d := r.From; !d.After(r.To); d = d.AddDate(0, 0, 1) {
		if _, w := d.ISOWeek(); w%2 == 0 && calendar.NYSE.IsTradingDay(d) {
			stored = append(stored, d)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		calendar.Gaps(calendar.NYSE, r, stored)
	}
}
