package ratelimit

import (
	"errors"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pricefill/pricefill"
)

var _ prometheus.Collector = (*Limiter)(nil)

// A hold is what held a stretch of a Wait back, as a metric counts it.
type hold int

const (
	holdQueued hold = iota
	holdInterval
	holdCoolDown
	holdHourly
	holdDaily
	holdQuota
	holdOutage
	holds // the number of holds
)

// holdNames are the holds' values of the label reason.
var holdNames = [holds]string{"queued", "interval", "cool_down", "hourly_limit", "daily_limit", "quota", "outage"}

// holdOf returns the hold of a decision's reason.
func holdOf(r Reason) hold {
	switch r {
	case ReasonCoolDown:
		return holdCoolDown
	case ReasonHourly:
		return holdHourly
	case ReasonDaily:
		return holdDaily
	case ReasonQuota:
		return holdQuota
	case ReasonOutage:
		return holdOutage
	}
	return holdInterval
}

// An outcome is how a request went, as its caller reported it.
type outcome int

const (
	outcomeAnswered outcome = iota
	outcomeRefused
	outcomeQuota
	outcomeFailed
	outcomeUnreachable
	outcomes // the number of outcomes
)

// outcomeNames are the outcomes' values of the label outcome.
var outcomeNames = [outcomes]string{"answered", "refused", "quota", "failed", "unreachable"}

// The states of the outage breaker, as pricefill_limiter_breaker_state
// tells them: gobreaker's values.
const (
	breakerClosed int32 = iota
	breakerHalfOpen
	breakerOpen
)

// metrics is what a limiter counts for its collector. Every field is
// atomic: the hot path takes no lock of its own for them.
type metrics struct {
	requests [outcomes]atomic.Uint64
	grants   atomic.Uint64
	waited   [holds]atomic.Int64 // nanoseconds
	waits    [holds]atomic.Uint64
	breaker  atomic.Int32

	requestsDesc, grantsDesc, waitedDesc, waitsDesc, breakerDesc *prometheus.Desc
}

// newMetrics returns the metrics of the limiter of budget name.
func newMetrics(name string) *metrics {
	provider := prometheus.Labels{"provider": name}
	return &metrics{
		requestsDesc: prometheus.NewDesc("pricefill_provider_requests_total",
			"Requests to the provider whose outcome was reported to the limiter, by outcome: answered, refused (for rate), quota (used up), failed (transient), unreachable.",
			[]string{"outcome"}, provider),
		grantsDesc: prometheus.NewDesc("pricefill_limiter_grants_total",
			"Requests the limiter granted.", nil, provider),
		waitedDesc: prometheus.NewDesc("pricefill_limiter_wait_seconds_total",
			"Time spent waiting on the limiter, summed over waiters, by what held the wait back.",
			[]string{"reason"}, provider),
		waitsDesc: prometheus.NewDesc("pricefill_limiter_waits_total",
			"Waits on the limiter that a reason held back; a wait held by several reasons counts under each.",
			[]string{"reason"}, provider),
		breakerDesc: prometheus.NewDesc("pricefill_limiter_breaker_state",
			"The outage breaker as the limiter last saw it: 0 closed, 1 half-open (a probe is out), 2 open.",
			nil, provider),
	}
}

