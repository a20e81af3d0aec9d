package backfill_test

import (
	"io"
	"log/slog"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/internal/clocktest"
	"github.com/pricefill/pricefill/internal/fake"
	"github.com/pricefill/pricefill/queue"
	"github.com/pricefill/pricefill/validate/calendar"
)

// TestFinalAtTheLocalClose: the runner asks for a listing's bars up to its
// own exchange's last closed session, in that exchange's zone: a minute
// before the close of a day, up to the trading day before it; a minute
// after, up to that day. For a Sydney, a Tokyo and a London listing, on
// the days of a week around each close, by the calendar's own SessionEnd.
func TestFinalAtTheLocalClose(t *testing.T) {
	t.Parallel()
	for _, sym := range []string{"BHP.AX", "7203.T", "VOD.L"} {
		cal, ok := calendar.For(pricefill.Asset{Symbol: sym}).(calendar.SessionCalendar)
		if !ok {
			t.Errorf("%s: calendar %T knows no closing time", sym, calendar.For(pricefill.Asset{Symbol: sym}))
			continue
		}
		week := cal.TradingDays(pricefill.Date(2026, 11, 23), pricefill.Date(2026, 11, 27))
		for i, day := range week[1:] {
			before := week[i] // the trading day before day
			for _, tc := range []struct {
				at   time.Time
				want time.Time
			}{
				{cal.SessionEnd(day).Add(-time.Minute), before},
				{cal.SessionEnd(day).Add(time.Minute), day},
			} {
				t.Run(sym+"/"+tc.at.UTC().Format(time.RFC3339), func(t *testing.T) {
					synctest.Test(t, func(t *testing.T) {
						clock := clocktest.Shifted(tc.at)
						f := fake.NewFetcher(clock)
						r, err := backfill.New(f, fake.NewStore(),
							backfill.WithClock(clock), backfill.WithLimiter(noLimit),
							backfill.WithQueue(queue.NewMemory(queue.WithClock(clock))),
							backfill.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
						if err != nil {
							t.Fatal(err)
						}
						rng := pricefill.Range{From: pricefill.Date(2026, 11, 16), To: pricefill.DateOf(tc.at.Add(48 * time.Hour))}
						if _, err := r.Run(t.Context(), backfill.Request{Symbols: []string{sym}, Range: rng}); err != nil {
							t.Fatal(err)
						}
						calls := f.CallsFor(sym)
						if len(calls) != 1 || !calls[0].Range.To.Equal(tc.want) {
							t.Errorf("at %s (%s local): asked for %v; want one request up to %s",
								tc.at.UTC().Format(time.RFC3339), tc.at.In(cal.Location()).Format("Mon 15:04"), calls, tc.want.Format(time.DateOnly))
						}
					})
				})
			}
		}
	}
}
