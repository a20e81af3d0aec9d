package backfill_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/internal/fake"
	"github.com/pricefill/pricefill/ratelimit"
)

// values gathers g and returns the non-zero values of its pricefill_
// series by name and labels, as name{label="value",…}; a histogram gives
// its _count and _sum.
func values(t *testing.T, g prometheus.Gatherer) map[string]float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if !strings.HasPrefix(mf.GetName(), "pricefill_") {
			continue
		}
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, lp := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", lp.GetName(), lp.GetValue()))
			}
			key := mf.GetName()
			if len(labels) > 0 {
				key += "{" + strings.Join(labels, ",") + "}"
			}
			put := func(k string, v float64) {
				if v != 0 {
					out[k] = v
				}
			}
			switch {
			case m.Counter != nil:
				put(key, m.GetCounter().GetValue())
			case m.Gauge != nil:
				put(key, m.GetGauge().GetValue())
			case m.Histogram != nil:
				put(key+"_count", float64(m.GetHistogram().GetSampleCount()))
				put(key+"_sum", m.GetHistogram().GetSampleSum())
			}
		}
	}
	return out
}

// lint fails t on any problem the client library's lint finds in g.
func lint(t *testing.T, g prometheus.Gatherer) {
	t.Helper()
	problems, err := testutil.GatherAndLint(g)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

// TestMetricsCountTheRuns: after a run with known bars inserted, rejected
// by rule and kept without a field, a task retried and one given up, then
// a forced run that replaces changed bars, the runner's metrics hold
// exactly those counts, agreeing with the reports; no run is going on.
func TestMetricsCountTheRuns(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		reg := prometheus.NewPedanticRegistry()
		bad := fake.Bars("BAD", march)
		bad[2].Volume = -1   // rejected
		bad[5].AdjClose = -1 // kept without its adjusted close
		bad = append(bad, fake.Bar("BAD", pricefill.Date(2026, 3, 7)))
		h.fetcher.Script("BAD", fake.Step{Bars: bad})
		h.fetcher.Script("DEAD", fake.Step{Err: fmt.Errorf("DEAD: %w", pricefill.ErrNotFound)})
		h.fetcher.Script("FLAKY", fake.Step{Err: errors.New("connection reset by peer")}, fake.Step{})
		first := runMarch(t, h, []backfill.Option{backfill.WithLimiter(noLimit), backfill.WithMetrics(reg)}, "AAPL", "BAD", "DEAD", "FLAKY")
		if first.Inserted != 59 || first.Rejected != 2 || first.Dropped != 1 || first.Failed != 1 || first.Retried != 1 {
			t.Fatalf("first run: %d inserted, %d rejected, %d dropped, %d failed, %d retried; want 59, 2, 1, 1, 1",
				first.Inserted, first.Rejected, first.Dropped, first.Failed, first.Retried)
		}

		// The provider restates AAPL: a forced run replaces every bar.
		restated := fake.Bars("AAPL", march)
		for i := range restated {
			restated[i].AdjClose -= 0.5
		}
		h.fetcher.Script("AAPL", fake.Step{Bars: restated})
		second := runMarch(t, h, []backfill.Option{backfill.WithLimiter(noLimit), backfill.WithMetrics(reg), backfill.WithForce(true)}, "AAPL")
		if second.Updated != 20 {
			t.Fatalf("forced run: %d updated, want 20", second.Updated)
		}

		want := map[string]float64{
			`pricefill_bars_total{outcome="inserted"}`:                 59,
			`pricefill_bars_total{outcome="updated"}`:                  20,
			`pricefill_bars_total{outcome="rejected"}`:                 2,
			`pricefill_bars_rejected_total{rule="volume_negative"}`:    1,
			`pricefill_bars_rejected_total{rule="not_trading_day"}`:    1,
			`pricefill_fields_dropped_total{rule="adj_close_invalid"}`: 1,
			`pricefill_tasks_total{status="completed"}`:                4,
			`pricefill_tasks_total{status="failed"}`:                   1,
			`pricefill_tasks_total{status="permanently_failed"}`:       1,
			`pricefill_runs_total{outcome="finished"}`:                 2,
			`pricefill_run_duration_seconds_count`:                     2,
			`pricefill_run_duration_seconds_sum`:                       (first.Duration + second.Duration).Seconds(),
		}
		for rule, n := range first.RejectedByRule {
			if got := want[fmt.Sprintf("pricefill_bars_rejected_total{rule=%q}", rule)]; got != float64(n) {
				t.Errorf("the report rejected %d bars for %s, the test expects %g", n, rule, got)
			}
		}
		if diff := cmp.Diff(want, values(t, reg)); diff != "" {
			t.Errorf("metrics (-want +got):\n%s", diff)
		}
		if first.Duration < 5*time.Second {
			t.Errorf("the first run took %s of the clock, want FLAKY's retry, 5 s, at least", first.Duration)
		}
		lint(t, reg)
	})
}

