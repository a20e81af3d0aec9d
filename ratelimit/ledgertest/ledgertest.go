// Package ledgertest is the conformance suite of [ratelimit.Ledger]. Every
// ledger runs it: the in-memory one in package ratelimit, and the SQL one
// of package store on SQLite and on PostgreSQL. A ledger of your own runs
// it as:
//
//	func TestLedger(t *testing.T) {
//		ledgertest.Run(t, func(t *testing.T, clock pricefill.Clock, n int) []ratelimit.Ledger {
//			// n handles onto one new, empty ledger, as n processes would
//			// open it, reading the time from clock.
//		})
//	}
//
// Besides the contract of Update and Entry, it checks the budget itself as
// a property: limiters drawn with random limits, in several processes (one
// per handle) and restarted at random, get grants, refusals, answers and
// failures in any order on an injected clock, and no grant ever breaks the
// interval, the rolling hour or day, a cool-down, a quota's hold or an open
// breaker, while every grant that a model allows is made.
package ledgertest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/internal/clocktest"
	"github.com/pricefill/pricefill/ratelimit"
)

// Start is the fake clock's time when each test begins: whole seconds, so
// that a ledger keeping microseconds keeps every time exactly.
var Start = time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)

// An OpenFunc returns n handles onto one new, empty ledger, as n processes
// would each open it (for a ledger in memory, n times the same value),
// whose entries read the time from clock. It closes them when t ends.
type OpenFunc func(t *testing.T, clock pricefill.Clock, n int) []ratelimit.Ledger

// Run runs the suite against the ledgers of open.
func Run(t *testing.T, open OpenFunc) {
	t.Helper()
	for _, tc := range []struct {
		name string
		test func(*testing.T, OpenFunc)
	}{
		{"State", testState},
		{"Rollback", testRollback},
		{"Grants", testGrants},
		{"Atomic", testAtomic},
		{"Keys", testKeys},
		{"Clock", testClock},
		{"Cancelled", testCancelled},
		{"Budget", testBudget},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.test(t, open)
		})
	}
}

// update runs fn on key in l and fails t on an error.
func update(t testing.TB, l ratelimit.Ledger, key string, fn func(ratelimit.Entry) error) {
	t.Helper()
	if err := l.Update(context.Background(), key, fn); err != nil {
		t.Fatalf("Update(%q): %v", key, err)
	}
}

// read returns the state of key in l.
func read(t testing.TB, l ratelimit.Ledger, key string) ratelimit.State {
	t.Helper()
	var s ratelimit.State
	update(t, l, key, func(e ratelimit.Entry) error {
		s = *e.State()
		return nil
	})
	return s
}

// grants returns the grants of key in l after since.
func grants(t testing.TB, l ratelimit.Ledger, key string, since time.Time) []time.Time {
	t.Helper()
	var gs []time.Time
	update(t, l, key, func(e ratelimit.Entry) error {
		var err error
		gs, err = e.Grants(since)
		return err
	})
	return gs
}

// full is a State with every field set.
func full() ratelimit.State {
	return ratelimit.State{
		LastGrant:         Start.Add(-time.Second),
		CoolUntil:         Start.Add(5 * time.Second),
		Refusals:          3,
		RefusingSince:     Start.Add(-2 * time.Minute),
		Pace:              2.5,
		Ceiling:           3.125,
		HoldUntil:         Start.Add(time.Hour),
		HoldReason:        "the provider's quota is used up",
		OutageSince:       Start.Add(-time.Minute),
		OutageCause:       "yahoo AAPL: request failed: connection refused ✗",
		NextProbe:         Start.Add(10 * time.Second),
		Probes:            2,
		Streak:            7,
		StreakUnreachable: 2,
		StreakSymbols:     []string{"AAPL", "BRK.B", "^GSPC"},
	}
}

