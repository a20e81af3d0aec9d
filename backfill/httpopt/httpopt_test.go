package httpopt_test

import (
	"strings"
	"testing"

	"github.com/pricefill/pricefill/backfill/httpopt"
	"github.com/pricefill/pricefill/internal/fetchhttp"
)

// TestNewConfigZeroMeansDefault: options given nil or zero configure
// what no option does; bad values are errors naming their option.
func TestNewConfigZeroMeansDefault(t *testing.T) {
	t.Parallel()
	d := httpopt.Defaults{Pkg: "p", BaseURL: "https://example.com", UserAgent: "ua", KeyEnv: "P_KEY"}
	zero, err := httpopt.NewConfig(d, []httpopt.Option{httpopt.WithBaseURL(""), httpopt.WithHTTPClient(nil),
		httpopt.WithUserAgent(""), httpopt.WithAPIKey(""), httpopt.WithMaxBody(0), httpopt.WithClock(nil)})
	if err != nil {
		t.Fatal(err)
	}
	none, err := httpopt.NewConfig(d, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []httpopt.Config{zero, none} {
		if c.BaseURL != d.BaseURL || c.UserAgent != d.UserAgent || c.APIKey != "" || c.MaxBody != httpopt.MaxBodyDefault ||
			c.Client == nil || c.Client.Timeout != fetchhttp.TimeoutDefault || c.Clock == nil || c.CookieURL != "" {
			t.Errorf("config %+v, want the defaults", c)
		}
	}
	cookie := func(u string) httpopt.Option { return func(c *httpopt.Config) { c.CookieURL = u } }
	for _, tc := range []struct {
		opt  httpopt.Option
		want string
	}{
		{httpopt.WithBaseURL("example.com"), "p: httpopt.WithBaseURL"},
		{cookie("::"), "p.WithCookieURL"},
		{httpopt.WithMaxBody(-1), "p: httpopt.WithMaxBody"},
		{httpopt.WithAPIKey("a b"), "p: httpopt.WithAPIKey"},
	} {
		if _, err := httpopt.NewConfig(d, []httpopt.Option{tc.opt}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want one naming %s", err, tc.want)
		}
	}
	if _, err := httpopt.NewConfig(httpopt.Defaults{Pkg: "p", BaseURL: d.BaseURL, KeyRequired: true, KeyEnv: "P_KEY"}, nil); err == nil || !strings.Contains(err.Error(), "P_KEY") {
		t.Errorf("required key: %v, want an error naming P_KEY", err)
	}
}

// TestAPIKeyFromEnv: the key comes from the provider's variable, and a
// provider that takes no key refuses one, from the environment or not.
func TestAPIKeyFromEnv(t *testing.T) {
	t.Setenv("P_KEY", "from-env-1")
	c, err := httpopt.NewConfig(httpopt.Defaults{Pkg: "p", BaseURL: "https://example.com", KeyEnv: "P_KEY"},
		[]httpopt.Option{httpopt.WithAPIKeyFromEnv()})
	if err != nil || c.APIKey != "from-env-1" {
		t.Errorf("key %q, error %v; want the variable's, none", c.APIKey, err)
	}
	keyless := httpopt.Defaults{Pkg: "q", BaseURL: "https://example.com"}
	for _, opt := range []httpopt.Option{httpopt.WithAPIKeyFromEnv(), httpopt.WithAPIKey("k-123")} {
		_, err := httpopt.NewConfig(keyless, []httpopt.Option{opt})
		if err == nil || !strings.Contains(err.Error(), "q takes no API key") || strings.Contains(err.Error(), "k-123") {
			t.Errorf("a key for a provider without keys: %v, want an error saying so, without the key", err)
		}
	}
}