// TestMetricsFollowARun: while a run goes on, its tasks by state are those
// the workers hold, those done and those left; once it ends, no run is.
func TestMetricsFollowARun(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		reg := prometheus.NewPedanticRegistry()
		releaseA, releaseB := make(chan struct{}), make(chan struct{})
		h.fetcher.Script("A", fake.Step{Block: releaseA})
		h.fetcher.Script("B", fake.Step{Block: releaseB})
		h.fetcher.Script("GONE", fake.Step{Err: pricefill.ErrNotFound})
		r := h.runner(backfill.WithLimiter(noLimit), backfill.WithConcurrency(2), backfill.WithMetrics(reg))
		done := make(chan error)
		go func() {
			_, err := r.Run(context.Background(), backfill.Request{Symbols: []string{"A", "B", "C", "GONE"}, Range: march})
			done <- err
		}()
		state := func(when string, want map[string]float64) {
			t.Helper()
			synctest.Wait()
			got := map[string]float64{}
			for k, v := range values(t, reg) {
				if strings.HasPrefix(k, "pricefill_run_tasks") || strings.HasPrefix(k, "pricefill_runs_in_progress") {
					got[k] = v
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s: runs and tasks (-want +got):\n%s", when, diff)
			}
		}
		state("both workers blocked", map[string]float64{
			`pricefill_run_tasks{state="in_progress"}`: 2, `pricefill_run_tasks{state="queued"}`: 2, `pricefill_runs_in_progress`: 1,
		})
		close(releaseA) // A is done; its worker does C and GONE, then waits
		state("one worker blocked", map[string]float64{
			`pricefill_run_tasks{state="in_progress"}`: 1, `pricefill_run_tasks{state="completed"}`: 2,
			`pricefill_run_tasks{state="failed"}`: 1, `pricefill_runs_in_progress`: 1,
		})
		close(releaseB)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		state("after the run", map[string]float64{})
	})
}

// collectingFetcher is a fetcher that is a Prometheus collector: the
// counter of its fetches.
type collectingFetcher struct {
	*fake.Fetcher
	prometheus.Counter
}

func (f *collectingFetcher) Fetch(ctx context.Context, symbol string, r pricefill.Range) (*pricefill.Series, error) {
	f.Inc()
	return f.Fetcher.Fetch(ctx, symbol, r)
}

