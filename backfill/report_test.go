package backfill_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/internal/fake"
	"github.com/pricefill/pricefill/queue"
)

func sampleReport() *backfill.Report {
	return &backfill.Report{
		Range: march, Started: now, Duration: 90 * time.Second, LimiterWait: 80 * time.Second,
		Total: 5, Succeeded: 3, Covered: 1, Failed: 2, Requests: 9, RateLimited: 1, Retried: 4,
		Counts: pricefill.Counts{Inserted: 40, Skipped: 20}, Rejected: 1, RejectedByRule: map[pricefill.Rule]int{"high_below_low": 1},
		Holes: 7, NotFetched: 3, NullDays: 2, ServedBy: map[string]int{"yahoo": 1, "stooq": 2},
		Failures: []backfill.Failure{
			{Symbol: "DEAD", Kind: pricefill.KindTransient, Attempts: 5, Err: "HTTP 503"},
			{Symbol: "GONE", Kind: pricefill.KindNotFound, Err: "symbol GONE not found"},
		},
		Symbols: []backfill.SymbolReport{
			{Symbol: "A", Status: queue.Completed, Completeness: 100},
			{Symbol: "B", Status: queue.Completed, Completeness: 60},
			{Symbol: "C", Status: queue.Completed, Completeness: 90},
			{Symbol: "DEAD", Status: queue.PermanentlyFailed},
			{Symbol: "GONE", Status: queue.PermanentlyFailed},
		},
	}
}

func TestReportCompleteness(t *testing.T) {
	t.Parallel()
	rep := sampleReport()
	lo, md, ok := rep.Completeness()
	if !ok || lo != 60 || md != 90 {
		t.Errorf("Completeness = %v, %v, %v; want 60, 90, true (failed symbols do not count)", lo, md, ok)
	}
	var under []string
	for _, s := range rep.Incomplete() {
		under = append(under, s.Symbol)
	}
	if diff := cmp.Diff([]string{"B", "C"}, under); diff != "" {
		t.Errorf("Incomplete (-want +got):\n%s", diff)
	}
}

func TestReportText(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	if err := sampleReport().WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := `range         2026-03-02..2026-03-27
symbols       5: 3 succeeded (1 already stored), 2 failed, 0 done before, 0 unfinished
bars          40 inserted, 0 updated, 20 skipped (stored already), 1 rejected
rejected by   high_below_low 1
requests      9 (1 rate limited, 4 retried); workers waited 1m20s on the limiter
served by     stooq 2, yahoo 1
completeness  min 60.0%, median 90.0%; 2 under 95%: B 60.0%, C 90.0%
not stored    10 trading days: 7 known holes (asked for, not served), 3 not fetched yet; 2 days listed by the provider without prices
duration      1m30s
failures
  transient (1): DEAD
    DEAD after 5 attempts: HTTP 503
  not_found (1): GONE
    GONE after 0 attempts: symbol GONE not found
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("WriteText (-want +got):\n%s", diff)
	}
}

func TestReportJSON(t *testing.T) {
	t.Parallel()
	raw, err := json.Marshal(sampleReport())
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]any{
		"from": "2026-03-02", "to": "2026-03-27", "duration_s": 90.0, "limiter_wait_s": 80.0,
		"succeeded": 3.0, "completeness_min_pct": 60.0, "completeness_median_pct": 90.0,
		"holes": 7.0, "not_fetched": 3.0, "null_days": 2.0, "served_by": map[string]any{"yahoo": 1.0, "stooq": 2.0},
	} {
		if !cmp.Equal(got[key], want) {
			t.Errorf("%s = %v, want %v", key, got[key], want)
		}
	}
	f := got["failures"].([]any)[1].(map[string]any)
	if f["kind"] != "not_found" || f["symbol"] != "GONE" {
		t.Errorf("second failure = %v, want GONE, not_found", f)
	}
}

// TestWeekdayRuleIsReported: a symbol whose exchange has no calendar is
// judged by the weekday rule, and the report says which.
func TestWeekdayRuleIsReported(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		rep := runMarch(t, h, []backfill.Option{backfill.WithLimiter(noLimit)}, "AAPL", "ENI.MI", "ZZZ.BA")
		if diff := cmp.Diff([]string{"ENI.MI", "ZZZ.BA"}, rep.WeekdayRule); diff != "" {
			t.Errorf("symbols on the weekday rule (-want +got):\n%s", diff)
		}
		var b strings.Builder
		if err := rep.WriteText(&b); err != nil {
			t.Fatal(err)
		}
		if want := "calendars     2 on the weekday rule, their exchange having no calendar (holidays count as missing): ENI.MI ZZZ.BA\n"; !strings.Contains(b.String(), want) {
			t.Errorf("report text lacks %q:\n%s", want, b.String())
		}
	})
}

// TestSourceIsReported: the report says which source served each symbol
// completed, from the Source of its bars, and counts them by source; a
// symbol whose spans two sources served names both, in the order they
// came, and a symbol completed without a request names none.
func TestSourceIsReported(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		// B is stored but for its first and its last week, more than a
		// month apart: two requests, the first served by "fake", the
		// second by "other".
		rng := pricefill.Range{From: pricefill.Date(2026, 1, 5), To: march.To}
		h.store.Put(fake.Bars("B", pricefill.Range{From: pricefill.Date(2026, 1, 12), To: pricefill.Date(2026, 3, 20)})...)
		h.store.Put(fake.Bars("C", rng)...)
		other := func(symbol string, r pricefill.Range) []pricefill.Bar {
			bars := fake.Bars(symbol, r)
			for i := range bars {
				bars[i].Source = "other"
			}
			return bars
		}
		h.fetcher.Script("B", fake.Step{}, fake.Step{Bars: other("B", pricefill.Range{From: pricefill.Date(2026, 3, 23), To: march.To})})
		h.fetcher.Script("D", fake.Step{Bars: other("D", rng)})
		rep, err := h.runner(backfill.WithLimiter(noLimit)).Run(context.Background(), backfill.Request{Symbols: []string{"A", "B", "C", "D"}, Range: rng})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(h.fetcher.CallsFor("B")); n != 2 {
			t.Fatalf("B fetched in %d requests, want 2", n)
		}
		got := map[string]string{}
		for _, s := range rep.Symbols {
			got[s.Symbol] = s.Source
		}
		if diff := cmp.Diff(map[string]string{"A": "fake", "B": "fake+other", "C": "", "D": "other"}, got); diff != "" {
			t.Errorf("sources by symbol (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(map[string]int{"fake": 1, "fake+other": 1, "other": 1}, rep.ServedBy); diff != "" {
			t.Errorf("ServedBy (-want +got):\n%s", diff)
		}
		var b strings.Builder
		if err := rep.WriteText(&b); err != nil {
			t.Fatal(err)
		}
		if want := "served by     fake 1, fake+other 1, other 1\n"; !strings.Contains(b.String(), want) {
			t.Errorf("report text lacks %q:\n%s", want, b.String())
		}
	})
}
