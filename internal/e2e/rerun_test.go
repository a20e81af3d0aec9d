package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/internal/upstream"
	"github.com/pricefill/pricefill/store"
	"github.com/pricefill/pricefill/validate/calendar"
)

// restoreAt is the program's clock in TestRerunRestoresDeletedDays: a
// Friday at 18:00 in New York, after every close of the day, so that no
// session closes between the runs.
var restoreAt = time.Date(2026, 11, 20, 23, 0, 0, 0, time.UTC)

const (
	restoreDays    = 30
	restoreDeleted = 10 // the days deleted from the victim's bars
)

// TestRerunRestoresDeletedDays: ten days deleted from one symbol's stored
// bars with SQL come back on a rerun of the same command, with one
// request, for that symbol alone; every symbol's bars are then those of the
// first run again. (Before issue 16, a completed task was skipped without
// a look at the store: the deleted days stayed deleted, with no request.)
func TestRerunRestoresDeletedDays(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dsn string) {
		srv := upstream.ForTest(t)
		syms := append(symbols("RD", 3), "VOD.L")
		victim := syms[1]
		args := []string{"--db", dsn, "--base-url", srv.URL(), "--symbols", strings.Join(syms, ","),
			"--days", fmt.Sprint(restoreDays), "--rate", rateNoLimt, "--log-level", "warn"}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()

		if code, out := runAt(t, ctx, restoreAt, args...); code != 0 {
			t.Fatalf("first run: exit %d, want 0:\n%s", code, out)
		}
		if diff := cmp.Diff(oneEach(syms), fetches(srv, syms)); diff != "" {
			t.Errorf("first run: requests by symbol (-want +got):\n%s", diff)
		}
		db := openStore(t, dsn)
		r := runRange(restoreAt, restoreDays)
		first := map[string][]pricefill.Bar{}
		for _, s := range syms {
			first[s] = storedBars(t, db, s)
			if diff := cmp.Diff(srv.ValidBars(s, r, restoreAt), first[s]); diff != "" {
				t.Errorf("first run: stored bars of %s differ from the valid bars served (-served +stored):\n%s", s, diff)
			}
		}
		bars := first[victim]
		if len(bars) < restoreDeleted+10 {
			t.Fatalf("%d bars of %s stored, want %d at least", len(bars), victim, restoreDeleted+10)
		}
		gone := bars[5 : 5+restoreDeleted]
		from, to := gone[0].Date.Format(pricefill.DateLayout), gone[len(gone)-1].Date.Format(pricefill.DateLayout)
		res, err := rawDB(t, dsn).ExecContext(ctx, rebind(dsn, `DELETE FROM prices
			WHERE asset_id = (SELECT id FROM assets WHERE symbol = $1) AND date >= $2 AND date <= $3`), victim, from, to)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := res.RowsAffected(); err != nil || n != restoreDeleted {
			t.Fatalf("deleted %d bars of %s (%v), want %d", n, victim, err, restoreDeleted)
		}
		srv.Reset()

		// The same command again, a minute later: nothing new is final.
		if code, out := runAt(t, ctx, restoreAt.Add(time.Minute), args...); code != 0 {
			t.Fatalf("rerun: exit %d, want 0:\n%s", code, out)
		}
		if diff := cmp.Diff(map[string]int{victim: 1}, fetches(srv, syms)); diff != "" {
			t.Errorf("rerun after deleting %s..%s of %s: requests by symbol (-want +got): want one, for %s alone\n%s",
				from, to, victim, victim, diff)
		}
		for _, s := range syms {
			now := storedBars(t, db, s)
			if diff := cmp.Diff(first[s], now); diff != "" {
				t.Errorf("rerun: %d bars of %s stored, %d by the first run; they differ (-first +rerun):\n%s", len(now), s, len(first[s]), diff)
			}
		}
	})
}

// oneEach is a request for each of syms, as fetches counts them.
func oneEach(syms []string) map[string]int {
	out := make(map[string]int, len(syms))
	for _, s := range syms {
		out[s] = 1
	}
	return out
}

// The clocks of TestRerunWithNothingNewAsksNothing: the first run on a
// Friday at 18:30 in New York, after every close of the day; the run of
// the next morning, with nothing new (no exchange trades on a Saturday)
// and less than a day after the holes were asked for, within their first
// back-off (backfill.DefaultHoleBackoff).
var (
	nothingAt     = time.Date(2025, 5, 9, 22, 30, 0, 0, time.UTC)
	nothingNextAt = time.Date(2025, 5, 10, 14, 0, 0, 0, time.UTC)
)

// nothingDays reaches back from 2025-05-09 to 2024-12-20: over Christmas
// and the New Year, Easter, Anzac Day and Golden Week.
const nothingDays = 140

