package alphavantage

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/internal/fetchhttp"
)

const (
	// BaseURLDefault is Alpha Vantage's host.
	BaseURLDefault = "https://www.alphavantage.co"
	// UserAgentDefault says who is asking.
	UserAgentDefault = "pricefill (+https://github.com/pricefill/pricefill)"
	// MaxBodyDefault caps a response body.
	MaxBodyDefault = fetchhttp.MaxBodyDefault
	// EnvAPIKey is the environment variable that [WithAPIKeyFromEnv] reads.
	EnvAPIKey = "ALPHAVANTAGE_API_KEY"
	// Source is the Source of every bar this fetcher returns.
	Source = "alphavantage"
)

type config struct {
	baseURL   string
	client    *http.Client
	userAgent string
	apiKey    string
	maxBody   int64
	clock     pricefill.Clock
	errs      []error
}

// An Option configures a [Fetcher].
type Option func(*config)

// WithBaseURL sets the scheme and host (and an optional path prefix) of the
// query endpoint, for tests and proxies. Default [BaseURLDefault].
func WithBaseURL(u string) Option {
	return func(c *config) { c.baseURL = strings.TrimRight(u, "/") }
}

// WithHTTPClient sets the client that sends the requests. Default: one
// with the default transport whose requests time out after 30 s. nil is
// an error.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) {
		if hc == nil {
			c.errs = append(c.errs, errors.New("alphavantage.WithHTTPClient: nil client"))
		}
		c.client = hc
	}
}

// WithUserAgent sets the User-Agent header. Default [UserAgentDefault];
// an empty string means the default.
func WithUserAgent(ua string) Option {
	return func(c *config) { c.userAgent = ua }
}

// WithAPIKey sets the API key sent as the apikey parameter. It is
// required: [New] fails without one. The key never appears in an error.
func WithAPIKey(key string) Option {
	return func(c *config) {
		if err := fetchhttp.ValidateAPIKey("alphavantage.WithAPIKey", key); err != nil {
			c.errs = append(c.errs, err)
		}
		c.apiKey = key
	}
}

// WithAPIKeyFromEnv sets the API key from the environment variable
// [EnvAPIKey] when it is set and not empty; else it leaves the key alone.
func WithAPIKeyFromEnv() Option {
	return func(c *config) {
		if key := os.Getenv(EnvAPIKey); key != "" {
			WithAPIKey(key)(c)
		}
	}
}

// WithMaxBody caps the size of a response body, in bytes: a longer body
// is a permanent error, never data cut short. Default [MaxBodyDefault];
// 0 means the default, a negative size is an error.
func WithMaxBody(n int64) Option {
	return func(c *config) { c.maxBody = n }
}

// WithClock sets the clock that tells today, which decides between
// outputsize compact and full, and by which a Retry-After date is read
// when the response has no Date header. Default [pricefill.SystemClock]; nil is an
// error.
func WithClock(clock pricefill.Clock) Option {
	return func(c *config) {
		if clock == nil {
			c.errs = append(c.errs, errors.New("alphavantage.WithClock: nil clock"))
		}
		c.clock = clock
	}
}

func (c *config) withDefaults() {
	if c.baseURL == "" {
		c.baseURL = BaseURLDefault
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
	if err := fetchhttp.ValidateBaseURL("alphavantage.WithBaseURL", c.baseURL); err != nil {
		errs = append(errs, err)
	}
	if c.apiKey == "" && len(c.errs) == 0 {
		errs = append(errs, errors.New("alphavantage: an API key is required (WithAPIKey, or WithAPIKeyFromEnv and "+EnvAPIKey+")"))
	}
	if c.maxBody < 0 {
		errs = append(errs, fmt.Errorf("alphavantage.WithMaxBody: %d bytes is negative", c.maxBody))
	}
	return errors.Join(errs...)
}
