package backfill

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pricefill/pricefill/queue"
	"github.com/pricefill/pricefill/validate"
)

// WithMetrics has [New] register the runner's Prometheus metrics on reg,
// and its limiter and fetcher where they are a [prometheus.Collector]
// (package ratelimit's Limiter is one), and returns the registration's
// error if any. The default, nil, means no metrics: nothing is registered
// anywhere, the global registry included.
//
// Runners of one process may share a registry: the first registers the
// runner's metrics, the others count into them, so that the counts are
// the process's; a limiter or fetcher already registered there is left
// as it is. Runners of limiters of their own need limiters of different
// names ([ratelimit.WithName]): two limiters of one name cannot both
// register on one registry, the default limiters included. The runner's
// metrics are
//
//	pricefill_bars_total{outcome}          counter    bars of completed tasks: inserted, updated (replaced,
//	                                                  with force), skipped (stored already), rejected (invalid)
//	pricefill_bars_rejected_total{rule}    counter    rules broken by the bars rejected (a bar may break several)
//	pricefill_fields_dropped_total{rule}   counter    fields dropped from bars kept without them (see FieldDropper)
//	pricefill_tasks_total{status}          counter    ends of a task's claim, by the status it left the task in:
//	                                                  completed, permanently_failed, failed (to retry after a
//	                                                  transient failure), rate_limited (to retry), pending (given
//	                                                  back: the run ending, the provider down), taken_over (by
//	                                                  another process)
//	pricefill_run_tasks{state}             gauge      the tasks of the runs going on: queued (neither done nor held
//	                                                  by this process: waiting, to retry, or another process's),
//	                                                  in_progress (held by this process's workers), completed
//	                                                  (earlier runs' included), failed (given up)
//	pricefill_runs_in_progress             gauge      the runs going on
//	pricefill_runs_total{outcome}          counter    runs ended: finished, interrupted (the context ended), stopped
//	                                                  (the run could not go on: the provider down too long, a
//	                                                  queue that kept failing)
//	pricefill_run_duration_seconds         histogram  the runs' durations, on the runner's clock
//
// The labels take few values: rule those of the validator's rules.
// Like a ratelimit.Limiter's, the counts are the process's: a fleet on one
// database sums them in PromQL.
func WithMetrics(reg prometheus.Registerer) Option { return func(c *config) { c.metrics = reg } }

// The values of the labels of the runner's metrics, each exported from
// the start so that its first increase shows in rate().
var (
	barOutcomes  = []string{"inserted", "updated", "skipped", "rejected"}
	taskStatuses = []string{string(queue.Completed), string(queue.PermanentlyFailed), string(queue.Failed),
		string(queue.RateLimited), string(queue.Pending), statusTakenOver}
	runOutcomes = []string{runFinished, runInterrupted, runStopped}
)

const (
	statusTakenOver = "taken_over"
	runFinished     = "finished"
	runInterrupted  = "interrupted"
	runStopped      = "stopped"
)

// runDurationBuckets are the buckets of pricefill_run_duration_seconds:
// from a second to three days, each four times the last.
var runDurationBuckets = prometheus.ExponentialBuckets(1, 4, 10)

// runMetrics are the runner's metrics, one collector for a registry that
// the runners registered on it share. The tallies count into them; the
// gauges of the runs going on are read off their tallies at each scrape.
type runMetrics struct {
	bars, rejected, dropped, tasks, runs *prometheus.CounterVec
	duration                             prometheus.Histogram
	runTasksDesc, runsLiveDesc           *prometheus.Desc

	mu   sync.Mutex
	live map[*tally]struct{} // the runs going on
}

var _ prometheus.Collector = (*runMetrics)(nil)

func newRunMetrics() *runMetrics {
	m := &runMetrics{
		bars: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pricefill_bars_total",
			Help: "Bars of completed tasks by outcome: inserted, updated, skipped (stored already), rejected (invalid)."}, []string{"outcome"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pricefill_bars_rejected_total",
			Help: "Rules broken by the bars rejected, by rule; a bar may break several."}, []string{"rule"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pricefill_fields_dropped_total",
			Help: "Fields dropped from bars stored without them, by the rule they broke."}, []string{"rule"}),
		tasks: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pricefill_tasks_total",
			Help: "Ends of a task's claim, by the status it left the task in."}, []string{"status"}),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pricefill_runs_total",
			Help: "Runs ended, by outcome: finished, interrupted, stopped."}, []string{"outcome"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "pricefill_run_duration_seconds",
			Help: "Durations of the runs.", Buckets: runDurationBuckets}),
		runTasksDesc: prometheus.NewDesc("pricefill_run_tasks",
			"Tasks of the runs going on, by state: queued, in_progress, completed, failed.", []string{"state"}, nil),
		runsLiveDesc: prometheus.NewDesc("pricefill_runs_in_progress", "Runs going on.", nil, nil),
		live:         make(map[*tally]struct{}),
	}
	for _, o := range barOutcomes {
		m.bars.WithLabelValues(o)
	}
	for _, r := range validate.Rules() {
		m.rejected.WithLabelValues(string(r))
	}
	m.dropped.WithLabelValues(string(validate.RuleAdjCloseInvalid)) // the field validate drops
	for _, s := range taskStatuses {
		m.tasks.WithLabelValues(s)
	}
	for _, o := range runOutcomes {
		m.runs.WithLabelValues(o)
	}
	return m
}