// The symbols of TestRerunWithNothingNewAsksNothing whose data has holes,
// and their days.
const (
	nullSym    = "HNULL"   // listed without prices on nullDays
	invalidSym = "HBAD"    // a bar with its high below its low on invalidDay
	gapSym     = "HGAP"    // no row on gapDay
	holidaySym = "VOD.L"   // a bar served on Boxing Day, a London holiday
	tokyoSym   = "7203.T"  // generated: none on Tokyo's holidays
	sydneySym  = "BHP.AX"  // generated: none on Sydney's holidays
	plainHSym  = "HPLAIN0" // nothing wrong
)

var (
	nullDays   = []time.Time{pricefill.Date(2025, 2, 12), pricefill.Date(2025, 3, 18)}
	invalidDay = pricefill.Date(2025, 3, 5)
	gapDay     = pricefill.Date(2025, 2, 19)
	boxingDay  = pricefill.Date(2024, 12, 26)
)

// A heldHole is what TestRerunWithNothingNewAsksNothing checks of a hole.
type heldHole struct {
	Date   time.Time
	Reason backfill.HoleReason
}

// TestRerunWithNothingNewAsksNothing: with null days, an invalid bar, a
// weekday the provider does not serve, a bar served on a London holiday
// and the holidays of Tokyo and Sydney in the data, a rerun of the same
// command makes no request at all, and neither does the same command the
// next morning, when the range has moved to a Saturday: the days the
// provider did not serve are remembered as holes, each with its reason,
// and not asked for again within their back-off, and no holiday is asked
// for. With --force every symbol is asked for again. The stored bars stay
// those of the first run: the valid ones, on trading days only.
func TestRerunWithNothingNewAsksNothing(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dsn string) {
		srv := upstream.ForTest(t)
		r := runRange(nothingAt, nothingDays)
		holidays := nothingData(t, srv, r)
		syms := []string{nullSym, invalidSym, gapSym, holidaySym, tokyoSym, sydneySym, plainHSym}
		args := []string{"--db", dsn, "--base-url", srv.URL(), "--symbols", strings.Join(syms, ","),
			"--days", fmt.Sprint(nothingDays), "--rate", rateNoLimt, "--log-level", "warn"}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()

		if code, out := runAt(t, ctx, nothingAt, args...); code != 0 {
			t.Fatalf("first run: exit %d, want 0:\n%s", code, out)
		}
		if diff := cmp.Diff(oneEach(syms), fetches(srv, syms)); diff != "" {
			t.Errorf("first run: requests by symbol (-want +got):\n%s", diff)
		}
		db := openStore(t, dsn)
		first := map[string][]pricefill.Bar{}
		for _, s := range syms {
			first[s] = storedBars(t, db, s)
			if diff := cmp.Diff(srv.ValidBars(s, r, nothingAt), first[s]); diff != "" {
				t.Errorf("first run: stored bars of %s differ from the valid bars served (-served +stored):\n%s", s, diff)
			}
			for _, b := range first[s] {
				if h := holidays[s]; h[b.Date] {
					t.Errorf("first run: %s has a bar stored on %s, a holiday of its exchange", s, b.Date.Format(pricefill.DateLayout))
				}
			}
		}
		checkHoles(t, db, syms, r, map[string][]heldHole{
			nullSym:    {{nullDays[0], backfill.HoleNull}, {nullDays[1], backfill.HoleNull}},
			invalidSym: {{invalidDay, backfill.HoleInvalid}},
			gapSym:     {{gapDay, backfill.HoleMissing}},
		}, nothingAt, nothingAt.Add(time.Minute))

		for _, rerun := range []struct {
			name string
			at   time.Time
		}{
			{"the same command again", nothingAt.Add(time.Minute)},
			{"the same command the next morning", nothingNextAt},
		} {
			srv.Reset()
			if code, out := runAt(t, ctx, rerun.at, args...); code != 0 {
				t.Fatalf("%s: exit %d, want 0:\n%s", rerun.name, code, out)
			}
			if got := fetches(srv, syms); len(got) != 0 {
				t.Errorf("%s (%s, nothing new): requests by symbol %v, want none: the holes %s, %s and %s of the first run were asked for again",
					rerun.name, rerun.at.Format(time.RFC3339), got, nullSym, invalidSym, gapSym)
			}
		}

		srv.Reset()
		if code, out := runAt(t, ctx, nothingNextAt.Add(time.Minute), append(args, "--force")...); code != 0 {
			t.Fatalf("--force: exit %d, want 0:\n%s", code, out)
		}
		if diff := cmp.Diff(oneEach(syms), fetches(srv, syms)); diff != "" {
			t.Errorf("--force: requests by symbol (-want +got): want every symbol asked for again\n%s", diff)
		}
		for _, s := range syms {
			if diff := cmp.Diff(first[s], storedBars(t, db, s)); diff != "" {
				t.Errorf("after the reruns: stored bars of %s differ from the first run's (-first +now):\n%s", s, diff)
			}
		}
	})
}

