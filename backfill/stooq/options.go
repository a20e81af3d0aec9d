package stooq

import "github.com/pricefill/pricefill/backfill/httpopt"

const (
	// BaseURLDefault is Stooq's host.
	BaseURLDefault = "https://stooq.com"
	// UserAgentDefault says who is asking.
	UserAgentDefault = "pricefill (+https://github.com/pricefill/pricefill)"
	// EnvAPIKey is the environment variable that [httpopt.WithAPIKeyFromEnv] reads.
	EnvAPIKey = "STOOQ_API_KEY"
	// Source is the Source of every bar this fetcher returns.
	Source = "stooq"
)

func newConfig(opts []httpopt.Option) (httpopt.Config, error) {
	return httpopt.NewConfig(httpopt.Defaults{Pkg: "stooq", BaseURL: BaseURLDefault, UserAgent: UserAgentDefault, KeyEnv: EnvAPIKey}, opts)
}
