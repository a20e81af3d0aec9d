package ratelimit

import (
	"errors"
	"fmt"
	"time"

	"github.com/pricefill/pricefill"
)

// The defaults of the options, and the limits they keep to.
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
	// QuotaHoldDefault is how long every request is held after the
	// provider says a quota (a day's) is used up without saying when it
	// resets; then one request finds out.
	QuotaHoldDefault = time.Hour
	// QuotaHoldMax caps a quota's reset: a provider's reset further ahead
	// is taken as this far.
	QuotaHoldMax = 25 * time.Hour
	// OutageTimeoutDefault is how long the outage breaker may stay open,
	// or the provider refuse every request, before Wait gives up.
	OutageTimeoutDefault = 15 * time.Minute
	// BreakerFailuresDefault is the number of failures in a row, saying
	// nothing about their symbol, that open the outage breaker.
	BreakerFailuresDefault = 5
	// BreakerSymbols is how many different symbols those failures must be
	// of (fewer when the breaker opens on fewer failures). A failure that
	// did not reach the provider at all counts as a different symbol each
	// time: it says nothing about any.
	BreakerSymbols = 3
	// ProbeInitialDefault and ProbeMaxDefault space the probes of an open
	// breaker: the first goes out this long after it opened, each next one
	// twice as long after the previous, up to the maximum.
	ProbeInitialDefault = 5 * time.Second
	ProbeMaxDefault     = time.Minute
	// NameDefault is the name of a limiter's budget unless [WithName] says.
	NameDefault = "default"
	// NameMaxLen is the longest name of a budget.
	NameMaxLen = 64
)

// ErrInvalidOption is matched by the errors of [New] for an option with a
// value it cannot use.
var ErrInvalidOption = errors.New("ratelimit: invalid option")

// An Option configures a [Limiter].
type Option func(*config)

type config struct {
	clock         pricefill.Clock
	ledger        Ledger
	name          string
	interval      time.Duration
	hourlyLimit   int
	dailyLimit    int
	coolInitial   time.Duration
	coolMax       time.Duration
	maxRetryAfter time.Duration
	adaptive      bool
	breaker       int
	probeInitial  time.Duration
	probeMax      time.Duration
	outageTimeout time.Duration

	spans []span // the limited windows, from the limits above
}

// WithClock sets the clock that the limiter waits on, and the time of its
// default in-memory ledger. The default is [pricefill.SystemClock]; nil
// means the default. A shared ledger tells the time of its own decisions
// (see [Entry]).
func WithClock(c pricefill.Clock) Option {
	return func(cfg *config) { cfg.clock = c }
}

// WithLedger sets where the budget's state is kept. Limiters that use the
// same budget (the same ledger and name), in one process or many, share
// one interval, one rolling hour and day, one cool-down, one pace and one
// outage breaker. The default, nil, is a new in-memory ledger of the
// limiter's own ([NewMemoryLedger]); package store keeps one in the
// database, for every process that opens it.
func WithLedger(l Ledger) Option {
	return func(cfg *config) { cfg.ledger = l }
}

// WithName sets the name of the budget in its ledger, and of the provider
// in errors and status: by convention the source's name ("yahoo"), or
// more (yahoo-key2) where one source has several budgets, such as two API
// keys. The default is [NameDefault], and the empty name means it; it
// must be at most [NameMaxLen] printable ASCII characters without spaces.
func WithName(name string) Option {
	return func(cfg *config) { cfg.name = name }
}

// WithInterval sets the minimum time between two granted requests. The
// default is [IntervalDefault]; zero means no minimum; it must not be
// negative. For a rate of r requests a second, use time.Second / r.
func WithInterval(d time.Duration) Option {
	return func(cfg *config) { cfg.interval = d }
}

// WithHourlyLimit sets how many requests are granted in any rolling hour.
// The default is [HourlyLimitDefault]; zero means no hourly limit; it must
// not be negative.
func WithHourlyLimit(n int) Option {
	return func(cfg *config) { cfg.hourlyLimit = n }
}

// WithDailyLimit sets how many requests are granted in any rolling day of
// 24 hours. The default, zero, means no daily limit; it must not be
// negative. A run that reaches it waits until the oldest request of the
// day is a day old.
func WithDailyLimit(n int) Option {
	return func(cfg *config) { cfg.dailyLimit = n }
}

// WithCoolDown sets the exponential cool-down after rate-limit responses
// that give no Retry-After: initial after the first of a run, doubling
// with each further one, up to maxStep. The defaults are
// [CoolDownInitialDefault] and [CoolDownMaxDefault], and zero means the
// default; neither may be negative, and maxStep must be at least initial.
// The steps are those of [Exponential].
func WithCoolDown(initial, maxStep time.Duration) Option {
	return func(cfg *config) { cfg.coolInitial, cfg.coolMax = initial, maxStep }
}

// WithMaxRetryAfter caps the server's Retry-After, so that a broken or
// hostile header cannot stall a run for hours. The default is
// [MaxRetryAfterDefault], and zero means it; it must not be negative.
func WithMaxRetryAfter(d time.Duration) Option {
	return func(cfg *config) { cfg.maxRetryAfter = d }
}

// WithAdaptivePace turns the adaptive pace on or off. It is on by default:
// a refusal for rate lowers the budget's rate to [PaceDecrease] of what it
// was, and answers raise it again, quickly up to just under the rate that
// was refused, then slowly past it, up to the interval's rate. Off, the
// interval alone paces the requests.
func WithAdaptivePace(on bool) Option {
	return func(cfg *config) { cfg.adaptive = on }
}

