// Package backfill is the core of pricefill: the [Runner] and the small
// interfaces it is built from.
//
// # The parts
//
//	Fetcher    Fetch(ctx, symbol, range) (*Series, error)    a provider: backfill/yahoo, stooq, …
//	Store      Save(ctx, SaveRequest) (SaveResult, error)    where bars go: package store, or yours
//	Limiter    Wait(ctx) error                               pacing: package ratelimit
//	Validator  Validate(now, range, asset, cal, bar) error   which bars may be stored: package validate
//	Queue      Enqueue, Claim, Extend, Finish, Summarize     the tasks: queue.Queue, package queue or store
//
// [New] takes a Fetcher and a Store; everything else has a default (see the
// With… options). Each interface that users implement has an adapter
// function type ([FetcherFunc], [LimiterFunc], [ValidatorFunc]); optional
// behaviour is a separate interface checked once, in New: a limiter that
// is a [Feedback] hears how each request went, a [StatusReporter] has its
// budget shown in progress and reports, a [Forecaster] has it used by
// [Runner.Plan], and a store that is a [TaskCompleter] of the runner's
// queue completes each task in the transaction that stores its bars, and
// a store that is a [HoleKeeper] remembers the days the provider did not
// serve.
//
// # A run
//
// [Runner.Run] queues one task per symbol (idempotently: a re-run finds the
// same tasks, and skips the completed ones unless the store, a
// [DateLister], now misses final sessions of their range), then workers
// claim tasks and,
// for each, wait on the limiter, fetch, validate every bar, store the valid
// ones and record the task's end. Every request to the provider waits on
// the limiter: the Runner waits before calling Fetch, and a fetcher that
// needs more requests for one fetch (Yahoo's session cookie and crumb)
// waits through [Pace] before each of the others. What becomes of a task:
//
//	outcome of the fetch             task becomes          attempts
//	bars (some maybe invalid)        completed             unchanged
//	rate limited (429, quota)        rate_limited, retried after Retry-After; the limiter cools down
//	provider unreachable             pending again, retried once the provider is back   unchanged
//	transient while the provider     pending again (the limiter's outage breaker is open) unchanged
//	  is down
//	transient (network, 5xx, …)      failed, retried after 5, 10, 20, 40, 80 s    +1
//	transient, last attempt          permanently_failed                           +1
//	not found, permanent             permanently_failed                           unchanged
//
// One symbol's failure never stops the others, and the provider's never
// counts as one: Run returns an error only when the run itself cannot go
// on, such as when the limiter gives up on an outage (its error matches
// [pricefill.ErrUnavailable]), and then every task is left as it was, to
// resume. Retries happen within the run, which
// ends when every task is completed or permanently failed, or when its
// context ends. Then no new task is claimed; tasks in flight have a grace
// period to finish and are otherwise given back to the queue, so a later
// run resumes where this one stopped. A worker renews its task's lease
// while it works, and the run beats every [HeartbeatInterval]; a task whose
// worker died is claimed again once its run's heartbeat lapses
// ([HeartbeatTimeout]) or, where the queue cannot tell, once its lease
// expires. A worker whose task was taken over meanwhile (it stalled past
// its lease) stores nothing over the other's work, and the report counts
// the task as taken over.
//
// # Several providers
//
// A [Fallback] is a Fetcher of several providers ([Provider]: a name, a
// Fetcher and a Limiter each), tried in order for each symbol: a symbol
// that one does not know, or cannot serve now, goes to the next, and one
// whose outage breaker is open is passed over. Each keeps its own budget
// and hears of its own answers. Give the Fallback to the Runner as its
// limiter too: a run then stops, nothing lost, only once every provider
// has been down for its outage timeout. The report says which provider
// served each symbol.
//
// # Days missing, and holes
//
// With a [DateLister] store a task fetches only the trading days its
// range misses whose session is over at the exchange's close (see
// [WithCalendarFor]), nearby gaps joined into one request. A trading day
// asked for and not served with a valid bar is a [Hole]: the provider left
// it out, listed it without prices ([pricefill.Series.Nulls]), or served a
// bar that failed validation. A [HoleKeeper] store remembers each with its
// reason, and the day is not asked for again until its back-off has
// passed ([DefaultHoleBackoff], [WithHoleBackoff]) or the run is forced:
// a rerun with nothing new makes no request. A rerun also checks the
// tasks that earlier runs completed against the store, and fetches what
// they miss since: deleted days, a session that was still open, a day the
// provider served late.
//
// # Corporate actions and restated history
//
// The dividends and splits a fetcher reports ([pricefill.Series]) go to
// the store with the bars, within the task's range; an [ActionLister]
// keeps them. A provider restates every earlier adjusted close when a
// dividend or split happens, so with a [BarLister] store each fetch of
// the days missing starts at the last stored day before them (the same
// request, a day more). When the answer has a new dividend or split, or
// another adjusted close of that day, the task's range is fetched again
// once and its changed days replaced, as [WithForce] would: the stored
// adjusted closes stay true, and the report counts the symbol restated.
//
// # Reports
//
// Run returns a [Report]: totals, failures with their reasons, bars
// inserted, updated, skipped and rejected (by rule), requests, time spent
// waiting on the limiter, and the source that served each symbol (the
// Source of its bars). While it runs, [WithProgress] receives a
// [Progress] each time another tenth of the tasks (or ten tasks) is done,
// and at least every 30 seconds.
//
// # Metrics
//
// [WithMetrics] registers the runner's Prometheus metrics on a registry
// of yours (bars by outcome, rejects and drops by rule, tasks by the
// status they end in, the tasks of the runs going on by state, runs and
// their durations) together with the limiter's and the fetcher's, where
// they are collectors. Without it nothing is registered anywhere.
package backfill
