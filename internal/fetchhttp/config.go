package fetchhttp

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/pricefill/pricefill"
)

// A Config is what every HTTP fetcher is configured with. Each fetcher's
// With… options write it through the Set methods, which note what is
// wrong; [Config.Finish] fills the defaults and reports every error once,
// each naming its option ("yahoo.WithMaxBody: …").
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

	errs []error
}

// Fail records an error of the option named option, such as "WithAPIKey".
func (c *Config) Fail(option, format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("%s.%s: %s", c.Pkg, option, fmt.Sprintf(format, args...)))
}

// SetBaseURL sets the base URL, without a trailing slash.
func (c *Config) SetBaseURL(u string) { c.BaseURL = strings.TrimRight(u, "/") }

// SetClient sets the client; nil is an error.
func (c *Config) SetClient(hc *http.Client) {
	if hc == nil {
		c.Fail("WithHTTPClient", "nil client")
	}
	c.Client = hc
}

// SetUserAgent sets the User-Agent; empty means the default.
func (c *Config) SetUserAgent(ua string) { c.UserAgent = ua }

// SetAPIKey sets the API key, checked by [ValidateAPIKey].
func (c *Config) SetAPIKey(key string) {
	if err := ValidateAPIKey(c.Pkg+".WithAPIKey", key); err != nil {
		c.errs = append(c.errs, err)
	}
	c.APIKey = key
}

// SetAPIKeyFromEnv sets the API key from the environment variable env
// when it is set and not empty.
func (c *Config) SetAPIKeyFromEnv(env string) {
	if key := os.Getenv(env); key != "" {
		c.SetAPIKey(key)
	}
}

// SetMaxBody sets the cap on a body; 0 means the default, a negative
// size is an error.
func (c *Config) SetMaxBody(n int64) {
	if n < 0 {
		c.Fail("WithMaxBody", "%d bytes is negative", n)
	}
	c.MaxBody = n
}

// SetClock sets the clock; nil is an error.
func (c *Config) SetClock(clock pricefill.Clock) {
	if clock == nil {
		c.Fail("WithClock", "nil clock")
	}
	c.Clock = clock
}

// Finish fills what was not set: baseURL, userAgent, [NewClient],
// [MaxBodyDefault] and the system clock, checks the base URL, and returns
// the errors of the options, joined.
func (c *Config) Finish(baseURL, userAgent string) error {
	if c.BaseURL == "" {
		c.BaseURL = baseURL
	}
	if err := ValidateBaseURL(c.Pkg+".WithBaseURL", c.BaseURL); err != nil {
		c.errs = append(c.errs, err)
	}
	if c.Client == nil {
		c.Client = NewClient()
	}
	if c.UserAgent == "" {
		c.UserAgent = userAgent
	}
	if c.MaxBody <= 0 {
		c.MaxBody = MaxBodyDefault
	}
	if c.Clock == nil {
		c.Clock = pricefill.SystemClock()
	}
	return errors.Join(c.errs...)
}