// Describe sends the descriptions of the limiter's metrics, as a
// [prometheus.Collector]: a Limiter is one, of what it saw in this
// process. Register it on a registry of yours (package backfill's WithMetrics
// registers the runner's limiter). Every series has the label provider,
// the limiter's name ([WithName]), so that the limiters of several
// providers sit side by side on one registry; two limiters of one name
// cannot. The metrics are
//
//	pricefill_provider_requests_total{outcome}   counter  requests reported by Answered, Refused or Failed, by outcome:
//	                                                      answered, refused (for rate), quota (a quota used up),
//	                                                      failed (transient), unreachable (the provider was not reached)
//	pricefill_limiter_grants_total               counter  requests granted (Wait or Allow let them go)
//	pricefill_limiter_wait_seconds_total{reason} counter  time spent in Wait, summed over waiters, by what held it
//	                                                      back: queued (behind other waiters of this limiter),
//	                                                      interval (the interval or the adaptive pace), cool_down,
//	                                                      hourly_limit, daily_limit, quota, outage (the breaker)
//	pricefill_limiter_waits_total{reason}        counter  calls of Wait that reason held back (a call held by
//	                                                      two reasons counts under each)
//	pricefill_limiter_breaker_state              gauge    the outage breaker: 0 closed, 1 half-open (a probe
//	                                                      is out, its answer awaited), 2 open (gobreaker's values)
//
// The counts are this process's, kept in memory with atomic operations:
// a scrape reads no ledger, and limiters of one budget in several
// processes (sharing a ledger in a database) each export their own view.
// Sum over the fleet in PromQL, as sum by (provider)
// (rate(pricefill_provider_requests_total[5m])). The breaker's state is
// the one this limiter last found in the ledger, when it asked for a
// grant or reported an answer: the fleet's, as of then. What is left of
// the hourly and daily budgets is not exported: telling it takes a read of
// the ledger (a query of the database's), which [Limiter.Status] makes.
func (l *Limiter) Describe(ch chan<- *prometheus.Desc) {
	m := l.m
	for _, d := range []*prometheus.Desc{m.requestsDesc, m.grantsDesc, m.waitedDesc, m.waitsDesc, m.breakerDesc} {
		ch <- d
	}
}

// Collect sends the limiter's metrics, read from memory: see
// [prometheus.Collector].
func (l *Limiter) Collect(ch chan<- prometheus.Metric) {
	m := l.m
	for o := range outcomes {
		ch <- prometheus.MustNewConstMetric(m.requestsDesc, prometheus.CounterValue, float64(m.requests[o].Load()), outcomeNames[o])
	}
	ch <- prometheus.MustNewConstMetric(m.grantsDesc, prometheus.CounterValue, float64(m.grants.Load()))
	for h := range holds {
		ch <- prometheus.MustNewConstMetric(m.waitedDesc, prometheus.CounterValue, time.Duration(m.waited[h].Load()).Seconds(), holdNames[h])
		ch <- prometheus.MustNewConstMetric(m.waitsDesc, prometheus.CounterValue, float64(m.waits[h].Load()), holdNames[h])
	}
	ch <- prometheus.MustNewConstMetric(m.breakerDesc, prometheus.GaugeValue, float64(m.breaker.Load()))
}

// decided records a decision the ledger kept: a grant, and the breaker's
// state. A grant while the breaker is open is a probe: the breaker is
// half-open until the probe's answer, or a failure, is reported.
func (m *metrics) decided(d decision) {
	if d.granted {
		m.grants.Add(1)
	}
	switch {
	case !d.open:
		// A load first: the common case, a closed breaker, then writes
		// nothing that the other cores' caches would have to drop.
		if m.breaker.Load() != breakerClosed {
			m.breaker.Store(breakerClosed)
		}
	case d.granted:
		m.breaker.Store(breakerHalfOpen)
	default:
		m.breaker.CompareAndSwap(breakerClosed, breakerOpen)
	}
}

// reported counts a request whose outcome was reported.
func (m *metrics) reported(o outcome) { m.requests[o].Add(1) }

// breakerAfter records the breaker's state after a report that the ledger
// kept: an answer or a refusal closes it; a failure leaves it open or
// closed, as Failed says.
func (m *metrics) breakerAfter(open bool) {
	if open {
		m.breaker.Store(breakerOpen)
		return
	}
	m.breaker.Store(breakerClosed)
}

// failure returns the outcome of a failure.
func failure(err error) outcome {
	if errors.Is(err, pricefill.ErrUnavailable) {
		return outcomeUnreachable
	}
	return outcomeFailed
}

// A waitTimer splits the time of one Wait into stretches, each counted
// under what held it back.
type waitTimer struct {
	m     *metrics
	clock pricefill.Clock
	since time.Time // the end of the last stretch counted
	seen  [holds]bool
}

// held counts the time since the last stretch as held back by h.
func (w *waitTimer) held(h hold) {
	now := w.clock.Now()
	w.m.waited[h].Add(int64(now.Sub(w.since)))
	if !w.seen[h] {
		w.seen[h] = true
		w.m.waits[h].Add(1)
	}
	w.since = now
}

// skip starts the next stretch now, counting none.
func (w *waitTimer) skip() { w.since = w.clock.Now() }
