package upstream

import (
	"net/http"
	"time"
)

// The mixed-fault scenario of the end-to-end fault tests (internal/e2e's
// TestMixedFaults, short) and of the benchmark's faults experiment (long):
// random faults drawn from [MixedFaults], the faults of [PushEveryKind]
// served first, and a few symbols the server does not know.

// MixedFaults returns what the scenario's random faults are drawn from:
// every transient fault, and a rate limit with Retry-After: 1. (Not found
// and other permanent faults would give symbols up at random; unknown
// symbols are set apart instead, with [Server.SetUnknown].) Rate limits
// are one in eleven: each stops every worker of a client for a second,
// and were they many, the stretches between them would be too short for
// a client that sends too fast to show it.
func MixedFaults() []Fault {
	return []Fault{
		rateLimitedOneSecond,
		{Kind: Status, Status: http.StatusInternalServerError},
		{Kind: Status, Status: http.StatusBadGateway},
		{Kind: Status, Status: http.StatusServiceUnavailable},
		{Kind: Status, Status: http.StatusGatewayTimeout},
		{Kind: Drop},
		{Kind: Truncate},
		{Kind: Malformed},
		{Kind: HTML},
		{Kind: ProofOfWork}, // Yahoo's outage page
		{Kind: Slow, Delay: 100 * time.Millisecond},
	}
}

// rateLimitedOneSecond is an injected 429 with Retry-After: 1.
var rateLimitedOneSecond = Fault{Kind: RateLimit, RetryAfter: "1"}

// PushEveryKindMin is the fewest symbols [Server.PushEveryKind] takes.
const PushEveryKindMin = 9

// PushEveryKindMaxTransient is the most transient faults
// [Server.PushEveryKind] gives one symbol.
const PushEveryKindMaxTransient = 2

// PushEveryKindText says in words what [Server.PushEveryKind] does, for
// reports.
const PushEveryKindText = "500 then 503 to the 1st symbol, a dropped connection then a truncated body to the 2nd, " +
	"malformed JSON then an HTML page to the 3rd, a body that stalls for a minute to the 4th, " +
	"a body 200 ms slow to the 5th, Yahoo's 429 without Retry-After to the 4th from last, " +
	"two 429s (Retry-After: 1) to the 2nd from last and one to the last"

// PushEveryKind pushes faults (see [Server.PushFaults]) to the first five
// and the last four of symbols, which must be at least
// [PushEveryKindMin], so that every kind of [MixedFaults], and Yahoo's
// quota answer, is served whatever the random draws: see
// [PushEveryKindText]. A client that fetches symbols in order meets the
// transient faults first and the 429s at the end; the two 429s in a row
// come as a burst when requests overlap. The stalled body fails a client
// whose timeout is under a minute; the slow one, 200 ms, arrives. It
// panics on fewer symbols.
func (s *Server) PushEveryKind(symbols []string) {
	n := len(symbols)
	if n < PushEveryKindMin {
		panic("upstream: PushEveryKind needs at least 9 symbols")
	}
	s.PushFaults(symbols[0], Fault{Kind: Status, Status: http.StatusInternalServerError}, Fault{Kind: Status, Status: http.StatusServiceUnavailable})
	s.PushFaults(symbols[1], Fault{Kind: Drop}, Fault{Kind: Truncate})
	s.PushFaults(symbols[2], Fault{Kind: Malformed}, Fault{Kind: HTML})
	s.PushFaults(symbols[3], Fault{Kind: Slow, Delay: time.Minute})
	s.PushFaults(symbols[4], Fault{Kind: Slow, Delay: 200 * time.Millisecond})
	s.PushFaults(symbols[n-4], Fault{Kind: Quota})
	s.PushFaults(symbols[n-2], rateLimitedOneSecond, rateLimitedOneSecond)
	s.PushFaults(symbols[n-1], rateLimitedOneSecond)
}

// EveryKind lists the kinds of fault that a run of the scenario serves:
// those of [MixedFaults] and [Server.PushEveryKind], and NotFound for the
// unknown symbols.
func EveryKind() []FaultKind {
	return []FaultKind{RateLimit, Quota, Status, Drop, Truncate, Malformed, HTML, Slow, NotFound}
}