// TestMetricsTwoRunnersOneRegistry: two runners of one limiter and one
// fetcher register on one registry, run at once, and count into the same
// series: the limiter's grants are both runs' requests, the fetcher's own
// metric is registered, the bars and tasks are both runs'.
func TestMetricsTwoRunnersOneRegistry(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		reg := prometheus.NewPedanticRegistry()
		l, err := ratelimit.New(ratelimit.WithName("fake"), ratelimit.WithClock(h.clock), ratelimit.WithInterval(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		f := &collectingFetcher{Fetcher: h.fetcher, Counter: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "fake_fetches_total", Help: "Fetches of the fake fetcher."})}
		var runners []*backfill.Runner
		for range 2 {
			r, err := backfill.New(f, h.store, backfill.WithClock(h.clock), backfill.WithQueue(h.queue), backfill.WithLimiter(l),
				backfill.WithLogger(slog.New(slog.DiscardHandler)), backfill.WithMetrics(reg))
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			runners = append(runners, r)
		}
		var wg sync.WaitGroup
		reps := make([]*backfill.Report, 2)
		for i, syms := range [][]string{{"A1", "A2", "A3"}, {"B1", "B2"}} {
			wg.Go(func() {
				rep, err := runners[i].Run(context.Background(), backfill.Request{Symbols: syms, Range: march})
				if err != nil {
					t.Errorf("run %d: %v", i, err)
				}
				reps[i] = rep
			})
		}
		wg.Wait()
		got := values(t, reg)
		for k := range got {
			if strings.HasPrefix(k, "pricefill_limiter_wait") || strings.HasPrefix(k, "pricefill_run_duration") {
				delete(got, k) // their values depend on who came first
			}
		}
		want := map[string]float64{
			`pricefill_bars_total{outcome="inserted"}`:                              100,
			`pricefill_tasks_total{status="completed"}`:                             5,
			`pricefill_runs_total{outcome="finished"}`:                              2,
			`pricefill_limiter_grants_total{provider="fake"}`:                       5,
			`pricefill_provider_requests_total{outcome="answered",provider="fake"}`: 5,
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("metrics (-want +got):\n%s", diff)
		}
		if n := testutil.ToFloat64(f.Counter); n != 5 || reps[0].Requests+reps[1].Requests != 5 {
			t.Errorf("the fetcher counted %g fetches, the reports %d and %d; want 5 in all", n, reps[0].Requests, reps[1].Requests)
		}
		if n, err := testutil.GatherAndCount(reg, "fake_fetches_total"); err != nil || n != 1 {
			t.Errorf("the fetcher's metric: %d series (%v), want it registered", n, err)
		}
		lint(t, reg)
	})
}

// TestMetricsNowhereWithout: a runner without WithMetrics registers
// nothing, on the global registry neither, nor does one with it.
func TestMetricsNowhereWithout(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		runMarch(t, h, nil, "AAPL") // the default limiter, a collector
		runMarch(t, h, []backfill.Option{backfill.WithMetrics(prometheus.NewRegistry())}, "MSFT")
		if got := values(t, prometheus.DefaultGatherer); len(got) != 0 {
			t.Errorf("the global registry has pricefill's metrics: %v", got)
		}
		mfs, err := prometheus.DefaultGatherer.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if strings.HasPrefix(mf.GetName(), "pricefill_") {
				t.Errorf("the global registry has %s", mf.GetName())
			}
		}
	})
}

// TestMetricsRegistrationFails: New returns the error of a registration
// that fails, having unregistered what it registered.
func TestMetricsRegistrationFails(t *testing.T) {
	t.Parallel()
	f, s := fake.NewFetcher(nil), fake.NewStore()
	reg := prometheus.NewRegistry()
	other, err := ratelimit.New(ratelimit.WithName("yahoo"))
	if err != nil {
		t.Fatal(err)
	}
	reg.MustRegister(other)
	mine, err := ratelimit.New(ratelimit.WithName("yahoo"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = backfill.New(f, s, backfill.WithLimiter(mine), backfill.WithMetrics(reg))
	if err == nil || !strings.Contains(err.Error(), "WithMetrics: the limiter's metrics") {
		t.Fatalf("New error %v, want the limiter's registration refused", err)
	}
	if n, err := testutil.GatherAndCount(reg, "pricefill_bars_total"); err != nil || n != 0 {
		t.Errorf("after the failure the registry has %d series of the runner's (%v), want none", n, err)
	}

	clash := prometheus.NewRegistry()
	clash.MustRegister(prometheus.NewGauge(prometheus.GaugeOpts{Name: "pricefill_runs_in_progress", Help: "Not ours."}))
	if _, err := backfill.New(f, s, backfill.WithMetrics(clash)); err == nil || !strings.Contains(err.Error(), "the runner's metrics") {
		t.Errorf("New error %v, want the runner's metrics refused", err)
	}
}