// nothingData sets the data of TestRerunWithNothingNewAsksNothing over r
// and returns the holidays of its listings within r, by symbol, having
// checked that their calendars close on them and that the provider
// serves nothing on them (but the bar on Boxing Day it is made to serve).
func nothingData(t *testing.T, srv *upstream.Server, r pricefill.Range) map[string]map[time.Time]bool {
	t.Helper()
	srv.SetNullDays(nullSym, nullDays...)

	bad := srv.Bars(invalidSym, r)
	i := indexOf(t, bad, invalidDay)
	bad[i].High, bad[i].Low = bad[i].Low, bad[i].High
	srv.SetBars(invalidSym, bad)

	gappy := srv.Bars(gapSym, r)
	i = indexOf(t, gappy, gapDay)
	srv.SetBars(gapSym, append(gappy[:i:i], gappy[i+1:]...))

	date := pricefill.Date
	holidays := map[string]struct {
		cal  calendar.Calendar
		days []time.Time
	}{
		holidaySym: {calendar.LSE, []time.Time{date(2024, 12, 25), boxingDay, date(2025, 1, 1),
			date(2025, 4, 18), date(2025, 4, 21), date(2025, 5, 5)}},
		tokyoSym: {calendar.TSE, []time.Time{date(2024, 12, 31), date(2025, 1, 2), date(2025, 1, 3), date(2025, 1, 13),
			date(2025, 2, 11), date(2025, 2, 24), date(2025, 3, 20), date(2025, 4, 29), date(2025, 5, 5), date(2025, 5, 6)}},
		sydneySym: {calendar.ASX, []time.Time{date(2024, 12, 25), date(2024, 12, 26), date(2025, 1, 1), date(2025, 1, 27),
			date(2025, 4, 18), date(2025, 4, 21), date(2025, 4, 25)}},
	}
	out := map[string]map[time.Time]bool{}
	for sym, h := range holidays {
		out[sym] = map[time.Time]bool{}
		for _, d := range h.days {
			if !r.Contains(d) || h.cal.IsTradingDay(d) {
				t.Fatalf("%s: %s is not a holiday of its exchange within %s", sym, d.Format(pricefill.DateLayout), r)
			}
			if b := srv.Bars(sym, pricefill.Range{From: d, To: d}); len(b) != 0 {
				t.Fatalf("%s: the provider serves a bar on %s, a holiday", sym, d.Format(pricefill.DateLayout))
			}
			out[sym][d] = true
		}
	}
	// A provider that serves a bar on a holiday, as Yahoo sometimes does:
	// not a trading day, so neither stored nor a hole.
	london := srv.Bars(holidaySym, r)
	extra := london[indexOf(t, london, date(2024, 12, 24))]
	extra.Date = boxingDay
	srv.SetBars(holidaySym, append(london, extra))
	return out
}

// indexOf returns the index of the bar of date d in bars.
func indexOf(t *testing.T, bars []pricefill.Bar, d time.Time) int {
	t.Helper()
	for i, b := range bars {
		if b.Date.Equal(d) {
			return i
		}
	}
	t.Fatalf("no bar of %s served", d.Format(pricefill.DateLayout))
	return -1
}

// checkHoles checks that db remembers the holes of syms within r that
// want lists, each asked for once, between from and to on the program's
// clock, and no other.
func checkHoles(t *testing.T, db *store.DB, syms []string, r pricefill.Range, want map[string][]heldHole, from, to time.Time) {
	t.Helper()
	hk, ok := any(db).(backfill.HoleKeeper)
	if !ok {
		t.Errorf("store.DB is no backfill.HoleKeeper: the holes the first run met (%v) are not remembered", want)
		return
	}
	for _, s := range syms {
		holes, err := hk.Holes(context.Background(), s, r)
		if err != nil {
			t.Fatalf("the holes of %s: %v", s, err)
		}
		var got []heldHole
		for _, h := range holes {
			got = append(got, heldHole{h.Date, h.Reason})
			if h.Asks != 1 || h.LastAsked.Before(from) || h.LastAsked.After(to) {
				t.Errorf("%s: the hole of %s was asked for %d times, last at %s; want once, between %s and %s on the program's clock",
					s, h.Date.Format(pricefill.DateLayout), h.Asks, h.LastAsked.UTC().Format(time.RFC3339),
					from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339))
			}
		}
		if diff := cmp.Diff(want[s], got); diff != "" {
			t.Errorf("the holes remembered of %s (-want +got):\n%s", s, diff)
		}
	}
}
