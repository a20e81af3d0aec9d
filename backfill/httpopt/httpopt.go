package httpopt

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/internal/fetchhttp"
	"github.com/pricefill/pricefill/internal/redact"
)

// MaxBodyDefault is the default cap on a response body: 16 MiB.
const MaxBodyDefault = fetchhttp.MaxBodyDefault

// A Config is what an HTTP fetcher is configured with: what its options
// wrote, and its defaults where they left a zero (see [NewConfig]). A
// provider's New builds one; its fields are for the provider's code.
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

	keyFromEnv bool // WithAPIKeyFromEnv was given
	errs       []error
}

// An Option configures an HTTP fetcher: the same type for every provider.
type Option func(*Config)

// Fail records an error of the option named option, such as
// "WithAPIKey", for [NewConfig] to return.
func (c *Config) Fail(option, format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("%s: %s", c.optionName(option), fmt.Sprintf(format, args...)))
}

// optionName names option in an error: "yahoo: httpopt.WithMaxBody".
func (c *Config) optionName(option string) string {
	return c.Pkg + ": httpopt." + option
}

// WithBaseURL sets the scheme and host (and an optional path prefix) of
// the provider's endpoints, without a trailing slash; empty means the
// provider's default, and one that is not an absolute http(s) URL without
// a query is an error.
func WithBaseURL(u string) Option {
	return func(c *Config) { c.BaseURL = strings.TrimRight(u, "/") }
}

// WithHTTPClient sets the client that sends the requests; nil means the
// default, a client with the default transport whose requests time out
// after 30 s.
func WithHTTPClient(hc *http.Client) Option { return func(c *Config) { c.Client = hc } }

// WithUserAgent sets the User-Agent header; empty means the provider's
// default.
func WithUserAgent(ua string) Option { return func(c *Config) { c.UserAgent = ua } }

// WithAPIKey sets the API key: 1 to 256 printable ASCII characters,
// which never appears in an error. Empty means none, the default; a
// provider that takes no key (Yahoo) refuses one.
func WithAPIKey(key string) Option {
	return func(c *Config) {
		if key == "" {
			return
		}
		if err := fetchhttp.ValidateAPIKey(c.optionName("WithAPIKey"), key); err != nil {
			c.errs = append(c.errs, err)
		}
		c.APIKey = key
	}
}

// WithAPIKeyFromEnv sets the API key from the provider's environment
// variable (such as STOOQ_API_KEY; each provider names it EnvAPIKey) when
// it is set and not empty; else it leaves the key alone. A provider that
// takes no key refuses it.
func WithAPIKeyFromEnv() Option { return func(c *Config) { c.keyFromEnv = true } }

// WithMaxBody caps the size of a response body, in bytes: a longer body
// is a permanent error, never data cut short. Zero means the default,
// [MaxBodyDefault]; a negative size is an error.
func WithMaxBody(n int64) Option {
	return func(c *Config) {
		if n < 0 {
			c.Fail("WithMaxBody", "%d bytes is negative", n)
		}
		c.MaxBody = n
	}
}

// WithClock sets the clock by which a Retry-After date is read when the
// response has no Date header (and, for Alpha Vantage, which tells today);
// nil means the default, [pricefill.SystemClock].
func WithClock(clock pricefill.Clock) Option { return func(c *Config) { c.Clock = clock } }

// Defaults are what a provider fills in where its options left a zero.
type Defaults struct {
	// Pkg names the provider's package in error texts, such as "yahoo".
	Pkg       string
	BaseURL   string
	UserAgent string
	// KeyEnv names the environment variable of WithAPIKeyFromEnv; empty
	// for a provider that takes no key, which refuses one.
	KeyEnv string
	// KeyRequired makes New fail without an API key.
	KeyRequired bool
}

// NewConfig applies opts, fills what they left zero from d, a default
// client, [MaxBodyDefault] and the system clock (but not CookieURL, which
// only the provider that needs it fills), checks the URLs and the key, and
// returns the errors of the options, joined, each naming its option.
func NewConfig(d Defaults, opts []Option) (Config, error) {
	c := Config{Pkg: d.Pkg}
	for _, o := range opts {
		o(&c)
	}
	if c.keyFromEnv && d.KeyEnv != "" {
		if key := os.Getenv(d.KeyEnv); key != "" {
			WithAPIKey(key)(&c)
		}
	}
	switch {
	case d.KeyEnv == "" && (c.APIKey != "" || c.keyFromEnv):
		c.Fail("WithAPIKey", "%s takes no API key", d.Pkg)
	case d.KeyRequired && c.APIKey == "":
		c.Fail("WithAPIKey", "an API key is required (or WithAPIKeyFromEnv and %s)", d.KeyEnv)
	}
	if c.CookieURL != "" {
		if err := fetchhttp.ValidateBaseURL(c.Pkg+".WithCookieURL", strings.TrimRight(c.CookieURL, "/")); err != nil {
			c.errs = append(c.errs, fmt.Errorf("%s.WithCookieURL: %q is not an absolute http(s) URL", c.Pkg, redact.URL(c.CookieURL)))
		}
	}
	if c.BaseURL == "" {
		c.BaseURL = d.BaseURL
	}
	if err := fetchhttp.ValidateBaseURL(c.optionName("WithBaseURL"), c.BaseURL); err != nil {
		c.errs = append(c.errs, err)
	}
	if c.Client == nil {
		c.Client = fetchhttp.NewClient()
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
