// Package httpopt holds the options of the module's HTTP fetchers: Yahoo
// (backfill/yahoo), Stooq (backfill/stooq) and Alpha Vantage
// (backfill/alphavantage) take the same [Option] type, so that a program
// configures each the same way:
//
//	f, err := stooq.New(httpopt.WithAPIKeyFromEnv(), httpopt.WithHTTPClient(client))
//
// Every option keeps one rule: nil or zero (the empty string included)
// means the provider's default; a value that cannot be used (a negative
// size, a URL that is not absolute http(s), a malformed key, a key for a
// provider that takes none) is an error from the provider's New, naming
// the option. Each provider documents its defaults as constants
// (BaseURLDefault, UserAgentDefault, EnvAPIKey); an option that only one
// provider has lives in that provider's package (yahoo.WithCookieURL).
//
// [NewConfig] is for the providers themselves: it applies the options over
// a provider's [Defaults].
package httpopt
