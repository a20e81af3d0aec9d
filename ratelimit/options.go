package ratelimit

import (
	"errors"
	"fmt"
	"time"

	"github.com/pricefill/pricefill"
)

// The defaults of the options.
const (
	// IntervalDefault is the minimum time between two granted requests.
	IntervalDefault = time.Second
	// HourlyLimitDefault is the number of requests granted in any rolling hour.
	HourlyLimitDefault = 2000
	// CoolDownInitialDefault is the cool-down after the first of a run of
	// rate-limit responses that gave no Retry-After.
	CoolDownInitialDefault = 5 * time.Second
	// CoolDownMaxDefault is the longest cool-down of the exponential steps.
	CoolDownMaxDefault = 80 * time.Second
	// MaxRetryAfterDefault caps the server's Retry-After.
	MaxRetryAfterDefault = 10 * time.Minute
)

// ErrInvalidOption is matched by the errors of [New] for an option with a
// value it cannot use.
var ErrInvalidOption = errors.New("ratelimit: invalid option")

// An Option configures a [Limiter].
type Option func(*config)

type config struct {
	clock         pricefill.Clock
	interval      time.Duration
	hourlyLimit   int
	coolInitial   time.Duration
	coolMax       time.Duration
	maxRetryAfter time.Duration
}

// WithClock sets the clock that the limiter reads and waits on. The default
// is [pricefill.SystemClock]; nil means the default.
func WithClock(c pricefill.Clock) Option {
	return func(cfg *config) { cfg.clock = c }
}

// WithInterval sets the minimum time between two granted requests. The
// default is [IntervalDefault]; zero means no minimum; it must not be
// negative. For a rate of r requests a second, use time.Second / r.
func WithInterval(d time.Duration) Option {
	return func(cfg *config) { cfg.interval = d }
}

// WithHourlyLimit sets how many requests are granted in any rolling hour.
// The default is [HourlyLimitDefault]; it must be at least 1. The limiter
// remembers the time of each grant of the last hour, 8 bytes each, so the
// memory it holds is at most 8·n bytes.
func WithHourlyLimit(n int) Option {
	return func(cfg *config) { cfg.hourlyLimit = n }
}

// WithCoolDown sets the exponential cool-down after rate-limit responses:
// initial after the first of a run, doubling with each further one, up to
// maxStep. The defaults are [CoolDownInitialDefault] and
// [CoolDownMaxDefault]; initial must be positive and maxStep at least
// initial.
func WithCoolDown(initial, maxStep time.Duration) Option {
	return func(cfg *config) { cfg.coolInitial, cfg.coolMax = initial, maxStep }
}

// WithMaxRetryAfter caps the server's Retry-After, so that a broken or
// hostile header cannot stall a run for hours. The default is
// [MaxRetryAfterDefault]; it must be positive.
func WithMaxRetryAfter(d time.Duration) Option {
	return func(cfg *config) { cfg.maxRetryAfter = d }
}

// newConfig applies opts over the defaults and validates the result.
func newConfig(opts []Option) (config, error) {
	cfg := config{
		interval:      IntervalDefault,
		hourlyLimit:   HourlyLimitDefault,
		coolInitial:   CoolDownInitialDefault,
		coolMax:       CoolDownMaxDefault,
		maxRetryAfter: MaxRetryAfterDefault,
	}
	for _, o := range opts {
		o(&cfg)
	}
	cfg.withDefaults()
	return cfg, cfg.validate()
}

// withDefaults fills in what an option left at its zero value to mean the
// default.
func (c *config) withDefaults() {
	if c.clock == nil {
		c.clock = pricefill.SystemClock()
	}
}

// validate returns every problem of c, each naming its option.
func (c *config) validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalidOption}, args...)...))
	}
	if c.interval < 0 {
		bad("WithInterval(%s): the interval must not be negative", c.interval)
	}
	if c.hourlyLimit < 1 {
		bad("WithHourlyLimit(%d): the hourly limit must be at least 1", c.hourlyLimit)
	}
	if c.coolInitial <= 0 {
		bad("WithCoolDown(%s, %s): the initial cool-down must be positive", c.coolInitial, c.coolMax)
	} else if c.coolMax < c.coolInitial {
		bad("WithCoolDown(%s, %s): the maximum step must be at least the initial cool-down", c.coolInitial, c.coolMax)
	}
	if c.maxRetryAfter <= 0 {
		bad("WithMaxRetryAfter(%s): the maximum Retry-After must be positive", c.maxRetryAfter)
	}
	return errors.Join(errs...)
}
