// Package ratelimit paces requests to a market-data provider. Its
// [Limiter] is the [github.com/pricefill/pricefill/backfill.Limiter] and [github.com/pricefill/pricefill/backfill.CoolDowner] that a
// backfill's workers share: every worker calls [Limiter.Wait] before each
// request and reports each answer with [Limiter.CoolDown] or
// [Limiter.Recovered].
//
// # The model
//
// A Limiter grants one request per successful call of Wait, and it grants
// no two requests closer than the interval ([WithInterval], 1 s by
// default), no more requests than the hourly limit in any rolling hour
// ([WithHourlyLimit], 2000), and none during a cool-down. The hour rolls:
// a grant at 10:59:59 still counts at 11:00:30 and stops counting at
// 11:59:59; it is not a clock-hour bucket. A cool-down begins when the
// caller reports a rate-limit response with CoolDown, holds back every
// waiter, and lasts the longer of the server's Retry-After (capped by
// [WithMaxRetryAfter], 10 min) and the exponential step of the run of
// consecutive rate-limit responses (5, 10, 20, 40, 80, 80… s, see
// [WithCoolDown]), a run that Recovered ends. Waiters are served first
// come, first served. A Wait whose context ends returns ctx.Err() at once,
// having used no budget and delayed nobody. A Limiter is safe for
// simultaneous use by many goroutines; it reads the time from a
// [pricefill.Clock] ([WithClock]) so tests drive it exactly.
//
// # Cool-downs and bursts
//
// Several workers whose requests are in flight together get their 429s
// together. Were each counted as a step, one burst of four refusals would
// cool down for 5+10+20+40 s, or start at the fourth step. So steps are
// counted per cool-down, not per call: a refusal that arrives while a
// cool-down runs answers a request granted before it began (none is
// granted during one), so it belongs to the same burst and only extends
// the cool-down to now plus the current step, or plus its Retry-After if
// longer. The next step is counted by the first refusal after the
// cool-down ended:
//
//	time  call                  step  waiters held until
//	0 s   CoolDown(0)           1     5 s
//	0 s   CoolDown(0)  ×3       1     5 s     (same burst)
//	3 s   CoolDown(0)           1     8 s     (extended, no new step)
//	9 s   CoolDown(0)           2     19 s
//	19 s  CoolDown(2 min)       3     2 min 19 s (Retry-After 2 min > 20 s)
//	30 s  Recovered()           0     2 min 19 s (not cut short)
//	3 min CoolDown(0)           1     3 min 5 s
//
// The limiter cannot tell which request a refusal answers, so a refusal
// of a slow request that arrives after its burst's cool-down ended counts
// as the next step: erring on the slow side.
//
// # How it works
//
// Wait locks a mutex; when nobody is queued and a grant is allowed now,
// it records the grant and returns, with no allocation, goroutine or
// timer. Otherwise the caller joins a FIFO queue. Only the head of the
// queue holds a timer, set to the exact time the next grant is allowed;
// the others block on a channel until the waiters before them have left.
// Nothing polls: a timer fires only when a grant may be due, and is set
// again only if a cool-down began meanwhile. A waiter whose context ends
// leaves the queue, and if it was the head the next one takes its place at
// once. The grants of the rolling hour are kept in a ring buffer of at
// most hourly-limit entries, 8 bytes each (16 KB for 2000).
//
// # Why not golang.org/x/time/rate
//
// Its token bucket of burst 1 is exactly the minimum interval, and
// nothing more of this model fits on top of it: its Wait reads time.Now
// and makes its own timers, so an injected clock would not drive it; its
// Cancel gives back only what no later reservation has counted on, so a
// cancelled waiter would still delay the ones behind it; its Wait returns its
// own error, not ctx.Err(), when the context's deadline is nearer than the
// wait; and a rolling hour is not a token bucket (a bucket of 2000 refilled
// at 2000 an hour lets almost 4000 through in the first hour). Layering
// the hour, the cool-down and a FIFO queue over it would leave it little
// to do, so the package has its own scheduler, of about a hundred lines,
// and no dependency.
//
// # From the seed plan
//
//	seed plan                          here
//	wait_if_needed()                   Wait(ctx): waits, then counts the request as made
//	record_request()                   (none) Wait records the grant as it returns nil, so
//	                                   no other request can slip between check and record
//	handle_rate_limit_error(attempt)   CoolDown(retryAfter): the limiter counts the run of
//	                                   refusals itself, and Recovered() ends it
//	get_hourly_count()                 HourlyCount(), or HourlyCountAt(t) at an exact time
//
// # A budget shared by several processes
//
// Processes on several machines that share one provider must share one
// budget. The decisions (the last grant, the grants of the hour, the
// cool-down and its steps) sit behind a small internal interface, the
// ledger, that the Limiter calls with the time, under its lock, only for
// the waiter at the head of its queue. A shared limiter will implement
// the ledger over PostgreSQL, in a transaction on a row locked FOR UPDATE
// (a table of the hour's grants, pruned as they age, and a row holding
// the last grant and the cool-down), and keep this package's queue,
// timers and cancellation per process, behind the same [github.com/pricefill/pricefill/backfill.Limiter]
// and [github.com/pricefill/pricefill/backfill.CoolDowner] interfaces.
//
// # Performance
//
// The cost of Wait when it grants at once, with no interval and a budget
// it never spends, measured with
//
//	go test -bench . -benchmem -run '^$' ./ratelimit
//
// on go1.26.8 linux/amd64, an AMD EPYC virtual machine with nproc 2
// (GOMAXPROCS 2, so the parallel benchmark runs 32×2 goroutines), three
// runs:
//
//	BenchmarkWait-2            82.60  82.66  82.29 ns/op   18 B/op   0 allocs/op
//	BenchmarkWaitParallel-2   175.6  177.4  178.1  ns/op   19 B/op   0 allocs/op
//
// The machine is shared and noisy: an earlier run of the same code gave
// 130.1 and 127.7 ns/op.
//
// Reading the system clock is most of it (about 60% of the CPU profile of
// BenchmarkWait on that machine). The bytes per op are the ring buffer:
// with a budget that never binds, it keeps every grant of the benchmark
// (8 bytes each, grown by doubling); with a real budget it stops growing
// at 8 bytes times the hourly limit.
package ratelimit
