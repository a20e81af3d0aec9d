package calendar_test

import (
	"testing"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/validate/calendar"
)

func TestLastSessionOver(t *testing.T) {
	t.Parallel()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	us := pricefill.Asset{Symbol: "AAPL", Timezone: "America/New_York"}
	for _, tc := range []struct {
		name string
		cal  calendar.Calendar
		a    pricefill.Asset
		now  time.Time
		want time.Time
	}{
		{"NYSE before the close", calendar.NYSE, us, time.Date(2026, 4, 1, 15, 59, 59, 0, ny), pricefill.Date(2026, 3, 31)},
		{"NYSE at the close", calendar.NYSE, us, time.Date(2026, 4, 1, 16, 0, 0, 0, ny), pricefill.Date(2026, 4, 1)},
		{"NYSE after midnight UTC, evening in New York", calendar.NYSE, us, time.Date(2026, 4, 2, 2, 0, 0, 0, time.UTC), pricefill.Date(2026, 4, 1)},
		{"NYSE in summer time", calendar.NYSE, us, time.Date(2026, 7, 1, 19, 59, 0, 0, time.UTC), pricefill.Date(2026, 6, 30)},
		{"Tokyo before midnight", calendar.Weekdays, pricefill.Asset{Symbol: "7203.T", Timezone: "Asia/Tokyo"}, time.Date(2026, 4, 1, 14, 59, 0, 0, time.UTC), pricefill.Date(2026, 3, 31)},
		{"Tokyo at midnight", calendar.Weekdays, pricefill.Asset{Symbol: "7203.T", Timezone: "Asia/Tokyo"}, time.Date(2026, 4, 1, 15, 0, 0, 0, time.UTC), pricefill.Date(2026, 4, 1)},
		{"unknown zone: over everywhere", calendar.Weekdays, pricefill.Asset{Symbol: "OCDO.L"}, time.Date(2026, 4, 2, 11, 59, 0, 0, time.UTC), pricefill.Date(2026, 3, 31)},
		{"unknown zone: over at UTC-12 midnight", calendar.Weekdays, pricefill.Asset{Symbol: "OCDO.L"}, time.Date(2026, 4, 2, 12, 0, 0, 0, time.UTC), pricefill.Date(2026, 4, 1)},
	} {
		if got := calendar.LastSessionOver(tc.cal, tc.a, tc.now); !got.Equal(tc.want) {
			t.Errorf("%s: LastSessionOver at %s = %s, want %s", tc.name, tc.now.UTC(), got.Format(pricefill.DateLayout), tc.want.Format(pricefill.DateLayout))
		}
	}
}