func (m *runMetrics) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range m.collectors() {
		c.Describe(ch)
	}
	ch <- m.runTasksDesc
	ch <- m.runsLiveDesc
}

func (m *runMetrics) Collect(ch chan<- prometheus.Metric) {
	for _, c := range m.collectors() {
		c.Collect(ch)
	}
	var total, inProgress, completed, failed int
	m.mu.Lock()
	runs := len(m.live)
	for tl := range m.live {
		tl.mu.Lock()
		total += tl.rep.Total
		inProgress += tl.inFlight
		completed += tl.rep.Succeeded + tl.rep.AlreadyDone
		failed += tl.rep.Failed
		tl.mu.Unlock()
	}
	m.mu.Unlock()
	for _, s := range []struct {
		state string
		n     int
	}{{"queued", max(0, total-inProgress-completed-failed)}, {"in_progress", inProgress}, {"completed", completed}, {"failed", failed}} {
		ch <- prometheus.MustNewConstMetric(m.runTasksDesc, prometheus.GaugeValue, float64(s.n), s.state)
	}
	ch <- prometheus.MustNewConstMetric(m.runsLiveDesc, prometheus.GaugeValue, float64(runs))
}

func (m *runMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.bars, m.rejected, m.dropped, m.tasks, m.runs, m.duration}
}

// ended counts the end of a task's claim that left it in status, as res
// says. It is nil-safe, as are the other methods the runner calls: a
// runner without metrics has none.
func (m *runMetrics) ended(status queue.Status, res result) {
	if m == nil {
		return
	}
	m.tasks.WithLabelValues(string(status)).Inc()
	if status != queue.Completed {
		return
	}
	for i, n := range []int64{res.saved.Inserted, res.saved.Updated, res.saved.Skipped, int64(res.check.Rejected)} {
		m.bars.WithLabelValues(barOutcomes[i]).Add(float64(n))
	}
	for rule, n := range res.check.RejectedByRule {
		m.rejected.WithLabelValues(string(rule)).Add(float64(n))
	}
	for rule, n := range res.check.DroppedByRule {
		m.dropped.WithLabelValues(string(rule)).Add(float64(n))
	}
}

// takenOver counts a task that another process took over.
func (m *runMetrics) takenOver() {
	if m != nil {
		m.tasks.WithLabelValues(statusTakenOver).Inc()
	}
}

// started adds the run of tl to the runs going on.
func (m *runMetrics) started(tl *tally) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.live[tl] = struct{}{}
}

// finished takes the run of tl off the runs going on, and counts its end:
// Run's rep and err under ctx.
func (m *runMetrics) finished(ctx context.Context, tl *tally, rep *Report, err error) {
	if m == nil {
		return
	}
	m.mu.Lock()
	delete(m.live, tl)
	m.mu.Unlock()
	outcome := runFinished
	switch {
	case err == nil:
	case ctx.Err() != nil:
		outcome = runInterrupted
	default:
		outcome = runStopped
	}
	m.runs.WithLabelValues(outcome).Inc()
	if rep != nil {
		m.duration.Observe(rep.Duration.Seconds())
	}
}

// registerMetrics registers the runner's metrics on reg, or finds those
// of another runner there, and the limiter and the fetcher where they are
// collectors. On an error it unregisters what it registered.
func registerMetrics(reg prometheus.Registerer, limiter Limiter, f Fetcher) (*runMetrics, error) {
	m := newRunMetrics()
	var done []prometheus.Collector
	err := reg.Register(m)
	var are prometheus.AlreadyRegisteredError
	switch {
	case err == nil:
		done = append(done, m)
	case errors.As(err, &are):
		old, ok := are.ExistingCollector.(*runMetrics)
		if !ok {
			return nil, fmt.Errorf("backfill: WithMetrics: the runner's metrics: %w", err)
		}
		m = old
	default:
		return nil, fmt.Errorf("backfill: WithMetrics: the runner's metrics: %w", err)
	}
	for _, c := range []struct {
		what string
		v    any
	}{{"the limiter", limiter}, {"the fetcher", f}} {
		col, ok := c.v.(prometheus.Collector)
		if !ok {
			continue
		}
		err := reg.Register(col)
		switch {
		case err == nil:
			done = append(done, col)
		case errors.As(err, &are) && same(are.ExistingCollector, col):
			// Registered already, by another runner of the limiter.
		default:
			for _, d := range done {
				reg.Unregister(d)
			}
			return nil, fmt.Errorf("backfill: WithMetrics: %s's metrics: %w", c.what, err)
		}
	}
	return m, nil
}

// same reports whether a and b are the same collector: the same pointer.
// Collectors of other kinds are never the same, so comparing them cannot
// panic.
func same(a, b prometheus.Collector) bool {
	ta := reflect.TypeOf(a)
	return ta != nil && ta == reflect.TypeOf(b) && ta.Kind() == reflect.Pointer && a == b
}
