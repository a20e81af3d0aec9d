package yahoo

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

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

type config struct {
	baseURL   string
	cookieURL string
	client    *http.Client
	userAgent string
	maxBody   int64
	clock     pricefill.Clock
	errs      []error
}

// An Option configures a [Fetcher].
type Option func(*config)

// WithBaseURL sets the scheme and host (and an optional path prefix) of the
// chart and crumb endpoints, for tests and proxies. Default
// [BaseURLDefault]; when it is set and [WithCookieURL] is not, the cookie
// page is this URL's root too, so one test server can play all of Yahoo.
func WithBaseURL(u string) Option {
	return func(c *config) { c.baseURL = strings.TrimRight(u, "/") }
}

// WithCookieURL sets the page fetched for a session cookie before asking
// for a crumb. Default [CookieURLDefault], or the base URL's root when
// [WithBaseURL] is set.
func WithCookieURL(u string) Option {
	return func(c *config) { c.cookieURL = u }
}

// WithHTTPClient sets the client that sends the requests. Default: one
// with the default transport whose requests time out after 30 s. nil is
// an error.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) {
		if hc == nil {
			c.errs = append(c.errs, errors.New("yahoo.WithHTTPClient: nil client"))
		}
		c.client = hc
	}
}

// WithUserAgent sets the User-Agent header. Default [UserAgentDefault];
// an empty string means the default.
func WithUserAgent(ua string) Option {
	return func(c *config) { c.userAgent = ua }
}

// WithMaxBody caps the size of a response body, in bytes: a longer body
// is a permanent error, never data cut short. Default [MaxBodyDefault];
// 0 means the default, a negative size is an error.
func WithMaxBody(n int64) Option {
	return func(c *config) { c.maxBody = n }
}

// WithClock sets the clock by which a Retry-After date is read when the
// response has no Date header. Default [pricefill.SystemClock]; nil is
// an error.
func WithClock(clock pricefill.Clock) Option {
	return func(c *config) {
		if clock == nil {
			c.errs = append(c.errs, errors.New("yahoo.WithClock: nil clock"))
		}
		c.clock = clock
	}
}

func (c *config) withDefaults() {
	if c.baseURL == "" {
		c.baseURL = BaseURLDefault
	}
	if c.cookieURL == "" {
		c.cookieURL = CookieURLDefault
		if c.baseURL != BaseURLDefault {
			c.cookieURL = c.baseURL + "/"
		}
	}
	if c.client == nil {
		c.client = fetchhttp.NewClient()
	}
	if c.userAgent == "" {
		c.userAgent = UserAgentDefault
	}
	if c.maxBody == 0 {
		c.maxBody = MaxBodyDefault
	}
	if c.clock == nil {
		c.clock = pricefill.SystemClock()
	}
}

func (c *config) validate() error {
	errs := c.errs
	if err := fetchhttp.ValidateBaseURL("yahoo.WithBaseURL", c.baseURL); err != nil {
		errs = append(errs, err)
	}
	if err := fetchhttp.ValidateBaseURL("yahoo.WithCookieURL", strings.TrimRight(c.cookieURL, "/")); err != nil {
		errs = append(errs, err)
	}
	if c.maxBody < 0 {
		errs = append(errs, fmt.Errorf("yahoo.WithMaxBody: %d bytes is negative", c.maxBody))
	}
	return errors.Join(errs...)
}
