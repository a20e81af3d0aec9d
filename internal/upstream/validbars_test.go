package upstream_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/validate/calendar"
)

// TestValidBarsByTheListingsExchange: ValidBars judges each listing by its
// own exchange's calendar, as a correct client does: no bar on the
// exchange's holidays (Boxing Day in London and Sydney, Tokyo's New Year, the NYSE's day of mourning),
// and the bar of its last session from that exchange's close on, not New
// York's.
func TestValidBarsByTheListingsExchange(t *testing.T) {
	t.Parallel()
	srv := setup(t)
	r := pricefill.Range{From: d(2024, 12, 20), To: d(2025, 1, 10)}
	for _, tc := range []struct {
		sym      string
		cal      calendar.SessionCalendar
		holidays []time.Time
	}{
		{"VOD.L", calendar.LSE, []time.Time{d(2024, 12, 25), d(2024, 12, 26), d(2025, 1, 1)}},
		{"BHP.AX", calendar.ASX, []time.Time{d(2024, 12, 25), d(2024, 12, 26), d(2025, 1, 1)}},
		{"7203.T", calendar.TSE, []time.Time{d(2024, 12, 31), d(2025, 1, 2), d(2025, 1, 3)}},
		{"AAPL", calendar.NYSE, []time.Time{d(2024, 12, 25), d(2025, 1, 1), d(2025, 1, 9)}},
	} {
		days := tc.cal.TradingDays(r.From, r.To)
		last := days[len(days)-1]
		end := tc.cal.SessionEnd(last)
		for _, h := range tc.holidays {
			if tc.cal.IsTradingDay(h) {
				t.Fatalf("%s: %s is a trading day; the test wants a holiday", tc.sym, h.Format(pricefill.DateLayout))
			}
		}
		for _, at := range []struct {
			now  time.Time
			want []time.Time
		}{
			{end.Add(-time.Minute), days[:len(days)-1]},
			{end.Add(time.Minute), days},
		} {
			var got []time.Time
			for _, b := range srv.ValidBars(tc.sym, r, at.now) {
				got = append(got, b.Date)
			}
			if diff := cmp.Diff(at.want, got); diff != "" {
				t.Errorf("%s at %s (close %s): dates of the valid bars (-want +got):\n%s",
					tc.sym, at.now.In(tc.cal.Location()).Format(time.DateTime), end.In(tc.cal.Location()).Format("15:04"), diff)
			}
		}
	}
}
