// Package ratelimit keeps the budget of a market-data provider: how fast,
// how much and when requests may go to it. Its [Limiter] is the
// [github.com/pricefill/pricefill/backfill.Limiter] (and
// [github.com/pricefill/pricefill/backfill.Feedback]) that a backfill's
// workers share: each calls [Limiter.Wait] before a request, then reports
// the answer with [Limiter.Answered], [Limiter.Refused] or
// [Limiter.Failed].
//
// # The budget
//
// A Limiter grants one request per successful Wait, and none
//
//	closer than the interval to the last grant   WithInterval, 1 s (the adaptive pace may stretch it)
//	beyond the limit of any rolling hour         WithHourlyLimit, 2000; 0 for none
//	beyond the limit of any rolling day          WithDailyLimit, none by default
//	during a cool-down after a refusal           the server's Retry-After, as given (capped at 10 min),
//	                                             else 5, 10, 20, 40, 80, 80… s for refusals in a row
//	while a quota is used up                     until its reset, or an hour when the provider does not say
//	while the outage breaker is open             but one probe, 5 s after it opened, then 10, 20, 40, 60, 60… s apart
//
// The windows roll: a grant at 10:59:59 still counts at 11:00:30 and stops
// counting at 11:59:59; they are not clock-hour buckets. Refusals that
// arrive during a running cool-down answer requests granted before it
// began, so they belong to the same burst: they extend the cool-down but
// count no further step. Within a process, waiters are served first come,
// first served, and a Wait whose context ends returns ctx.Err() at once,
// having used no budget and delayed nobody.
//
// # One budget for the fleet
//
// The budget's state lives in a [Ledger], under the limiter's name
// ([WithName]; by convention the source's, such as "yahoo"). By default a
// limiter has an in-memory ledger of its own. Limiters of the same name on
// one ledger share one budget: package store keeps a ledger in the
// database, so that every process that opens it (replicas of a service,
// restarts of the program) draws on one interval, one rolling hour and
// day, one cool-down, one pace and one breaker. On PostgreSQL the
// database's clock decides, so machines whose clocks disagree keep one
// schedule.
//
// Every decision is made in one place, this package's, inside
// [Ledger.Update]: a ledger only makes each update atomic, tells it the
// time, and keeps the state and the grants of the last day. Within a
// process only the first waiter asks the ledger, so a grant costs one
// update (one database transaction for a shared ledger) and the others
// wait on their own channel. A waiter re-asks at least every minute, and
// every second while the breaker is open, since other processes may have
// closed it.
//
// # Adaptive pace
//
// A refusal for rate is a sign the provider allows less than the interval
// asks. Its first refusal of a burst lowers the budget's pace to
// [PaceDecrease] (0.8) of the rate refused and remembers that rate as the
// ceiling. Each answer then closes 5 % of the gap to 0.95 of the ceiling,
// so the pace is soon just under it; from there it creeps up by 0.01 % an
// answer, and once past the ceiling grows by 1 % an answer back to the
// interval's rate. A fleet whose rate is above the provider's real limit
// so settles just under it, meeting a refusal now and then rather than one
// after another. [WithAdaptivePace](false) turns it off.
//
// # Outage breaker
//
// Some failures say nothing about the symbol asked for: the provider
// could not be reached (DNS, a refused connection, TLS: they match
// [github.com/pricefill/pricefill.ErrUnavailable]), or a timeout, a reset
// connection, a 5xx or a body that cannot be read came for several
// different symbols in a row. [Limiter.Failed] counts them: after
// [BreakerFailuresDefault] (5) in a row from [BreakerSymbols] (3)
// different symbols, where a failure to reach the provider counts as a
// different symbol each time, the breaker opens (as a circuit breaker's
// "open" state, with each probe its "half-open" one). While it is open,
// every waiter of every process holds, only probes go out, and Failed
// reports it open, so that the runner charges no symbol an attempt. The
// first answer closes it. After [WithOutageTimeout] (15 min) of a
// continuous outage, Wait returns an [*OutageError] naming the provider,
// the time it went down and the latest failure. A limiter gives up only
// on an outage it has watched for the whole timeout: one that first asks
// for a grant after the breaker opened counts the timeout from then, so
// that a run started again once another gave up probes again, rather
// than giving up at once on the breaker the ledger keeps open. A limiter
// that gave up keeps giving up while the outage lasts: a run that means
// to try again takes a new one, as a new process of the program does.
//
// # A provider that only refuses
//
// Refusals for rate hold requests back for a while, not for good: a
// provider that refuses every request would keep a run going for ever,
// cooling down and trying again. So a run of refusals ends like an
// outage: once every answer has been a refusal for rate for the outage
// timeout, from the first of them ([State].RefusingSince, shared by the
// fleet), Wait returns a [*RefusingError], which matches
// [github.com/pricefill/pricefill.ErrUnavailable] as an [*OutageError]
// does. An answer ends the run of refusals; so does a quota's refusal,
// which says when requests resume; failures do not. As with an outage, a
// limiter gives up only on refusals it has watched for the whole timeout:
// a run started again once another gave up sends requests again (at the
// pace of the cool-downs), and goes on as soon as one is answered.
//
// # Metrics
//
// A Limiter is a [github.com/prometheus/client_golang/prometheus.Collector]
// of what this process saw: the requests by outcome, the grants, the time
// spent waiting by what held it back (the waiters before, the interval, a
// cool-down, the hourly or daily budget, a quota, the breaker) and the
// breaker's state, each series labelled with the limiter's name as
// provider (see [Limiter.Describe] for the list). It registers nowhere by
// itself. The counts live in memory, updated with atomic operations, so a
// scrape reads no ledger; every process of a fleet exports its own view,
// summed in PromQL.
//
// # Why not sony/gobreaker or golang.org/x/time/rate
//
// gobreaker's vocabulary is used here, but not the package: it reads
// time.Now (neither a test's clock nor the database's), keeps its open
// state for one fixed timeout (not probes at growing intervals), sees only
// counts when deciding to trip (not how many symbols failed), and its
// distributed breaker keeps JSON under a lock taken by polling with
// sleeps, in an update of its own beside the budget's. Here the breaker is
// a few fields of the budget, decided in the same update as the grant.
//
// x/time/rate's token bucket of burst 1 is the minimum interval, and
// nothing more of this model fits on top of it: its Wait reads time.Now
// and makes its own timers; its Cancel gives back only what no later
// reservation has counted on; a rolling hour is not a token bucket (a
// bucket of 2000 refilled at 2000 an hour lets almost 4000 through in the
// first hour); and its state cannot live in a database.
//
// # Performance
//
// BenchmarkWait measures a grant from the in-memory ledger (go test
// -bench . -benchmem -run '^$' ./ratelimit); a grant through the
// database's ledger is a transaction. The README lists the figures of
// both.
package ratelimit
