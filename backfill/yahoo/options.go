package yahoo

import (
	"net/http"
	"strings"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/internal/fetchhttp"
	"github.com/pricefill/pricefill/internal/redact"
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

type config struct {
	fetchhttp.Config
	cookieURL string
}

// An Option configures a [Fetcher].
type Option func(*config)

// WithBaseURL sets the scheme and host (and an optional path prefix) of the
// chart and crumb endpoints, for tests and proxies. Default
// [BaseURLDefault]; when it is set and [WithCookieURL] is not, the cookie
// page is this URL's root too, so one test server can play all of Yahoo.
func WithBaseURL(u string) Option { return func(c *config) { c.SetBaseURL(u) } }

// WithCookieURL sets the page fetched for a session cookie before asking
// for a crumb. Default [CookieURLDefault], or the base URL's root when
// [WithBaseURL] is set.
func WithCookieURL(u string) Option { return func(c *config) { c.cookieURL = u } }

// WithHTTPClient sets the client that sends the requests. Default: one
// with the default transport whose requests time out after 30 s. nil is
// an error.
func WithHTTPClient(hc *http.Client) Option { return func(c *config) { c.SetClient(hc) } }

// WithUserAgent sets the User-Agent header. Default [UserAgentDefault];
// an empty string means the default.
func WithUserAgent(ua string) Option { return func(c *config) { c.SetUserAgent(ua) } }

// WithMaxBody caps the size of a response body, in bytes: a longer body
// is a permanent error, never data cut short. Default [MaxBodyDefault];
// 0 means the default, a negative size is an error.
func WithMaxBody(n int64) Option { return func(c *config) { c.SetMaxBody(n) } }

// WithClock sets the clock by which a Retry-After date is read when the
// response has no Date header. Default [pricefill.SystemClock]; nil is
// an error.
func WithClock(clock pricefill.Clock) Option { return func(c *config) { c.SetClock(clock) } }

func newConfig(opts []Option) (config, error) {
	c := config{Config: fetchhttp.Config{Pkg: "yahoo"}}
	for _, o := range opts {
		o(&c)
	}
	if c.cookieURL == "" {
		c.cookieURL = CookieURLDefault
		if c.BaseURL != "" && c.BaseURL != BaseURLDefault {
			c.cookieURL = c.BaseURL + "/"
		}
	}
	if err := fetchhttp.ValidateBaseURL("yahoo.WithCookieURL", strings.TrimRight(c.cookieURL, "/")); err != nil {
		c.Fail("WithCookieURL", "%q is not an absolute http(s) URL", redact.URL(c.cookieURL))
	}
	return c, c.Finish(BaseURLDefault, UserAgentDefault)
}
