package ratelimit

import (
	"context"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/pricefill/pricefill"
)

// A Ledger keeps the state of budgets, each under a key (a limiter's
// [WithName]), for every limiter that uses it: those of one process share
// a [MemoryLedger]; those of many processes share one kept in a database
// (package store has one for PostgreSQL and SQLite). It decides nothing:
// the limiters make every decision in Update, so that the rules are
// written once, and the ledger only makes each decision atomic and tells
// it the time.
//
// Package ledgertest holds the conformance suite every Ledger passes.
type Ledger interface {
	// Update runs fn on the entry of budget key, creating it when missing,
	// atomically with respect to every other Update of the same key,
	// whichever process calls it. The changes fn makes (to the State, and
	// the grants it adds) are kept when fn returns nil and Update returns
	// nil; when fn returns an error, none is kept and Update returns that
	// error. fn may run again if the ledger retries a transaction; it must
	// not have other effects.
	Update(ctx context.Context, key string, fn func(Entry) error) error
}

// An Entry is a budget's state during an [Ledger.Update], with the grants
// recorded of the last day.
type Entry interface {
	// Now returns the time of the update on the ledger's clock. A ledger
	// shared by several machines reads one clock for all, such as the
	// database's, so that machines whose clocks disagree keep one
	// schedule; it is not before the Now of an earlier update of the
	// same key.
	Now() time.Time
	// State returns the budget's state, for fn to read and change.
	State() *State
	// Nth returns the n-th latest grant (n ≥ 1) made after since, and
	// false when fewer than n were made after since.
	Nth(since time.Time, n int) (time.Time, bool, error)
	// Grants returns the grants made after since, oldest first.
	Grants(since time.Time) ([]time.Time, error)
	// AddGrant records a grant at Now. The ledger may forget the grants
	// older than keep, which no limit of the caller looks back past; a
	// shared one keeps those of a whole day whatever keep says, for
	// limiters of other processes whose limits look further back.
	AddGrant(keep time.Duration) error
}

// State is what the limiters that share a budget must agree on, other than
// the times of its grants: what a [Ledger] keeps for it. A zero time is
// none.
type State struct {
	// LastGrant is the time of the latest grant.
	LastGrant time.Time

	// CoolUntil ends the cool-down after a refusal for rate. Refusals
	// counts the refusals in a row, one per cool-down: it chooses the
	// length of the next cool-down that has no Retry-After.
	// RefusingSince is the time of the first refusal for rate since the
	// provider last answered or said a quota was used up: every answer
	// since has been a refusal for rate. Zero when the latest of those
	// was not one.
	CoolUntil     time.Time
	Refusals      int
	RefusingSince time.Time

	// Pace is the rate, in requests a second, to which refusals brought
	// the budget down; 0 when it runs at its limiters' own rate. Ceiling
	// is the rate that was refused last, which the pace approaches with
	// care; 0 once it is passed.
	Pace    float64
	Ceiling float64

	// HoldUntil ends a hold after the provider said a quota is used up;
	// HoldReason says which.
	HoldUntil  time.Time
	HoldReason string

	// OutageSince is when the outage breaker opened; zero while it is
	// closed. OutageCause is the latest failure while it was open, or the
	// one that opened it. NextProbe is when the next probe may go out, and
	// Probes counts those sent since it opened.
	OutageSince time.Time
	OutageCause string
	NextProbe   time.Time
	Probes      int

	// Streak counts the failures in a row that say nothing about their
	// symbol, StreakUnreachable those among them that did not reach the
	// provider at all, and StreakSymbols holds up to [BreakerSymbols]
	// different symbols of the others.
	Streak            int
	StreakUnreachable int
	StreakSymbols     []string
}

// clone returns a copy of s that shares no memory with it.
func (s State) clone() State {
	s.StreakSymbols = slices.Clone(s.StreakSymbols)
	return s
}

// A MemoryLedger keeps budgets in this process's memory: shared by the
// limiters that use it, forgotten when the process ends. It reads the time
// from its clock. It is safe for concurrent use.
type MemoryLedger struct {
	clock pricefill.Clock

	mu      sync.Mutex
	budgets map[string]*memBudget
}

