package backfill

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/queue"
	"github.com/pricefill/pricefill/ratelimit"
	"github.com/pricefill/pricefill/validate"
	"github.com/pricefill/pricefill/validate/calendar"
)

// Defaults of the Runner's options.
const (
	// ConcurrencyDefault is the number of workers.
	ConcurrencyDefault = 4
	// MaxAttemptsDefault is the number of transient failures after which a
	// task is given up.
	MaxAttemptsDefault = 5
	// LeaseDefault is how long a worker holds a task without renewing its
	// lease; workers renew it every third of that while they work, so only
	// a dead worker's task outlives it.
	LeaseDefault = time.Minute
	// ProgressIntervalDefault is the longest time between two progress reports.
	ProgressIntervalDefault = 30 * time.Second
	// GracePeriodDefault is how long in-flight tasks may take to finish
	// once the run's context is cancelled, before they are given back to
	// the queue.
	GracePeriodDefault = 10 * time.Second
)

// An Option configures a [Runner].
type Option func(*config)

type config struct {
	queue       queue.Queue
	limiter     Limiter
	feedback    Feedback       // limiter, when it is one
	status      StatusReporter // limiter, when it is one
	validator   Validator
	calendarFor calendar.ForFunc
	concurrency int
	maxAttempts int
	backoff     BackoffFunc
	logger      *slog.Logger
	clock       pricefill.Clock
	force       bool
	lease       time.Duration
	progress    func(Progress)
	progressInt time.Duration
	grace       time.Duration
	worker      string
	holeBackoff []time.Duration
	metrics     prometheus.Registerer // WithMetrics; nil for none
}

// WithQueue sets the queue of tasks; nil means the default. By default the runner uses the store
// when it is a [queue.Queue] too (package store's DB is: its tasks then survive the
// process and, as it is a [TaskCompleter], complete in the same transaction
// as their bars), and a new in-memory queue otherwise.
func WithQueue(q queue.Queue) Option { return func(c *config) { c.queue = q } }

// WithLimiter sets the limiter every request waits on; nil means the
// default, ratelimit.New() with its defaults: one request a second, 2,000
// in any hour, a cool-down after a rate-limit response and an outage
// breaker, all in this process's memory. A limiter that is a [Feedback]
// hears how each request went; one that is a [StatusReporter] has what
// holds requests back shown in the progress reports.
func WithLimiter(l Limiter) Option { return func(c *config) { c.limiter = l } }

// WithValidator sets the validator bars must pass to be stored; nil means
// the default, validate.New().
func WithValidator(v Validator) Option { return func(c *config) { c.validator = v } }

// WithCalendarFor sets how the runner chooses a symbol's trading calendar;
// nil means the default, [calendar.For]: the NYSE for US listings, the
// exchange's own for the nine others it knows (London, Xetra, Tokyo…),
// weekdays elsewhere. It is the one calendar of the run: the runner finds the days
// missing from a store by it (see [DateLister]), asks only for sessions
// that are over by it, computes completeness by it, and hands it to the
// validator for its trading-day and session rules.
func WithCalendarFor(f calendar.ForFunc) Option {
	return func(c *config) { c.calendarFor = f }
}

// WithConcurrency sets the number of workers; zero means the default,
// [ConcurrencyDefault], and a negative number is an error.
func WithConcurrency(n int) Option { return func(c *config) { c.concurrency = n } }

// WithMaxAttempts sets how many transient failures a task may have before
// it is permanently failed; zero means the default, [MaxAttemptsDefault],
// and a negative number is an error.
func WithMaxAttempts(n int) Option { return func(c *config) { c.maxAttempts = n } }

// WithRetryBackoff sets the wait before retrying a task after its n-th
// transient failure; nil means the default. The default is ExponentialBackoff(RetryInitialDefault,
// RetryMaxDefault, 0): 5, 10, 20, 40, 80 s.
func WithRetryBackoff(f BackoffFunc) Option { return func(c *config) { c.backoff = f } }

// WithLogger sets the logger; nil means the default, [slog.Default].
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithClock sets the clock for retry times, leases, progress and the
// validator's "now"; nil means the default, [pricefill.SystemClock].
func WithClock(clk pricefill.Clock) Option { return func(c *config) { c.clock = clk } }

// WithForce makes the run fetch the whole range of every symbol, stored
// days and known holes included (see [Hole]), and replace stored bars
// whose values changed. It is off by default.
func WithForce(force bool) Option { return func(c *config) { c.force = force } }

