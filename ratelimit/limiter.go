package ratelimit

import (
	"context"
	"sync"
	"time"

	"github.com/pricefill/pricefill"
)

// A Limiter grants requests no closer than a minimum interval, no more
// than a budget in any rolling hour, and none during a cool-down after a
// rate-limit response. Waiters are served first come, first served. It is
// safe for simultaneous use by many goroutines. See the package
// documentation for the model.
type Limiter struct {
	clock pricefill.Clock

	mu         sync.Mutex
	ledger     ledger
	head, tail *waiter // the queue of waiters, first come first
}

// New returns a limiter configured by opts, or an error matching
// [ErrInvalidOption] that names each option it cannot use.
func New(opts ...Option) (*Limiter, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	return &Limiter{clock: cfg.clock, ledger: newMemLedger(cfg, cfg.clock.Now())}, nil
}

// A waiter is a call of Wait that could not be granted at once. Only the
// head of the queue holds a timer; the others block on wake until they
// become the head.
type waiter struct {
	prev, next *waiter
	wake       chan struct{} // signalled when the waiters before it have left
}

// Wait blocks until a request may be made and counts it as made, or until
// ctx is done, and then returns ctx.Err() having counted nothing and
// delayed no other waiter. A ctx done before the call returns at once.
func (l *Limiter) Wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l.mu.Lock()
	if l.head == nil {
		if _, ok := l.ledger.grant(l.clock.Now()); ok {
			l.mu.Unlock()
			return nil
		}
	}
	w := &waiter{wake: make(chan struct{}, 1)}
	l.push(w)
	l.mu.Unlock()
	return l.wait(ctx, w)
}

// wait is the slow path of Wait: w is queued.
func (l *Limiter) wait(ctx context.Context, w *waiter) error {
	var timer pricefill.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		var fired <-chan time.Time
		l.mu.Lock()
		if l.head == w {
			if err := ctx.Err(); err != nil {
				l.remove(w)
				l.mu.Unlock()
				return err
			}
			now := l.clock.Now()
			next, ok := l.ledger.grant(now)
			if ok {
				l.remove(w)
				l.mu.Unlock()
				return nil
			}
			l.mu.Unlock()
			if timer != nil {
				timer.Stop()
			}
			timer = l.clock.NewTimer(next.Sub(now))
			fired = timer.C()
		} else {
			l.mu.Unlock()
		}
		select {
		case <-w.wake:
		case <-fired:
		case <-ctx.Done():
			l.mu.Lock()
			l.remove(w)
			l.mu.Unlock()
			return ctx.Err()
		}
	}
}

// push queues w last.
func (l *Limiter) push(w *waiter) {
	if l.tail == nil {
		l.head, l.tail = w, w
		return
	}
	w.prev, l.tail.next, l.tail = l.tail, w, w
}

// remove takes w out of the queue and wakes the next waiter if w was the
// head.
func (l *Limiter) remove(w *waiter) {
	if w.prev == nil {
		l.head = w.next
		if w.next != nil {
			select {
			case w.next.wake <- struct{}{}:
			default:
			}
		}
	} else {
		w.prev.next = w.next
	}
	if w.next == nil {
		l.tail = w.prev
	} else {
		w.next.prev = w.prev
	}
	w.prev, w.next = nil, nil
}

// CoolDown holds every waiter back after the provider refused a request
// for rate; retryAfter is the server's Retry-After, or 0 (negative counts
// as 0). The cool-down lasts the longer of the Retry-After, capped by
// [WithMaxRetryAfter], and the exponential step of the run of rate-limit
// responses (5, 10, 20, 40, 80, 80… s by default). Calls during a running
// cool-down belong to the same burst: they extend it to now plus that
// length without counting a further step.
func (l *Limiter) CoolDown(retryAfter time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ledger.coolDown(l.clock.Now(), retryAfter)
}

// Recovered says the provider answered a request without refusing it: the
// next rate-limit response starts the exponential steps again. It does not
// cut short a running cool-down.
func (l *Limiter) Recovered() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ledger.recovered()
}

// HourlyCount returns the number of requests granted in the last rolling
// hour, the one that ends now.
func (l *Limiter) HourlyCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ledger.count(l.clock.Now())
}

// HourlyCountAt returns the number of requests granted in the rolling hour
// that ends at t: those granted after t−1h and at t or before. The
// limiter forgets a grant once it no longer counts at the clock's time, so
// for a t earlier than that the count may be short.
func (l *Limiter) HourlyCountAt(t time.Time) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ledger.count(t)
}
