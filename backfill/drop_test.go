package backfill_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/internal/fake"
	"github.com/pricefill/pricefill/queue"
	"github.com/pricefill/pricefill/validate"
)

// TestRunDropsAnInvalidAdjClose: bars whose only fault is their adjusted
// close are stored without it, counted as drops by rule, not rejected; a
// bar broken elsewhere as well is rejected as before.
func TestRunDropsAnInvalidAdjClose(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		bars := fake.Bars("AAPL", march)
		bars[3].AdjClose = -1
		bars[7].AdjClose = math.NaN()
		bars[9].AdjClose, bars[9].Volume = math.Inf(1), -1 // rejected for its volume
		h.fetcher.Script("AAPL", fake.Step{Bars: bars})
		rep, err := h.runner(backfill.WithLimiter(noLimit)).Run(context.Background(), backfill.Request{Symbols: []string{"AAPL", "MSFT"}, Range: march})
		if err != nil {
			t.Fatal(err)
		}
		want := fake.Bars("AAPL", march)
		want[3].AdjClose, want[7].AdjClose = 0, 0
		want = append(want[:9], want[10:]...)
		if diff := cmp.Diff(want, h.store.Bars("AAPL")); diff != "" {
			t.Errorf("stored bars (-want +got):\n%s", diff)
		}
		if rep.Succeeded != 2 || rep.Requests != 2 || rep.Inserted != 39 || rep.Rejected != 1 || rep.Dropped != 2 {
			t.Errorf("report: %d succeeded, %d requests, %d inserted, %d rejected, %d dropped; want 2, 2, 39, 1, 2",
				rep.Succeeded, rep.Requests, rep.Inserted, rep.Rejected, rep.Dropped)
		}
		if diff := cmp.Diff(map[pricefill.Rule]int{validate.RuleAdjCloseInvalid: 2}, rep.DroppedByRule); diff != "" {
			t.Errorf("dropped by rule (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(map[pricefill.Rule]int{validate.RuleVolumeNegative: 1}, rep.RejectedByRule); diff != "" {
			t.Errorf("rejected by rule (-want +got):\n%s", diff)
		}
		for _, s := range rep.Symbols {
			if wantDropped := map[string]int{"AAPL": 2}[s.Symbol]; s.Dropped != wantDropped {
				t.Errorf("%s: %d dropped, want %d", s.Symbol, s.Dropped, wantDropped)
			}
		}
		var text strings.Builder
		if err := rep.WriteText(&text); err != nil {
			t.Fatal(err)
		}
		if line := "dropped       adj_close_invalid 2 (bars kept, the field stored as unknown)\n"; !strings.Contains(text.String(), line) {
			t.Errorf("the report does not say %q:\n%s", line, text.String())
		}
	})
}

// TestRunWithoutFieldDropper: a validator that drops no fields rejects a
// bar with a bad adjusted close, as package validate's Validate alone does.
func TestRunWithoutFieldDropper(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		bars := fake.Bars("AAPL", march)
		bars[3].AdjClose = -1
		h.fetcher.Script("AAPL", fake.Step{Bars: bars})
		var v validate.Validator
		rep, err := h.runner(backfill.WithLimiter(noLimit), backfill.WithValidator(backfill.ValidatorFunc(v.Validate))).
			Run(context.Background(), backfill.Request{Symbols: []string{"AAPL"}, Range: march})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Inserted != 19 || rep.Rejected != 1 || rep.Dropped != 0 || rep.DroppedByRule != nil ||
			rep.RejectedByRule[validate.RuleAdjCloseInvalid] != 1 {
			t.Errorf("report: %d inserted, %d rejected %v, %d dropped %v; want 19, 1 adj_close_invalid, none dropped",
				rep.Inserted, rep.Rejected, rep.RejectedByRule, rep.Dropped, rep.DroppedByRule)
		}
	})
}

// TestReportsShareNoDrops: a report handed out by Run is not changed by a
// later run of the same runner.
func TestReportsShareNoDrops(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		r := h.runner(backfill.WithLimiter(noLimit))
		bars := fake.Bars("AAPL", march)
		bars[0].AdjClose = -1
		h.fetcher.Script("AAPL", fake.Step{Bars: bars})
		h.fetcher.Script("MSFT", fake.Step{Bars: bars})
		first, err := r.Run(context.Background(), backfill.Request{Symbols: []string{"AAPL"}, Range: march})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Run(context.Background(), backfill.Request{Symbols: []string{"MSFT"}, Range: march}); err != nil {
			t.Fatal(err)
		}
		if first.Dropped != 1 || first.DroppedByRule[validate.RuleAdjCloseInvalid] != 1 {
			t.Errorf("the first report now says %d dropped, %v; want 1", first.Dropped, first.DroppedByRule)
		}
	})
}

// TestPermanentSaveFailure: a store that refuses the data for good (an
// error of kind permanent) ends the task at once, after one request, with
// the store's cause as its last error; other symbols are stored.
func TestPermanentSaveFailure(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		cause := pricefill.Permanent(errors.New(`store: save AAPL: the database refused the bars: check constraint "prices_close_check" (table prices, SQLSTATE 23514)`))
		h.store.FailSaves("AAPL", cause, cause, cause)
		start := h.clock.Now()
		rep, err := h.runner(backfill.WithLimiter(noLimit)).Run(context.Background(), backfill.Request{Symbols: []string{"AAPL", "MSFT"}, Range: march})
		if err != nil {
			t.Fatal(err)
		}
		got := h.tasks()["AAPL"]
		if got.Status != queue.PermanentlyFailed || !strings.Contains(got.LastError, `check constraint "prices_close_check"`) {
			t.Errorf("AAPL: %s, %q; want permanently failed naming the constraint", got.Status, got.LastError)
		}
		if n := len(h.fetcher.CallsFor("AAPL")); n != 1 || rep.Retried != 0 {
			t.Errorf("AAPL: %d requests, %d retried; want 1, none", n, rep.Retried)
		}
		if took := h.clock.Now().Sub(start); took > time.Second {
			t.Errorf("the run took %s, want no backoff", took)
		}
		if len(rep.Failures) != 1 || rep.Failures[0].Kind != pricefill.KindPermanent || rep.Inserted != 20 {
			t.Errorf("report: failures %+v, %d inserted; want AAPL permanent, MSFT's 20", rep.Failures, rep.Inserted)
		}
	})
}
