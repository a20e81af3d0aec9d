// Package clocktest provides clocks for tests: [Fake], a clock that moves
// only when told to, and [Shifted], the real clock moved to a chosen date,
// for use inside a [testing/synctest] bubble where real time is virtual;
// and the dates ([Date]) and time zones ([Zone]) that tests write.
package clocktest

import (
	"sync"
	"time"

	"github.com/pricefill/pricefill"
)

// A Fake is a clock whose time moves only by [Fake.Advance] or [Fake.Set].
// Its timers fire when the time passes their deadline. It is safe for
// concurrent use.
type Fake struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

var _ pricefill.Clock = (*Fake)(nil)

// NewFake returns a fake clock that reads now.
func NewFake(now time.Time) *Fake { return &Fake{now: now} }

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// NewTimer returns a timer that fires once the fake time reaches now+d.
func (f *Fake) NewTimer(d time.Duration) pricefill.Timer {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := &fakeTimer{f: f, at: f.now.Add(d), c: make(chan time.Time, 1)}
	if d <= 0 {
		t.c <- f.now
		return t
	}
	f.timers = append(f.timers, t)
	return t
}

// Advance moves the time forward by d and fires the timers due by then.
func (f *Fake) Advance(d time.Duration) { f.Set(f.Now().Add(d)) }

// Set moves the time to t, which must not be before the current time, and
// fires the timers due by then.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t.Before(f.now) {
		panic("clocktest: Set moves time backwards")
	}
	f.now = t
	keep := f.timers[:0]
	for _, tm := range f.timers {
		if tm.at.After(t) {
			keep = append(keep, tm)
			continue
		}
		tm.c <- t
	}
	clear(f.timers[len(keep):])
	f.timers = keep
}

// Timers returns the number of timers waiting to fire.
func (f *Fake) Timers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.timers)
}

// Next returns the deadline of the earliest waiting timer, and false when
// there is none.
func (f *Fake) Next() (time.Time, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.timers) == 0 {
		return time.Time{}, false
	}
	next := f.timers[0].at
	for _, t := range f.timers[1:] {
		if t.at.Before(next) {
			next = t.at
		}
	}
	return next, true
}

type fakeTimer struct {
	f  *Fake
	at time.Time
	c  chan time.Time
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Stop() bool {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	for i, tm := range t.f.timers {
		if tm == t {
			t.f.timers = append(t.f.timers[:i], t.f.timers[i+1:]...)
			return true
		}
	}
	return false
}

// Shifted returns the system clock moved so that it reads start now. Inside
// a [testing/synctest] bubble, where time is virtual and jumps ahead when
// every goroutine waits, it gives tests an exact, instant clock on any
// date.
func Shifted(start time.Time) pricefill.Clock {
	return shifted{offset: time.Until(start)}
}

type shifted struct{ offset time.Duration }

func (s shifted) Now() time.Time { return time.Now().Add(s.offset) }

func (s shifted) NewTimer(d time.Duration) pricefill.Timer {
	return pricefill.SystemClock().NewTimer(d)
}
