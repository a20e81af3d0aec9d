package ratelimit

import (
	"sort"
	"time"
)

// A ledger decides grants: it holds the last grant, the grants of the
// rolling hour and the cool-down, and is told the time by its caller.
// [Limiter] keeps one and calls it under its lock; it adds the clock, the
// queue of waiters and their timers. The ledger is the seam for a budget
// shared by several processes: one kept in PostgreSQL would implement
// these methods (with a context and an error) in a transaction over a row
// locked FOR UPDATE, while the waiters of each process still queue in
// their own Limiter.
type ledger interface {
	// grant records a grant at now and returns true when the interval, the
	// hourly limit and the cool-down allow one. Otherwise it records
	// nothing and returns the earliest time when one may be allowed (the
	// cool-down may still be extended by then).
	grant(now time.Time) (next time.Time, ok bool)
	// coolDown starts or extends a cool-down at now after a rate-limit
	// response; retryAfter is the server's Retry-After, or 0.
	coolDown(now time.Time, retryAfter time.Duration)
	// recovered ends a run of rate-limit responses.
	recovered()
	// count returns the number of grants in the hour up to t: (t−1h, t].
	count(t time.Time) int
}

// maxSteps bounds the count of consecutive rate-limit responses, which
// only needs to reach the step where the cool-down stops doubling.
const maxSteps = 64

// memLedger is the ledger of one process, in memory. It is not safe for
// concurrent use: the Limiter locks around it.
type memLedger struct {
	interval      time.Duration
	coolInitial   time.Duration
	coolMax       time.Duration
	maxRetryAfter time.Duration

	granted   bool      // whether last is set
	last      time.Time // the latest grant
	hour      window    // the grants of the rolling hour
	coolUntil time.Time // the end of the cool-down, if in the future
	steps     int       // consecutive rate-limit responses, by cool-down window
}

var _ ledger = (*memLedger)(nil)

func newMemLedger(cfg config, epoch time.Time) *memLedger {
	return &memLedger{
		interval:      cfg.interval,
		coolInitial:   cfg.coolInitial,
		coolMax:       cfg.coolMax,
		maxRetryAfter: cfg.maxRetryAfter,
		hour:          window{epoch: epoch, limit: cfg.hourlyLimit},
	}
}

func (m *memLedger) grant(now time.Time) (time.Time, bool) {
	next := now
	if m.granted {
		next = later(next, m.last.Add(m.interval))
	}
	next = later(next, m.coolUntil)
	next = later(next, m.hour.free(now))
	if next.After(now) {
		return next, false
	}
	m.hour.add(now)
	m.last, m.granted = now, true
	return now, true
}

// coolDown counts a new step once per cool-down window: a response that
// arrives while a cool-down runs came from a request granted before it
// began (none is granted during one), so it belongs to the same burst and
// only extends the window to now plus the current step, or the
// Retry-After if longer.
func (m *memLedger) coolDown(now time.Time, retryAfter time.Duration) {
	retryAfter = min(max(retryAfter, 0), m.maxRetryAfter)
	if m.steps == 0 || !now.Before(m.coolUntil) {
		m.steps = min(m.steps+1, maxSteps)
	}
	d := max(m.step(), retryAfter)
	m.coolUntil = later(m.coolUntil, now.Add(d))
}

// step returns the cool-down of the current step: coolInitial doubled
// steps−1 times, at most coolMax.
func (m *memLedger) step() time.Duration {
	d := m.coolInitial
	for i := 1; i < m.steps && d < m.coolMax; i++ {
		d *= 2
	}
	return min(d, m.coolMax)
}

func (m *memLedger) recovered() { m.steps = 0 }

func (m *memLedger) count(t time.Time) int { return m.hour.count(t) }

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// A window holds the times of the grants of the rolling hour, oldest
// first, as offsets from epoch in a ring buffer that grows up to limit
// entries and never beyond: a grant is only added when fewer than limit
// lie in the hour.
type window struct {
	epoch time.Time
	limit int

	buf  []time.Duration // the ring; its length is the capacity
	head int             // index of the oldest grant
	n    int             // number of grants held
}

// at returns the i-th oldest grant held.
func (w *window) at(i int) time.Duration { return w.buf[(w.head+i)%len(w.buf)] }

// free forgets the grants that no longer count at now and returns the
// earliest time, at or before now when there is room, at which one more
// grant fits in the hour.
func (w *window) free(now time.Time) time.Time {
	cut := now.Add(-time.Hour).Sub(w.epoch)
	for w.n > 0 && w.at(0) <= cut {
		w.head = (w.head + 1) % len(w.buf)
		w.n--
	}
	if w.n < w.limit {
		return now
	}
	return w.epoch.Add(w.at(0) + time.Hour)
}

// add records a grant at t, which must not be before the latest one held,
// and must find room in the hour (free(t) returned t at most).
func (w *window) add(t time.Time) {
	if w.n == len(w.buf) {
		w.grow()
	}
	w.buf[(w.head+w.n)%len(w.buf)] = t.Sub(w.epoch)
	w.n++
}

func (w *window) grow() {
	size := min(w.limit, max(4, 2*len(w.buf)))
	buf := make([]time.Duration, size)
	for i := range w.n {
		buf[i] = w.at(i)
	}
	w.buf, w.head = buf, 0
}

// count returns the number of grants held in (t−1h, t]. It is exact for
// any t not before the latest call of free.
func (w *window) count(t time.Time) int {
	lo, hi := t.Add(-time.Hour).Sub(w.epoch), t.Sub(w.epoch)
	first := sort.Search(w.n, func(i int) bool { return w.at(i) > lo })
	end := sort.Search(w.n, func(i int) bool { return w.at(i) > hi })
	return max(end-first, 0)
}
