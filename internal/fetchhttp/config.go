package fetchhttp

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/internal/redact"
)

// A Config is what every HTTP fetcher is configured with, written by the
// [Option] values that each provider's With… functions return and filled
// by [NewConfig].
//
// Every option keeps one rule: nil or zero (the empty string included)
// means the default; a value that cannot be used (a negative size, a URL
// that is not absolute http(s), a malformed key) is an error from the
// provider's New, naming the option ("yahoo.WithMaxBody: …").
type Config struct {
	// Pkg names the fetcher's package in error texts, such as "yahoo".
	Pkg       string
	BaseURL   string
	Client    *http.Client
	UserAgent string
	// APIKey is the key, or empty for none.
	APIKey  string
	MaxBody int64
	Clock   pricefill.Clock
	// CookieURL is the page that sets a session cookie, for a provider
	// that needs one (Yahoo); empty for none.
	CookieURL string

	errs []error
}

// An Option configures an HTTP fetcher: the same type for every provider,
// each of which names it Option and offers the With… functions it takes.
type Option func(*Config)

// Fail records an error of the option named option, such as "WithAPIKey".
func (c *Config) Fail(option, format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("%s.%s: %s", c.Pkg, option, fmt.Sprintf(format, args...)))
}

// WithBaseURL sets the scheme and host (and an optional path prefix) of
// the provider's endpoints, without a trailing slash; empty means the
// provider's default, and one that is not an absolute http(s) URL without
// a query is an error.
func WithBaseURL(u string) Option {
	return func(c *Config) { c.BaseURL = strings.TrimRight(u, "/") }
}

// WithHTTPClient sets the client that sends the requests; nil means the
// default, [NewClient].
func WithHTTPClient(hc *http.Client) Option { return func(c *Config) { c.Client = hc } }

// WithUserAgent sets the User-Agent header; empty means the provider's
// default.
func WithUserAgent(ua string) Option { return func(c *Config) { c.UserAgent = ua } }

// WithAPIKey sets the API key, checked by [ValidateAPIKey]; empty means
// none (the default).
func WithAPIKey(key string) Option {
	return func(c *Config) {
		if key == "" {
			return
		}
		if err := ValidateAPIKey(c.Pkg+".WithAPIKey", key); err != nil {
			c.errs = append(c.errs, err)
		}
		c.APIKey = key
	}
}

// WithAPIKeyFromEnv sets the API key from the environment variable env
// when it is set and not empty; else it leaves the key alone.
func WithAPIKeyFromEnv(env string) Option {
	return func(c *Config) {
		if key := os.Getenv(env); key != "" {
			WithAPIKey(key)(c)
		}
	}
}

// WithMaxBody sets the cap on a body; 0 means the default,
// [MaxBodyDefault], a negative size is an error.
func WithMaxBody(n int64) Option {
	return func(c *Config) {
		if n < 0 {
			c.Fail("WithMaxBody", "%d bytes is negative", n)
		}
		c.MaxBody = n
	}
}

// WithClock sets the clock; nil means the default,
// [pricefill.SystemClock].
func WithClock(clock pricefill.Clock) Option { return func(c *Config) { c.Clock = clock } }

// WithCookieURL sets the page fetched for a session cookie; empty means
// the provider's default (which [NewConfig] leaves to it), and one that is
// not an absolute http(s) URL is an error.
func WithCookieURL(u string) Option { return func(c *Config) { c.CookieURL = u } }

// Defaults are what a provider fills in where its options left a zero.
type Defaults struct {
	// Pkg names the provider's package in error texts, such as "yahoo".
	Pkg       string
	BaseURL   string
	UserAgent string
	// KeyRequired makes New fail without an API key; KeyEnv names the
	// environment variable of WithAPIKeyFromEnv in that error.
	KeyRequired bool
	KeyEnv      string
}

// NewConfig applies opts, fills what they left zero from d, [NewClient],
// [MaxBodyDefault] and the system clock (but not CookieURL), checks the
// URLs, and returns the errors of the options, joined.
func NewConfig(d Defaults, opts []Option) (Config, error) {
	c := Config{Pkg: d.Pkg}
	for _, o := range opts {
		o(&c)
	}
	if d.KeyRequired && c.APIKey == "" {
		c.Fail("WithAPIKey", "an API key is required (or WithAPIKeyFromEnv and %s)", d.KeyEnv)
	}
	if c.CookieURL != "" {
		if err := ValidateBaseURL(c.Pkg+".WithCookieURL", strings.TrimRight(c.CookieURL, "/")); err != nil {
			c.Fail("WithCookieURL", "%q is not an absolute http(s) URL", redact.URL(c.CookieURL))
		}
	}
	if c.BaseURL == "" {
		c.BaseURL = d.BaseURL
	}
	if err := ValidateBaseURL(c.Pkg+".WithBaseURL", c.BaseURL); err != nil {
		c.errs = append(c.errs, err)
	}
	if c.Client == nil {
		c.Client = NewClient()
	}
	if c.UserAgent == "" {
		c.UserAgent = d.UserAgent
	}
	if c.MaxBody <= 0 {
		c.MaxBody = MaxBodyDefault
	}
	if c.Clock == nil {
		c.Clock = pricefill.SystemClock()
	}
	return c, errors.Join(c.errs...)
}
