package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/backfill/alphavantage"
	"github.com/pricefill/pricefill/backfill/csvdir"
	"github.com/pricefill/pricefill/backfill/httpopt"
	"github.com/pricefill/pricefill/backfill/stooq"
	"github.com/pricefill/pricefill/backfill/synthetic"
	"github.com/pricefill/pricefill/backfill/yahoo"
	"github.com/pricefill/pricefill/internal/redact"
	"github.com/pricefill/pricefill/ratelimit"
)

// A source is a provider the program can fetch from, with its pace.
type source struct {
	// open returns the fetcher; baseURL is "" for the provider's own.
	open func(baseURL string) (backfill.Fetcher, error)
	// rate is the default requests per second (0: no minimum gap), and
	// hourly and daily the default budgets of any rolling hour and day
	// (0: none). A source with none of them is local: it has no provider
	// whose budget to share.
	rate          float64
	hourly, daily int
}

var sources = map[string]source{
	"yahoo": {open: func(u string) (backfill.Fetcher, error) {
		return yahoo.New(baseURL(u, httpopt.WithBaseURL)...)
	}, rate: 1, hourly: ratelimit.HourlyLimitDefault},
	"stooq": {open: func(u string) (backfill.Fetcher, error) {
		return stooq.New(append(baseURL(u, httpopt.WithBaseURL), httpopt.WithAPIKeyFromEnv())...)
	}, rate: 1, hourly: ratelimit.HourlyLimitDefault},
	// The free tier allows 5 requests a minute and 25 a day.
	"alphavantage": {open: func(u string) (backfill.Fetcher, error) {
		return alphavantage.New(append(baseURL(u, httpopt.WithBaseURL), httpopt.WithAPIKeyFromEnv())...)
	}, rate: 1.0 / 12, hourly: ratelimit.HourlyLimitDefault, daily: 25},
	"csvdir": {open: func(dir string) (backfill.Fetcher, error) {
		if dir == "" {
			return nil, usagef("--source csvdir needs the directory as --base-url")
		}
		return csvdir.New(dir)
	}},
	"synthetic": {open: func(u string) (backfill.Fetcher, error) {
		if u != "" {
			return nil, usagef("--base-url: the synthetic source makes its data up and has no URL")
		}
		return synthetic.New()
	}},
}

func sourceNames() []string {
	names := make([]string, 0, len(sources))
	for n := range sources {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func baseURL[O any](u string, with func(string) O) []O {
	if u == "" {
		return nil
	}
	return []O{with(u)}
}

// parseSources reads --source, one source or a comma-separated list of
// them tried in order for each symbol, and --base-url, a URL (or, for
// csvdir, a directory) for each: the whole flag for one source, a
// comma-separated list in the same order for several (empty for a
// provider's own), or none.
func (o *options) parseSources() error {
	o.sources = strings.Split(o.source, ",")
	for i, name := range o.sources {
		if _, ok := sources[name]; !ok {
			return usagef("--source %q: unknown; want one of %s", name, strings.Join(sourceNames(), ", "))
		}
		if slices.Contains(o.sources[:i], name) {
			return usagef("--source %s: %s twice; give each source once", o.source, name)
		}
	}
	switch n := len(o.sources); {
	case n == 1:
		o.baseURLs = []string{o.baseURL}
	case o.baseURL == "":
		o.baseURLs = make([]string, n)
	default:
		o.baseURLs = strings.Split(o.baseURL, ",")
		if len(o.baseURLs) != n {
			return usagef("--base-url: --source %s needs %d URLs, one for each source in the same order (empty for a provider's own); got %d",
				o.source, n, len(o.baseURLs))
		}
	}
	return nil
}

// openFetchers returns the fetcher of each source, in order, at its base
// URL.
func (o *options) openFetchers() ([]backfill.Fetcher, error) {
	fetchers := make([]backfill.Fetcher, len(o.sources))
	for i, name := range o.sources {
		f, err := sources[name].open(o.baseURLs[i])
		if err != nil {
			return nil, fmt.Errorf("--source %s: %w", name, err)
		}
		fetchers[i] = f
	}
	return fetchers, nil
}

// A wiring is what a run fetches with: the fetcher and the limiter of the
// Runner, and the limiter of each source, in order, for --status.
type wiring struct {
	fetcher  backfill.Fetcher
	limiter  backfill.Limiter
	limiters []*ratelimit.Limiter
}

// wire gives each source's fetcher its own limiter (see limiter). With one
// source the Runner fetches and waits on those; with several, both are a
// backfill.Fallback of them, which tries the sources in order for each
// symbol, and the first source's limiter forecasts --plan.
func (o *options) wire(fetchers []backfill.Fetcher, ledger ratelimit.Ledger, clock pricefill.Clock) (*wiring, error) {
	w := &wiring{}
	providers := make([]backfill.Provider, len(o.sources))
	for i, name := range o.sources {
		l, err := o.limiter(name, ledger, clock)
		if err != nil {
			return nil, err
		}
		w.limiters = append(w.limiters, l)
		providers[i] = backfill.Provider{Name: name, Fetcher: fetchers[i], Limiter: l}
	}
	if len(providers) == 1 {
		w.fetcher, w.limiter = fetchers[0], w.limiters[0]
		return w, nil
	}
	fb, err := backfill.NewFallback(providers...)
	if err != nil {
		return nil, usagef("--source %s: %w", o.source, err)
	}
	w.fetcher, w.limiter = fb, fb
	return w, nil
}

// limiter returns the limiter of the source name at the pace of the flags:
// --rate, --hourly-limit and --daily-limit, when given, hold for each
// source, else each source's defaults. For a provider, its budget lives in
// the database's ledger, under the source's name, shared by every process
// on that database (and apart from the other sources'); a local source
// (csvdir, synthetic) has no limits, and its limiter never holds a request
// back.
func (o *options) limiter(name string, ledger ratelimit.Ledger, clock pricefill.Clock) (*ratelimit.Limiter, error) {
	src := sources[name]
	rate, hourly, daily := src.rate, src.hourly, src.daily
	if o.rate >= 0 {
		rate = o.rate
	}
	if o.hourlyLimit >= 0 {
		hourly = o.hourlyLimit
	}
	if o.dailyLimit >= 0 {
		daily = o.dailyLimit
	}
	var interval time.Duration
	if rate > 0 {
		interval = time.Duration(float64(time.Second) / rate)
	}
	opts := []ratelimit.Option{
		ratelimit.WithName(name),
		ratelimit.WithInterval(interval), ratelimit.WithHourlyLimit(hourly), ratelimit.WithDailyLimit(daily),
		ratelimit.WithOutageTimeout(o.outage),
		ratelimit.WithClock(clock),
	}
	if src.rate == 0 && src.hourly == 0 && src.daily == 0 {
		opts = append(opts, ratelimit.WithBreaker(0)) // local: no provider to be down
	} else {
		opts = append(opts, ratelimit.WithLedger(ledger))
	}
	l, err := ratelimit.New(opts...)
	if err != nil {
		return nil, usagef("rate limit: %w", err)
	}
	return l, nil
}

// describe says where data comes from, for the logs and the report: each
// source in order, with its base URL, its userinfo and secret query values
// hidden.
func (o *options) describe() string {
	parts := make([]string, len(o.sources))
	for i, name := range o.sources {
		parts[i] = name
		if u := o.baseURLs[i]; u != "" {
			parts[i] = fmt.Sprintf("%s at %s", name, redact.URL(u))
		}
	}
	return strings.Join(parts, ", then ")
}
