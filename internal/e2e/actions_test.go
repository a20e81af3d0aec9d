package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/internal/upstream"
)

// The clocks of TestDailyRunKeepsAdjustedClosesTrue: the first run on a
// Thursday after the New York close, the daily run two months on, a
// Tuesday after the close; both fill from actionsFrom on.
var (
	actionsPastAt = time.Date(2026, 10, 1, 23, 0, 0, 0, time.UTC)
	actionsNowAt  = time.Date(2026, 12, 1, 23, 0, 0, 0, time.UTC)
	actionsFrom   = pricefill.Date(2026, 9, 1)
)

const (
	divSym      = "ACTDIV"   // a dividend after the first run
	splitSym    = "ACTSPLIT" // a 4:1 split after the first run
	actPlainSym = "ACTPLAIN" // nothing happens
)

var (
	actionsDividend = pricefill.Dividend{Date: pricefill.Date(2026, 11, 10), Amount: 0.5}
	actionsSplit    = pricefill.Split{Date: pricefill.Date(2026, 11, 16), Numerator: 4, Denominator: 1}
)

// dividendAdjusted returns bars as a provider restates them after dv:
// every adjusted close before its ex-date scaled by 1 - amount / the
// close of the day before.
func dividendAdjusted(bars []pricefill.Bar, dv pricefill.Dividend) []pricefill.Bar {
	out := make([]pricefill.Bar, len(bars))
	copy(out, bars)
	var before float64
	for _, b := range bars {
		if b.Date.Before(dv.Date) {
			before = b.Close
		}
	}
	for i := range out {
		if out[i].Date.Before(dv.Date) {
			out[i].AdjClose *= 1 - dv.Amount/before
		}
	}
	return out
}

// splitAdjusted returns bars as Yahoo serves them after sp: every price
// before its date divided by the ratio, the volume multiplied by it.
func splitAdjusted(bars []pricefill.Bar, sp pricefill.Split) []pricefill.Bar {
	out := make([]pricefill.Bar, len(bars))
	copy(out, bars)
	f := sp.Numerator / sp.Denominator
	for i := range out {
		if b := &out[i]; b.Date.Before(sp.Date) {
			b.Open, b.High, b.Low, b.Close, b.AdjClose = b.Open/f, b.High/f, b.Low/f, b.Close/f, b.AdjClose/f
			b.Volume = int64(float64(b.Volume) * f)
		}
	}
	return out
}

// TestDailyRunKeepsAdjustedClosesTrue: a first run stores the history as
// of 2026-10-01. Two months on the provider's history has a dividend of
// one symbol (every earlier adjusted close restated) and a 4:1 split of
// another (every earlier price split-adjusted). The same command, run
// daily and without --force, then stores exactly the provider's current
// history of every symbol, adjusted closes included, and the dividend
// and the split; it costs one request for the unchanged symbol and two
// for each restated one, and the report counts two restated.
func TestDailyRunKeepsAdjustedClosesTrue(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dsn string) {
		srv := upstream.ForTest(t)
		syms := []string{divSym, splitSym, actPlainSym}
		all := pricefill.Range{From: actionsFrom, To: actionsNowAt.Truncate(24 * time.Hour)}
		current := map[string][]pricefill.Bar{}
		for _, s := range syms {
			current[s] = srv.Bars(s, all) // the generated history, as of today
		}
		current[divSym] = dividendAdjusted(current[divSym], actionsDividend)
		current[splitSym] = splitAdjusted(current[splitSym], actionsSplit)
		// As of the first run: the days up to then, adjusted for nothing later.
		past := pricefill.Range{From: actionsFrom, To: pricefill.DateOf(actionsPastAt)}
		for _, s := range syms {
			srv.SetBars(s, srv.Bars(s, past))
		}
		args := []string{"--db", dsn, "--base-url", srv.URL(), "--symbols", strings.Join(syms, ","),
			"--from", actionsFrom.Format(pricefill.DateLayout), "--rate", rateNoLimt, "--log-level", "warn"}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if code, out := runAt(t, ctx, actionsPastAt, args...); code != 0 {
			t.Fatalf("first run: exit %d, want 0:\n%s", code, out)
		}
		db := openStore(t, dsn)
		for _, s := range syms {
			if diff := cmp.Diff(srv.ValidBars(s, past, actionsPastAt), storedBars(t, db, s)); diff != "" {
				t.Fatalf("first run: stored bars of %s (-served +stored):\n%s", s, diff)
			}
		}

		// The provider's history now.
		for _, s := range syms {
			srv.SetBars(s, current[s])
		}
		srv.SetEvents(divSym, []pricefill.Dividend{actionsDividend}, nil)
		srv.SetEvents(splitSym, nil, []pricefill.Split{actionsSplit})
		srv.Reset()
		code, out := runAt(t, ctx, actionsNowAt, args...)
		if code != 0 {
			t.Fatalf("daily run: exit %d, want 0:\n%s", code, out)
		}
		if diff := cmp.Diff(map[string]int{divSym: 2, splitSym: 2, actPlainSym: 1}, fetches(srv, syms)); diff != "" {
			t.Errorf("daily run: requests by symbol (-want +got):\n%s", diff)
		}
		if !strings.Contains(out, "restated      2 symbols") {
			t.Errorf("daily run: the report does not count 2 restated:\n%s", out)
		}
		for _, s := range syms {
			want := srv.ValidBars(s, all, actionsNowAt)
			if len(want) < 60 {
				t.Fatalf("%d valid bars of %s served, want 60 at least", len(want), s)
			}
			if diff := cmp.Diff(want, storedBars(t, db, s)); diff != "" {
				t.Errorf("daily run: stored bars of %s differ from the provider's current history (-current +stored):\n%s", s, diff)
			}
		}
		wantDivs := map[string][]pricefill.Dividend{divSym: {actionsDividend}}
		wantSplits := map[string][]pricefill.Split{splitSym: {actionsSplit}}
		for _, s := range syms {
			divs, err := db.Dividends(ctx, s, all)
			if err != nil {
				t.Fatal(err)
			}
			splits, err := db.Splits(ctx, s, all)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(wantDivs[s], divs, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("stored dividends of %s (-want +stored):\n%s", s, diff)
			}
			if diff := cmp.Diff(wantSplits[s], splits, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("stored splits of %s (-want +stored):\n%s", s, diff)
			}
		}
	})
}
