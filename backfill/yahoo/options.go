package yahoo

import "github.com/pricefill/pricefill/backfill/httpopt"

const (
	// BaseURLDefault is the host of the chart and crumb endpoints.
	BaseURLDefault = "https://query2.finance.yahoo.com"
	// CookieURLDefault is the page whose answer sets Yahoo's session
	// cookie (it answers 404, with the cookie).
	CookieURLDefault = "https://fc.yahoo.com"
	// UserAgentDefault is a browser's User-Agent: Yahoo refuses the
	// default ones of HTTP libraries.
	UserAgentDefault = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
	// Source is the Source of every bar this fetcher returns.
	Source = "yahoo"
)

// WithCookieURL sets the page fetched for a session cookie before asking
// for a crumb. Default [CookieURLDefault], or the base URL's root when
// [httpopt.WithBaseURL] is set.
func WithCookieURL(u string) httpopt.Option {
	return func(c *httpopt.Config) { c.CookieURL = u }
}

func newConfig(opts []httpopt.Option) (httpopt.Config, error) {
	c, err := httpopt.NewConfig(httpopt.Defaults{Pkg: "yahoo", BaseURL: BaseURLDefault, UserAgent: UserAgentDefault}, opts)
	if c.CookieURL == "" {
		c.CookieURL = CookieURLDefault
		if c.BaseURL != BaseURLDefault {
			c.CookieURL = c.BaseURL + "/"
		}
	}
	return c, err
}
