package alphavantage

import "github.com/pricefill/pricefill/backfill/httpopt"

const (
	// BaseURLDefault is Alpha Vantage's host.
	BaseURLDefault = "https://www.alphavantage.co"
	// UserAgentDefault says who is asking.
	UserAgentDefault = "pricefill (+https://github.com/pricefill/pricefill)"
	// EnvAPIKey is the environment variable that [httpopt.WithAPIKeyFromEnv] reads.
	EnvAPIKey = "ALPHAVANTAGE_API_KEY"
	// Source is the Source of every bar this fetcher returns.
	Source = "alphavantage"
)

func newConfig(opts []httpopt.Option) (httpopt.Config, error) {
	return httpopt.NewConfig(httpopt.Defaults{
		Pkg: "alphavantage", BaseURL: BaseURLDefault, UserAgent: UserAgentDefault,
		KeyRequired: true, KeyEnv: EnvAPIKey,
	}, opts)
}
