package main

import (
	"fmt"
	"slices"
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

// limiter returns the limiter for the source at the pace of the flags.
// For a provider, its budget lives in the database's ledger, under the
// source's name, shared by every process on that database; a local source
// (csvdir, synthetic) has no limits, and its limiter never holds a request
// back.
func (o *options) limiter(ledger ratelimit.Ledger, clock pricefill.Clock) (*ratelimit.Limiter, error) {
	src := sources[o.source]
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
		ratelimit.WithName(o.source),
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

// describe says where data comes from, for the logs and the report: the
// base URL with its userinfo and secret query values hidden.
func (o *options) describe() string {
	if o.baseURL == "" {
		return o.source
	}
	return fmt.Sprintf("%s at %s", o.source, redact.URL(o.baseURL))
}