// WithHoleBackoff sets how long a known hole is left alone after the n-th
// ask that did not get it: steps[n-1], the last step for every later ask
// (see [Hole]); none means the default, [DefaultHoleBackoff], and a step
// under a minute is an error. [WithForce] asks for holes whatever their
// back-off.
func WithHoleBackoff(steps ...time.Duration) Option {
	return func(c *config) { c.holeBackoff = steps }
}

// WithLease sets the lease length of a claimed task, at least a second;
// zero means the default, [LeaseDefault].
func WithLease(d time.Duration) Option { return func(c *config) { c.lease = d } }

// WithProgress sets a function called with the run's progress: each time
// another tenth of the tasks (or ten tasks, whichever is fewer) is done, at
// least every progress interval, and at the end. Calls are never
// concurrent. The runner also logs each report at level Info.
func WithProgress(f func(Progress)) Option { return func(c *config) { c.progress = f } }

// WithProgressInterval sets the longest time between two progress
// reports, at least a second; zero means the default,
// [ProgressIntervalDefault].
func WithProgressInterval(d time.Duration) Option { return func(c *config) { c.progressInt = d } }

// WithGracePeriod sets how long in-flight tasks may run on after the run's
// context is cancelled; zero gives them back at once. The default is
// [GracePeriodDefault].
func WithGracePeriod(d time.Duration) Option { return func(c *config) { c.grace = d } }

// WithWorkerName sets the name under which the workers claim tasks (each
// worker adds its number). The default is host name, process ID and a
// random suffix, unique across machines and restarts.
func WithWorkerName(name string) Option { return func(c *config) { c.worker = name } }

// defaults returns the configuration before any option is applied.
func defaults() config {
	return config{
		concurrency: ConcurrencyDefault,
		maxAttempts: MaxAttemptsDefault,
		backoff:     ExponentialBackoff(RetryInitialDefault, RetryMaxDefault, 0),
		lease:       LeaseDefault,
		progressInt: ProgressIntervalDefault,
		grace:       GracePeriodDefault,
	}
}

// fillDefaults gives the options left nil or zero their default.
func (c *config) fillDefaults(store Store) error {
	for _, f := range []struct {
		v   *int
		def int
	}{{&c.concurrency, ConcurrencyDefault}, {&c.maxAttempts, MaxAttemptsDefault}} {
		if *f.v == 0 {
			*f.v = f.def
		}
	}
	for _, f := range []struct {
		v   *time.Duration
		def time.Duration
	}{{&c.lease, LeaseDefault}, {&c.progressInt, ProgressIntervalDefault}} {
		if *f.v == 0 {
			*f.v = f.def
		}
	}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	if c.clock == nil {
		c.clock = pricefill.SystemClock()
	}
	if c.backoff == nil {
		c.backoff = ExponentialBackoff(RetryInitialDefault, RetryMaxDefault, 0)
	}
	if c.queue == nil {
		if q, ok := store.(queue.Queue); ok {
			c.queue = q
		} else {
			c.queue = queue.NewMemory(queue.WithClock(c.clock))
		}
	}
	if c.limiter == nil {
		l, err := ratelimit.New(ratelimit.WithClock(c.clock))
		if err != nil {
			return fmt.Errorf("backfill: the default limiter: %w", err)
		}
		c.limiter = l
	}
	c.feedback, _ = c.limiter.(Feedback)
	c.status, _ = c.limiter.(StatusReporter)
	if c.calendarFor == nil {
		c.calendarFor = calendar.For
	}
	if c.validator == nil {
		c.validator = &validate.Validator{}
	}
	if c.worker == "" {
		c.worker = defaultWorkerName()
	}
	if len(c.holeBackoff) == 0 {
		c.holeBackoff = DefaultHoleBackoff
	}
	return nil
}

func (c *config) validate() error {
	var errs []error
	if c.concurrency < 0 {
		errs = append(errs, fmt.Errorf("concurrency %d: want at least 1 (0 for the default)", c.concurrency))
	}
	if c.maxAttempts < 0 {
		errs = append(errs, fmt.Errorf("max attempts %d: want at least 1 (0 for the default)", c.maxAttempts))
	}
	if c.lease != 0 && c.lease < time.Second {
		errs = append(errs, fmt.Errorf("lease %s: want at least 1s (0 for the default)", c.lease))
	}
	if c.grace < 0 {
		errs = append(errs, fmt.Errorf("grace period %s: want 0 or more", c.grace))
	}
	if c.progressInt != 0 && c.progressInt < time.Second {
		errs = append(errs, fmt.Errorf("progress interval %s: want at least 1s (0 for the default)", c.progressInt))
	}
	for _, d := range c.holeBackoff {
		if d < time.Minute {
			errs = append(errs, fmt.Errorf("hole backoff step %s: want at least 1m", d))
			break
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("backfill: %w", err)
	}
	return nil
}