var _ Ledger = (*MemoryLedger)(nil)

// NewMemoryLedger returns an empty ledger on clock; nil means
// [pricefill.SystemClock].
func NewMemoryLedger(clock pricefill.Clock) *MemoryLedger {
	if clock == nil {
		clock = pricefill.SystemClock()
	}
	return &MemoryLedger{clock: clock, budgets: make(map[string]*memBudget)}
}

type memBudget struct {
	state  State
	grants window
	last   time.Time // the latest Now, so that time never runs back
	entry  memEntry  // the entry of an update, reused under the lock
}

// Update runs fn on the budget of key under the ledger's lock.
func (m *MemoryLedger) Update(ctx context.Context, key string, fn func(Entry) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.budgets[key]
	if !ok {
		b = &memBudget{}
		m.budgets[key] = b
	}
	now := m.clock.Now()
	if now.Before(b.last) {
		now = b.last
	}
	e := &b.entry
	*e = memEntry{now: now, state: b.state.clone(), b: b}
	err := fn(e)
	e.b = nil // an Entry kept past its update reads nothing stale
	if err != nil {
		return err
	}
	b.state, b.last = e.state, now
	if e.added > 0 {
		b.grants.forget(now.Add(-e.keep))
		for range e.added {
			b.grants.add(now)
		}
	}
	return nil
}

// memEntry is an Entry of a MemoryLedger; its grants are added on commit.
type memEntry struct {
	now   time.Time
	state State
	b     *memBudget
	added int
	keep  time.Duration
}

func (e *memEntry) Now() time.Time { return e.now }
func (e *memEntry) State() *State  { return &e.state }

func (e *memEntry) Nth(since time.Time, n int) (time.Time, bool, error) {
	if n < 1 {
		return time.Time{}, false, nil
	}
	if n <= e.added {
		return e.now, e.now.After(since), nil
	}
	t, ok := e.b.grants.nth(n - e.added)
	return t, ok && t.After(since), nil
}

func (e *memEntry) Grants(since time.Time) ([]time.Time, error) {
	out := e.b.grants.after(since)
	for range e.added {
		if e.now.After(since) {
			out = append(out, e.now)
		}
	}
	return out, nil
}

func (e *memEntry) AddGrant(keep time.Duration) error {
	e.added++
	e.keep = max(e.keep, keep)
	return nil
}

// A window holds grant times, oldest first, as Unix nanoseconds (no
// pointers for the collector to scan), in a ring buffer that grows by
// doubling; forget drops those that no limit looks back to.
type window struct {
	buf  []int64 // the ring; its length is the capacity
	head int     // index of the oldest grant
	n    int     // number of grants held
}

// at returns the i-th oldest grant held.
func (w *window) at(i int) int64 { return w.buf[(w.head+i)%len(w.buf)] }

// forget drops the grants at or before cut.
func (w *window) forget(cut time.Time) {
	c := cut.UnixNano()
	for w.n > 0 && w.at(0) <= c {
		w.head = (w.head + 1) % len(w.buf)
		w.n--
	}
}

// add records a grant at t, which must not be before the latest one held.
func (w *window) add(t time.Time) {
	if w.n == len(w.buf) {
		buf := make([]int64, max(4, 2*len(w.buf)))
		for i := range w.n {
			buf[i] = w.at(i)
		}
		w.buf, w.head = buf, 0
	}
	w.buf[(w.head+w.n)%len(w.buf)] = t.UnixNano()
	w.n++
}

// nth returns the n-th latest grant held, and false when fewer are held.
func (w *window) nth(n int) (time.Time, bool) {
	if n > w.n {
		return time.Time{}, false
	}
	return time.Unix(0, w.at(w.n-n)).UTC(), true
}

// after returns the grants held after since, oldest first.
func (w *window) after(since time.Time) []time.Time {
	s := since.UnixNano()
	first := sort.Search(w.n, func(i int) bool { return w.at(i) > s })
	out := make([]time.Time, 0, w.n-first)
	for i := first; i < w.n; i++ {
		out = append(out, time.Unix(0, w.at(i)).UTC())
	}
	return out
}