// A new budget's state is zero; a state written is read back whole, by
// another handle too, and a state set back to zero reads as zero.
func testState(t *testing.T, open OpenFunc) {
	clock := clocktest.NewFake(Start)
	ls := open(t, clock, 2)
	if diff := cmp.Diff(ratelimit.State{}, read(t, ls[0], "yahoo")); diff != "" {
		t.Errorf("a new budget's state (-want +got):\n%s", diff)
	}
	want := full()
	update(t, ls[0], "yahoo", func(e ratelimit.Entry) error {
		*e.State() = full()
		return nil
	})
	for i, l := range ls {
		if diff := cmp.Diff(want, read(t, l, "yahoo")); diff != "" {
			t.Errorf("handle %d: the state read back (-want +got):\n%s", i, diff)
		}
	}
	update(t, ls[1], "yahoo", func(e ratelimit.Entry) error {
		*e.State() = ratelimit.State{}
		return nil
	})
	if diff := cmp.Diff(ratelimit.State{}, read(t, ls[0], "yahoo")); diff != "" {
		t.Errorf("the state set back to zero (-want +got):\n%s", diff)
	}
}

var errBoom = errors.New("boom")

// An update whose fn fails keeps nothing and returns fn's error.
func testRollback(t *testing.T, open OpenFunc) {
	clock := clocktest.NewFake(Start)
	l := open(t, clock, 1)[0]
	update(t, l, "yahoo", func(e ratelimit.Entry) error {
		e.State().Refusals = 1
		return e.AddGrant(time.Hour)
	})
	clock.Advance(time.Second)
	err := l.Update(context.Background(), "yahoo", func(e ratelimit.Entry) error {
		*e.State() = full()
		if err := e.AddGrant(time.Hour); err != nil {
			return err
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Update whose fn fails = %v, want fn's error", err)
	}
	if got := read(t, l, "yahoo"); got.Refusals != 1 || got.Pace != 0 {
		t.Errorf("after a failed update the state is %+v, want the one before", got)
	}
	if gs := grants(t, l, "yahoo", Start.Add(-time.Hour)); len(gs) != 1 {
		t.Errorf("after a failed update %d grants, want 1: %v", len(gs), gs)
	}
}

// Grants are recorded at the entry's time, listed oldest first, and the
// n-th latest after a time is found; a grant at since is not after it.
func testGrants(t *testing.T, open OpenFunc) {
	clock := clocktest.NewFake(Start)
	ls := open(t, clock, 2)
	var made []time.Time
	for i := range 12 {
		update(t, ls[i%2], "stooq", func(e ratelimit.Entry) error {
			if !e.Now().Equal(clock.Now()) {
				t.Errorf("Now = %s, want the clock's %s", e.Now(), clock.Now())
			}
			return e.AddGrant(24 * time.Hour)
		})
		made = append(made, clock.Now())
		clock.Advance(10 * time.Minute)
	}
	now := clock.Now()
	for _, l := range ls {
		if diff := cmp.Diff(made, grants(t, l, "stooq", Start.Add(-time.Second))); diff != "" {
			t.Errorf("Grants (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(made[6:], grants(t, l, "stooq", made[5])); diff != "" {
			t.Errorf("Grants after the 6th (-want +got):\n%s", diff)
		}
		for _, tc := range []struct {
			since time.Time
			n     int
			want  time.Time
			ok    bool
		}{
			{Start.Add(-time.Second), 1, made[11], true},
			{Start.Add(-time.Second), 12, made[0], true},
			{Start.Add(-time.Second), 13, time.Time{}, false},
			{now.Add(-time.Hour), 5, made[7], true}, // (now−1h, now] holds the last five
			{now.Add(-time.Hour), 6, time.Time{}, false},
			{made[6], 5, made[7], true},
			{made[6].Add(-time.Microsecond), 6, made[6], true},
			{made[11], 1, time.Time{}, false},
		} {
			var (
				got time.Time
				ok  bool
			)
			update(t, l, "stooq", func(e ratelimit.Entry) error {
				var err error
				got, ok, err = e.Nth(tc.since, tc.n)
				return err
			})
			if ok != tc.ok || (ok && !got.Equal(tc.want)) {
				t.Errorf("Nth(%s, %d) = %s, %t; want %s, %t", tc.since.Sub(Start), tc.n, got, ok, tc.want, tc.ok)
			}
		}
	}
	// Grants kept for an hour stay for at least that hour.
	for range 9 {
		update(t, ls[0], "short", func(e ratelimit.Entry) error { return e.AddGrant(time.Hour) })
		clock.Advance(10 * time.Minute)
	}
	if gs := grants(t, ls[1], "short", clock.Now().Add(-time.Hour)); len(gs) != 5 {
		t.Errorf("grants of the last hour, kept an hour: %d, want 5", len(gs))
	}
}

// Updates of one key from many goroutines and handles at once are atomic:
// no increment and no grant is lost.
func testAtomic(t *testing.T, open OpenFunc) {
	clock := clocktest.NewFake(Start)
	ls := open(t, clock, 2)
	const goroutines, each = 8, 25
	var wg sync.WaitGroup
	for g := range goroutines {
		l := ls[g%len(ls)]
		wg.Go(func() {
			for range each {
				err := l.Update(context.Background(), "yahoo", func(e ratelimit.Entry) error {
					e.State().Refusals++
					e.State().StreakSymbols = append(e.State().StreakSymbols[:0:0], fmt.Sprint(e.State().Refusals))
					return e.AddGrant(time.Hour)
				})
				if err != nil {
					t.Errorf("Update: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	s := read(t, ls[0], "yahoo")
	if s.Refusals != goroutines*each || len(s.StreakSymbols) != 1 || s.StreakSymbols[0] != fmt.Sprint(goroutines*each) {
		t.Errorf("after %d concurrent increments: %d, %v", goroutines*each, s.Refusals, s.StreakSymbols)
	}
	if gs := grants(t, ls[1], "yahoo", Start.Add(-time.Second)); len(gs) != goroutines*each {
		t.Errorf("%d grants, want %d", len(gs), goroutines*each)
	}
}

// Budgets of different keys are apart.
func testKeys(t *testing.T, open OpenFunc) {
	clock := clocktest.NewFake(Start)
	l := open(t, clock, 1)[0]
	update(t, l, "yahoo", func(e ratelimit.Entry) error {
		*e.State() = full()
		return e.AddGrant(time.Hour)
	})
	if got := read(t, l, "yahoo-key2"); got.Refusals != 0 {
		t.Errorf("another key's state: %+v, want zero", got)
	}
	if gs := grants(t, l, "yahoo-key2", Start.Add(-time.Hour)); len(gs) != 0 {
		t.Errorf("another key's grants: %v, want none", gs)
	}
}

// Now follows the clock, and is never before an earlier update's.
func testClock(t *testing.T, open OpenFunc) {
	clock := clocktest.NewFake(Start)
	ls := open(t, clock, 2)
	var last time.Time
	for i := range 5 {
		clock.Advance(time.Duration(i) * 1500 * time.Microsecond)
		update(t, ls[i%2], "yahoo", func(e ratelimit.Entry) error {
			if e.Now().Before(last) || !e.Now().Equal(clock.Now()) {
				t.Errorf("update %d: Now = %s after %s, want the clock's %s", i, e.Now(), last, clock.Now())
			}
			last = e.Now()
			return nil
		})
	}
}

// An update whose context has ended runs nothing and says why.
func testCancelled(t *testing.T, open OpenFunc) {
	clock := clocktest.NewFake(Start)
	l := open(t, clock, 1)[0]
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	err := l.Update(ctx, "yahoo", func(e ratelimit.Entry) error {
		ran = true
		return nil
	})
	if !errors.Is(err, context.Canceled) || ran {
		t.Errorf("Update with a cancelled context = %v, fn ran %t; want context.Canceled, fn not run", err, ran)
	}
}

// keys numbers the budgets of the property's checks, which share one
// ledger per dialect.
var keys atomic.Int64
