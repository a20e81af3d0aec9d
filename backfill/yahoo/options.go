package yahoo

import (
	"net/http"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/internal/fetchhttp"
)

const (
	// BaseURLDefault is the host of the chart and crumb endpoints.
	BaseURLDefault = "https://query2.finance.yahoo.com"
	// CookieURLDefault is the page whose answer sets Yahoo's session
	// cookie (it answers 404, with the cookie).
	CookieURLDefault = "https://fc.yahoo.com"
	// UserAgentDefault is a browser's User-Agent: Yahoo refuses the
	// default ones of HTTP libraries.
	UserAgentDefault = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
	// MaxBodyDefault caps a response body.
	MaxBodyDefault = fetchhttp.MaxBodyDefault
	// Source is the Source of every bar this fetcher returns.
	Source = "yahoo"
)

// An Option configures a [Fetcher]. It is the option type of every HTTP
// provider of the module (yahoo, stooq, alphavantage), with one rule: nil
// or zero means the default; a value that cannot be used is an error from
// [New] naming the option.
type Option = fetchhttp.Option

// WithBaseURL sets the scheme and host (and an optional path prefix) of the
// chart and crumb endpoints, for tests and proxies. Default
// [BaseURLDefault]; when it is set and [WithCookieURL] is not, the cookie
// page is this URL's root too, so one test server can play all of Yahoo.
func WithBaseURL(u string) Option { return fetchhttp.WithBaseURL(u) }

// WithCookieURL sets the page fetched for a session cookie before asking
// for a crumb. Default [CookieURLDefault], or the base URL's root when
// [WithBaseURL] is set.
func WithCookieURL(u string) Option { return fetchhttp.WithCookieURL(u) }

// WithHTTPClient sets the client that sends the requests. Default: one
// with the default transport whose requests time out after 30 s.
func WithHTTPClient(hc *http.Client) Option { return fetchhttp.WithHTTPClient(hc) }

// WithUserAgent sets the User-Agent header. Default [UserAgentDefault].
func WithUserAgent(ua string) Option { return fetchhttp.WithUserAgent(ua) }

// WithMaxBody caps the size of a response body, in bytes: a longer body
// is a permanent error, never data cut short. Default [MaxBodyDefault]; a
// negative size is an error.
func WithMaxBody(n int64) Option { return fetchhttp.WithMaxBody(n) }

// WithClock sets the clock by which a Retry-After date is read when the
// response has no Date header. Default [pricefill.SystemClock].
func WithClock(clock pricefill.Clock) Option { return fetchhttp.WithClock(clock) }

func newConfig(opts []Option) (fetchhttp.Config, error) {
	c, err := fetchhttp.NewConfig(fetchhttp.Defaults{Pkg: "yahoo", BaseURL: BaseURLDefault, UserAgent: UserAgentDefault}, opts)
	if c.CookieURL == "" {
		c.CookieURL = CookieURLDefault
		if c.BaseURL != BaseURLDefault {
			c.CookieURL = c.BaseURL + "/"
		}
	}
	return c, err
}
