package backfill

import "github.com/prometheus/client_golang/prometheus"

var _ prometheus.Collector = (*Fallback)(nil)

// Describe sends the descriptions of the metrics of the providers'
// limiters that are a [prometheus.Collector] (package ratelimit's Limiter
// is one), as a Collector: a Fallback is one, so that [WithMetrics],
// given the Fallback as the runner's limiter and fetcher, registers every
// provider's metrics, each under its label provider.
func (f *Fallback) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range f.collectors() {
		c.Describe(ch)
	}
}

// Collect sends the metrics of the providers' limiters that are a
// [prometheus.Collector].
func (f *Fallback) Collect(ch chan<- prometheus.Metric) {
	for _, c := range f.collectors() {
		c.Collect(ch)
	}
}

// collectors returns the providers' limiters that are collectors.
func (f *Fallback) collectors() []prometheus.Collector {
	var cs []prometheus.Collector
	for _, p := range f.providers {
		if c, ok := p.Limiter.(prometheus.Collector); ok {
			cs = append(cs, c)
		}
	}
	return cs
}
