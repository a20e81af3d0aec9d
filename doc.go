// Package pricefill backfills historical daily stock prices (OHLCV) for a
// universe of symbols from market-data providers into PostgreSQL or an
// embedded SQLite file: every valid bar stored once, nothing invalid,
// within the provider's rate limit, and resumable after a crash.
//
// This root package holds the vocabulary that the other packages share: the
// [Bar], [Asset] and [Series] a fetcher returns, calendar dates ([Date],
// [DateOf], [Range]), symbols ([NormalizeSymbol]), the [Clock], and the
// error kinds by which failures are handled ([ErrNotFound],
// [ErrRateLimited], [ErrPermanent], anything else being transient).
//
// # Packages
//
//	pricefill          Bar, Range, Counts, error kinds, Clock   imports nothing of the module
//	backfill           the Runner and its interfaces    Fetcher, Store, Limiter, Validator
//	backfill/...       fetchers for the providers (yahoo, stooq, alphavantage, csvdir,
//	                   synthetic), their options (httpopt), the Store suite (storetest),
//	                   symbol lists (universe)
//	ratelimit          the Limiter
//	validate           the Validator: the bar rules and the series check
//	validate/calendar  trading calendars, sessions, gaps, completeness
//	queue              the Queue interface, states and leases; in memory; its suite (queuetest)
//	store              PostgreSQL and SQLite: Store, the SQL Queue, Ledger, migrations
//	examples/cli       the program: flags, wiring, Run
//
// # How data flows
//
//	symbols, range ──▶ Queue.Enqueue (one task per symbol)
//	worker ×N: Queue.Claim ─▶ Limiter.Wait ─▶ Fetcher.Fetch ─▶ Validator ─▶ Store.Save ─▶ Queue.Finish
//	                         ▲ rate limited: Limiter cools down, task retried later
//	                         └ transient: retried with backoff; not found, permanent: given up
//	Runner.Run ──▶ Report
//
// # Embedding
//
// A service with its own source and database implements [backfill.Fetcher]
// and [backfill.Store] (and runs package backfill/storetest on its Store)
// and runs:
//
//	r, err := backfill.New(myFetcher, myStore, backfill.WithConcurrency(8))
//	if err != nil { … }
//	report, err := r.Run(ctx, backfill.Request{
//		Symbols: []string{"AAPL", "MSFT"},
//		Range:   pricefill.LastDays(time.Now(), 365),
//	})
//
// See the examples of package backfill.
package pricefill
