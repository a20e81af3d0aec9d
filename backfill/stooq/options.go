package stooq

import (
	"net/http"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/internal/fetchhttp"
)

const (
	// BaseURLDefault is Stooq's host.
	BaseURLDefault = "https://stooq.com"
	// UserAgentDefault says who is asking.
	UserAgentDefault = "pricefill (+https://github.com/pricefill/pricefill)"
	// MaxBodyDefault caps a response body.
	MaxBodyDefault = fetchhttp.MaxBodyDefault
	// EnvAPIKey is the environment variable that [WithAPIKeyFromEnv] reads.
	EnvAPIKey = "STOOQ_API_KEY"
	// Source is the Source of every bar this fetcher returns.
	Source = "stooq"
)

// An Option configures a [Fetcher]. It is the option type of every HTTP
// provider of the module (yahoo, stooq, alphavantage), with one rule: nil
// or zero means the default; a value that cannot be used is an error from
// [New] naming the option.
type Option = fetchhttp.Option

// WithBaseURL sets the scheme and host (and an optional path prefix) of the
// download endpoint, for tests and proxies. Default [BaseURLDefault].
func WithBaseURL(u string) Option { return fetchhttp.WithBaseURL(u) }

// WithHTTPClient sets the client that sends the requests. Default: one
// with the default transport whose requests time out after 30 s.
func WithHTTPClient(hc *http.Client) Option { return fetchhttp.WithHTTPClient(hc) }

// WithUserAgent sets the User-Agent header. Default [UserAgentDefault].
func WithUserAgent(ua string) Option { return fetchhttp.WithUserAgent(ua) }

// WithAPIKey sets the API key, sent as the apikey parameter: 1 to 256
// printable ASCII characters. Default none: Stooq then answers with a page
// asking for one, since 2026 (a permanent error). The key never appears
// in an error.
func WithAPIKey(key string) Option { return fetchhttp.WithAPIKey(key) }

// WithAPIKeyFromEnv sets the API key from the environment variable
// [EnvAPIKey] when it is set and not empty; else it leaves the key alone.
func WithAPIKeyFromEnv() Option { return fetchhttp.WithAPIKeyFromEnv(EnvAPIKey) }

// WithMaxBody caps the size of a response body, in bytes: a longer body
// is a permanent error, never data cut short. Default [MaxBodyDefault]; a
// negative size is an error.
func WithMaxBody(n int64) Option { return fetchhttp.WithMaxBody(n) }

// WithClock sets the clock by which a Retry-After date is read when the
// response has no Date header. Default [pricefill.SystemClock].
func WithClock(clock pricefill.Clock) Option { return fetchhttp.WithClock(clock) }

func newConfig(opts []Option) (fetchhttp.Config, error) {
	return fetchhttp.NewConfig(fetchhttp.Defaults{Pkg: "stooq", BaseURL: BaseURLDefault, UserAgent: UserAgentDefault}, opts)
}