// WithBreaker sets how many failures in a row, saying nothing about their
// symbols (see [Limiter.Failed]), open the outage breaker. The default is
// [BreakerFailuresDefault]; zero turns the breaker off; it must not be
// negative.
func WithBreaker(failures int) Option {
	return func(cfg *config) { cfg.breaker = failures }
}

// WithProbeInterval sets how an open breaker probes the provider: one
// request initial after it opened, then each twice as long after the
// previous, up to maxInterval. The defaults are [ProbeInitialDefault] and
// [ProbeMaxDefault], and zero means the default; neither may be negative,
// and maxInterval must be at least initial.
func WithProbeInterval(initial, maxInterval time.Duration) Option {
	return func(cfg *config) { cfg.probeInitial, cfg.probeMax = initial, maxInterval }
}

// WithOutageTimeout sets how long the outage breaker may stay open before
// [Limiter.Wait] gives up with an [*OutageError], and how long the
// provider may refuse every request for rate before it gives up with a
// [*RefusingError]. The default is [OutageTimeoutDefault]; zero means it
// never gives up; it must not be negative.
func WithOutageTimeout(d time.Duration) Option {
	return func(cfg *config) { cfg.outageTimeout = d }
}

// newConfig applies opts over the defaults and validates the result.
func newConfig(opts []Option) (config, error) {
	cfg := config{
		name:          NameDefault,
		interval:      IntervalDefault,
		hourlyLimit:   HourlyLimitDefault,
		coolInitial:   CoolDownInitialDefault,
		coolMax:       CoolDownMaxDefault,
		maxRetryAfter: MaxRetryAfterDefault,
		adaptive:      true,
		breaker:       BreakerFailuresDefault,
		probeInitial:  ProbeInitialDefault,
		probeMax:      ProbeMaxDefault,
		outageTimeout: OutageTimeoutDefault,
	}
	for _, o := range opts {
		o(&cfg)
	}
	cfg.zeroMeansDefault()
	if err := cfg.validate(); err != nil {
		return cfg, err
	}
	cfg.withDefaults()
	return cfg, nil
}

// zeroMeansDefault gives the options set to zero, or the empty name,
// their default: the rule of every option whose zero has no meaning of its
// own (a zero interval, limit, breaker or timeout says "none").
func (c *config) zeroMeansDefault() {
	if c.name == "" {
		c.name = NameDefault
	}
	if c.coolInitial == 0 {
		c.coolInitial = CoolDownInitialDefault
	}
	if c.coolMax == 0 {
		c.coolMax = CoolDownMaxDefault
	}
	if c.maxRetryAfter == 0 {
		c.maxRetryAfter = MaxRetryAfterDefault
	}
	if c.probeInitial == 0 {
		c.probeInitial = ProbeInitialDefault
	}
	if c.probeMax == 0 {
		c.probeMax = ProbeMaxDefault
	}
}

// withDefaults fills in what an option left at its zero value to mean the
// default.
func (c *config) withDefaults() {
	if c.clock == nil {
		c.clock = pricefill.SystemClock()
	}
	if c.ledger == nil {
		c.ledger = NewMemoryLedger(c.clock)
	}
	c.spans = c.newSpans()
}

// validate returns every problem of c, each naming its option.
func (c *config) validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalidOption}, args...)...))
	}
	if err := checkName(c.name); err != nil {
		bad("WithName(%q): %v", c.name, err)
	}
	if c.interval < 0 {
		bad("WithInterval(%s): the interval must not be negative", c.interval)
	}
	if c.hourlyLimit < 0 {
		bad("WithHourlyLimit(%d): the hourly limit must not be negative", c.hourlyLimit)
	}
	if c.dailyLimit < 0 {
		bad("WithDailyLimit(%d): the daily limit must not be negative", c.dailyLimit)
	}
	if c.coolInitial <= 0 {
		bad("WithCoolDown(%s, %s): the initial cool-down must be positive", c.coolInitial, c.coolMax)
	} else if c.coolMax < c.coolInitial {
		bad("WithCoolDown(%s, %s): the maximum step must be at least the initial cool-down", c.coolInitial, c.coolMax)
	}
	if c.maxRetryAfter <= 0 {
		bad("WithMaxRetryAfter(%s): the maximum Retry-After must be positive", c.maxRetryAfter)
	}
	if c.breaker < 0 {
		bad("WithBreaker(%d): the number of failures must not be negative", c.breaker)
	}
	if c.probeInitial <= 0 {
		bad("WithProbeInterval(%s, %s): the first interval must be positive", c.probeInitial, c.probeMax)
	} else if c.probeMax < c.probeInitial {
		bad("WithProbeInterval(%s, %s): the maximum interval must be at least the first", c.probeInitial, c.probeMax)
	}
	if c.outageTimeout < 0 {
		bad("WithOutageTimeout(%s): the timeout must not be negative", c.outageTimeout)
	}
	return errors.Join(errs...)
}

// checkName reports what is wrong with a budget's name.
func checkName(name string) error {
	if name == "" || len(name) > NameMaxLen {
		return fmt.Errorf("want 1 to %d characters", NameMaxLen)
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c <= ' ' || c > '~' {
			return errors.New("want printable ASCII characters without spaces")
		}
	}
	return nil
}
