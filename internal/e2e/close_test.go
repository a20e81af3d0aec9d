package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/internal/upstream"
	"github.com/pricefill/pricefill/validate/calendar"
)

// clockAt is the environment that starts the program's clock at at (it
// moves on from there at the real pace): the program runs as if it were
// then, while the fake provider's clock stays real. With at in the past,
// the provider serves every day the program may ask for.
func clockAt(at time.Time) string {
	return "PRICEFILL_E2E_CLOCK_OFFSET=" + time.Until(at).String()
}

// runAt runs the program with args to its end, its clock started at at,
// and returns its exit code and output.
func runAt(t *testing.T, ctx context.Context, at time.Time, args ...string) (int, string) {
	t.Helper()
	cmd, out := cliCommand(t, ctx, args...)
	cmd.Env = append(cmd.Env, clockAt(at))
	err := cmd.Run()
	return exitCode(t, err), out.String()
}

// closeMargin is how far before and after a session's close
// TestListingsFinalAtTheLocalClose runs the program: far more than a run
// takes, so that the close never falls within one.
const closeMargin = 5 * time.Minute

// closeDays is the --days of TestListingsFinalAtTheLocalClose.
const closeDays = 10

// TestListingsFinalAtTheLocalClose: a Sydney, a Tokyo and a London listing
// are stored up to their last closed local session whatever the hour of
// the run. For each, the program runs on a new database with its clock a
// few minutes before and a few minutes after the close of a past session
// (one right after a local holiday): before, the newest stored bar is the
// session before the holiday; after, it is that day's, stored minutes
// after the local close rather than a day later. Each run makes exactly
// one request, and stores exactly the valid bars a correct client stores
// at that hour.
func TestListingsFinalAtTheLocalClose(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		sym     string
		cal     calendar.ExchangeCalendar
		day     time.Time // the session whose close the runs straddle
		holiday time.Time // the weekday before it, a local holiday
	}{
		// The Tuesday after the King's Birthday (ASX close 16:12 Sydney).
		{"BHP.AX", calendar.ASX, pricefill.Date(2026, 6, 9), pricefill.Date(2026, 6, 8)},
		// The Tuesday after Sports Day (TSE close 15:30 Tokyo since 2024-11-05).
		{"7203.T", calendar.TSE, pricefill.Date(2026, 10, 13), pricefill.Date(2026, 10, 12)},
		// The Tuesday after the summer bank holiday (LSE close 16:36 London).
		{"VOD.L", calendar.LSE, pricefill.Date(2026, 9, 1), pricefill.Date(2026, 8, 31)},
	} {
		closed := tc.cal.SessionEnd(tc.day)
		if !tc.cal.IsTradingDay(tc.day) || tc.cal.IsTradingDay(tc.holiday) {
			t.Fatalf("%s: want %s a session and %s a holiday of %s", tc.sym,
				tc.day.Format(pricefill.DateLayout), tc.holiday.Format(pricefill.DateLayout), tc.cal.Name())
		}
		before := tc.cal.TradingDays(tc.day.AddDate(0, 0, -closeDays), tc.day.AddDate(0, 0, -1))
		prev := before[len(before)-1]
		for _, side := range []struct {
			name   string
			at     time.Time
			newest time.Time
		}{
			{"before", closed.Add(-closeMargin), prev},
			{"after", closed.Add(closeMargin), tc.day},
		} {
			t.Run(tc.sym+"/"+side.name, func(t *testing.T) {
				t.Parallel()
				// The program's range ends on today in New York: the
				// session's date, a few hours behind Sydney and Tokyo.
				r := runRange(side.at, closeDays)
				if !r.To.Equal(tc.day) {
					t.Fatalf("at %s the range is %s, want it to end on %s", side.at.UTC().Format(time.RFC3339), r, tc.day.Format(pricefill.DateLayout))
				}
				forEachDialect(t, func(t *testing.T, dsn string) {
					srv := upstream.ForTest(t)
					ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
					defer cancel()
					code, out := runAt(t, ctx, side.at, "--db", dsn, "--base-url", srv.URL(), "--symbols", tc.sym,
						"--days", fmt.Sprint(closeDays), "--rate", rateNoLimt, "--log-level", "warn")
					if code != 0 {
						t.Fatalf("exit %d, want 0:\n%s", code, out)
					}
					if n := len(srv.RequestsFor(tc.sym)); n != 1 {
						t.Errorf("%d requests for %s, want 1", n, tc.sym)
					}
					local := side.at.In(tc.cal.Location()).Format("Mon 2006-01-02 15:04 MST")
					stored := storedBars(t, openStore(t, dsn), tc.sym)
					if len(stored) == 0 {
						t.Fatalf("at %s (close %s): nothing stored for %s", local, closed.In(tc.cal.Location()).Format("15:04"), tc.sym)
					}
					if got := stored[len(stored)-1].Date; !got.Equal(side.newest) {
						t.Errorf("at %s (close %s): the newest stored bar of %s is of %s, want %s",
							local, closed.In(tc.cal.Location()).Format("15:04"), tc.sym,
							got.Format(pricefill.DateLayout), side.newest.Format(pricefill.DateLayout))
					}
					if diff := cmp.Diff(srv.ValidBars(tc.sym, r, side.at), stored); diff != "" {
						t.Errorf("at %s: stored bars of %s differ from the valid bars served (-served +stored):\n%s", local, tc.sym, diff)
					}
				})
			})
		}
	}
}
