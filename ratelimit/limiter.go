package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pricefill/pricefill"
)

// How long the head of a limiter's queue sleeps before it asks the ledger
// again, at most: other processes may close an open breaker (which only a
// new look finds), or change what the ledger holds.
const (
	recheckOutage = time.Second
	recheckMax    = time.Minute
)

// A Limiter grants requests to a provider within a budget: no closer than
// a minimum interval, no more than a limit in any rolling hour and day,
// none during a cool-down after a refusal or while a quota is used up, and
// only probes while the outage breaker is open. Its callers report how
// each request went ([Limiter.Answered], [Limiter.Refused],
// [Limiter.Failed]), which drives the cool-downs, the adaptive pace and
// the breaker.
//
// The budget lives in a [Ledger]: by default one of the limiter's own, in
// memory; with a shared ledger every limiter of the same name, in any
// process, draws on one budget. Within a process, waiters are served first
// come, first served, and only the first of them asks the ledger. A
// Limiter is safe for simultaneous use by many goroutines, and a
// Prometheus collector of what it saw (see [Limiter.Describe]). See the
// package documentation for the model.
type Limiter struct {
	cfg config

	mu         sync.Mutex
	head, tail *waiter       // the queue of waiters, first come first
	kick       chan struct{} // wakes the head: this process changed the budget
	waiters    sync.Pool     // of *waiter, to reuse

	// watch is when the limiter first asked for a grant, on the ledger's
	// clock: it gives up on an outage or refusals it has watched for the
	// outage timeout. refusal is the text of the latest refusal it was
	// told of.
	watch   atomic.Pointer[time.Time]
	refusal atomic.Pointer[string]

	m *metrics // what the limiter exports as a prometheus.Collector
}

// New returns a limiter configured by opts, or an error matching
// [ErrInvalidOption] that names each option it cannot use.
func New(opts ...Option) (*Limiter, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	return &Limiter{cfg: cfg, kick: make(chan struct{}, 1), m: newMetrics(cfg.name)}, nil
}

// Name returns the name of the limiter's budget.
func (l *Limiter) Name() string { return l.cfg.name }

// A waiter is a call of Wait. Only the head of the queue asks the ledger;
// the others block on wake until they become the head.
type waiter struct {
	prev, next *waiter
	wake       chan struct{} // signalled when the waiters before it have left
}

// newWaiter returns a waiter out of the queue, its wake channel empty.
// Waiters are recycled, each limiter its own (a channel must stay in the
// synctest bubble that made it): their channel is most of a Wait's
// garbage.
func (l *Limiter) newWaiter() *waiter {
	if w, ok := l.waiters.Get().(*waiter); ok {
		return w
	}
	return &waiter{wake: make(chan struct{}, 1)}
}

// leave takes w out of the queue, waking the next waiter, and gives it
// back.
func (l *Limiter) leave(w *waiter) {
	l.mu.Lock()
	l.remove(w)
	l.mu.Unlock()
	l.free(w)
}

// free gives back w, which has left the queue.
func (l *Limiter) free(w *waiter) {
	select {
	case <-w.wake: // a wake-up that came as it left
	default:
	}
	l.waiters.Put(w)
}

// Wait blocks until a request may be made and counts it as made, and
// returns nil. It returns ctx.Err() if ctx ends first, having counted
// nothing and delayed no other waiter (a ctx done before the call returns
// at once); an [*OutageError] once the outage breaker has been open for
// the outage timeout; a [*RefusingError] once the provider has refused
// every request for the outage timeout; or the ledger's error.
func (l *Limiter) Wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	w := l.newWaiter()
	l.mu.Lock()
	l.push(w)
	head := l.head == w
	l.mu.Unlock()
	defer l.leave(w)
	timer := waitTimer{m: l.m, clock: l.cfg.clock}
	if !head {
		timer.skip()
		select {
		case <-w.wake:
			timer.held(holdQueued)
		case <-ctx.Done():
			timer.held(holdQueued)
			return ctx.Err()
		}
	}
	// w is the head: until it leaves, no other waiter of this limiter
	// asks the ledger. Each stretch from one answer of the ledger to the
	// next was held back by the reason of the first (the first ask is
	// not held back, and a grant at once reads no clock).
	var held hold
	for first := true; ; first = false {
		d, err := l.try(ctx)
		if !first {
			timer.held(held)
		}
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			return err
		case d.granted:
			return nil
		case d.giveUp != nil:
			return d.giveUp
		}
		if first {
			timer.skip()
		}
		held = holdOf(d.reason)
		wake := d.next
		if !d.deadline.IsZero() {
			wake = earlier(wake, d.deadline)
		}
		recheck := recheckMax
		if d.reason == ReasonOutage {
			recheck = recheckOutage
		}
		t := l.cfg.clock.NewTimer(min(wake.Sub(d.now), recheck))
		select {
		case <-t.C():
		case <-l.kick:
		case <-ctx.Done():
			t.Stop()
			timer.held(held)
			return ctx.Err()
		}
		t.Stop()
	}
}

// Allow makes a grant if one is allowed now and no waiter of this limiter
// is queued, and reports whether it did. It never waits, but for the
// ledger. Its error is the ledger's, or an [*OutageError] or a
// [*RefusingError] as Wait's.
func (l *Limiter) Allow(ctx context.Context) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	w := l.newWaiter()
	l.mu.Lock()
	if l.head != nil {
		l.mu.Unlock()
		l.free(w)
		return false, nil
	}
	l.push(w)
	l.mu.Unlock()
	defer l.leave(w)
	d, err := l.try(ctx)
	switch {
	case err != nil:
		return false, err
	case d.giveUp != nil:
		return false, d.giveUp
	}
	return d.granted, nil
}

// try asks the ledger for a grant.
func (l *Limiter) try(ctx context.Context) (decision, error) {
	var d decision
	err := l.cfg.ledger.Update(ctx, l.cfg.name, func(e Entry) error {
		var err error
		d, err = l.cfg.decide(e, true, l.watching(e.Now()))
		return err
	})
	if err != nil {
		return d, fmt.Errorf("ratelimit: budget %s: %w", l.cfg.name, err)
	}
	l.m.decided(d)
	if re, ok := d.giveUp.(*RefusingError); ok {
		if p := l.refusal.Load(); p != nil {
			re.Cause = *p
		}
	}
	return d, nil
}

// watching returns when the limiter first asked for a grant, now if it
// is this time.
func (l *Limiter) watching(now time.Time) time.Time {
	l.watch.CompareAndSwap(nil, &now)
	return *l.watch.Load()
}

// watched returns when the limiter first asked for a grant, or zero.
func (l *Limiter) watched() time.Time {
	if p := l.watch.Load(); p != nil {
		return *p
	}
	return time.Time{}
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

// update runs a report of how a request went, then wakes the head of the
// queue, whose next grant it may have moved.
func (l *Limiter) update(ctx context.Context, what string, fn func(Entry) error) error {
	err := l.cfg.ledger.Update(ctx, l.cfg.name, fn)
	select {
	case l.kick <- struct{}{}:
	default:
	}
	if err != nil {
		return fmt.Errorf("ratelimit: budget %s: recording %s: %w", l.cfg.name, what, err)
	}
	return nil
}

// Answered says the provider answered a request without refusing it: with
// data, or with an answer about the symbol (not found, no data, a
// permanent refusal). It ends a run of refusals and of failures, closes
// an open outage breaker, and lets a slowed pace recover. It does not cut
// short a running cool-down. A caller that reports refusals must report
// answers too: without them, refusals look endless, and Wait gives up
// after the outage timeout.
func (l *Limiter) Answered(ctx context.Context) error {
	l.m.reported(outcomeAnswered)
	err := l.update(ctx, "an answer", func(e Entry) error {
		l.cfg.answered(e)
		return nil
	})
	if err == nil {
		l.m.breakerAfter(false)
	}
	return err
}

// Refused says the provider refused a request for rate or quota, as err
// tells (see [pricefill.RateLimitError]). A refusal for rate holds every
// waiter back for the server's Retry-After, capped by
// [WithMaxRetryAfter], or, without one, for the exponential step of the
// run of refusals (5, 10, 20, 40, 80, 80… s by default); the first refusal
// of a burst also lowers the adaptive pace; once the provider has refused
// every request for the outage timeout, Wait gives up with a
// [*RefusingError]. A quota used up holds every waiter until its reset,
// or for [QuotaHoldDefault] when unknown, and ends a run of refusals for
// rate. Either way the provider answered: a streak of failures ends and
// an open breaker closes.
func (l *Limiter) Refused(ctx context.Context, err *pricefill.RateLimitError) error {
	if err == nil {
		err = &pricefill.RateLimitError{}
	}
	if err.Quota {
		l.m.reported(outcomeQuota)
	} else {
		l.m.reported(outcomeRefused)
		cause := causeText(err)
		l.refusal.Store(&cause)
	}
	uerr := l.update(ctx, "a refusal", func(e Entry) error {
		return l.cfg.refused(e, err)
	})
	if uerr == nil {
		l.m.breakerAfter(false)
	}
	return uerr
}

// Failed says a request for symbol failed in a way that may say nothing
// about the symbol: err matches [pricefill.ErrUnavailable] (the provider
// was not reached), or is transient (a timeout, a reset connection, 5xx,
// a body that cannot be read). It reports whether the outage breaker is
// open after it, in which case the failure is the provider's, not the
// symbol's. The breaker opens after [WithBreaker] such failures in a row
// from [BreakerSymbols] different symbols, failures to reach the provider
// counting as different symbols.
func (l *Limiter) Failed(ctx context.Context, symbol string, err error) (bool, error) {
	if err == nil {
		return false, errors.New("ratelimit: Failed without an error")
	}
	l.m.reported(failure(err))
	var open bool
	uerr := l.update(ctx, "a failure", func(e Entry) error {
		open = l.cfg.failed(e, symbol, err)
		return nil
	})
	if uerr == nil {
		l.m.breakerAfter(open)
	}
	return open, uerr
}

// Status returns what the budget holds now. It changes nothing.
func (l *Limiter) Status(ctx context.Context) (Status, error) {
	var st Status
	err := l.cfg.ledger.Update(ctx, l.cfg.name, func(e Entry) error {
		d, err := l.cfg.decide(e, false, l.watched())
		if err != nil {
			return err
		}
		s := e.State()
		st = Status{
			Name: l.cfg.name, Now: d.now, Next: d.next, Reason: d.reason,
			HourlyLimit: l.cfg.hourlyLimit, DailyLimit: l.cfg.dailyLimit,
			Rate: finite(l.cfg.rate(s)), MaxRate: finite(l.cfg.maxRate()),
		}
		if _, ok := d.giveUp.(*OutageError); ok {
			st.Next, st.Reason = d.now, ReasonOutage
		}
		if s.CoolUntil.After(d.now) {
			st.CoolDownUntil = s.CoolUntil
		}
		if l.cfg.breaker > 0 && !s.OutageSince.IsZero() {
			st.Outage = &Outage{Since: s.OutageSince, Cause: s.OutageCause, NextProbe: s.NextProbe, Probes: s.Probes,
				GiveUp: l.cfg.giveUpAt(s.OutageSince, l.watched())}
		}
		if !s.RefusingSince.IsZero() {
			st.Refusing = &Refusing{Since: s.RefusingSince, Refusals: s.Refusals, GiveUp: l.cfg.giveUpAt(s.RefusingSince, l.watched())}
		}
		for _, w := range l.cfg.windows() {
			gs, err := e.Grants(d.now.Add(-w.span))
			if err != nil {
				return err
			}
			if w.reason == ReasonHourly {
				st.HourlyCount = len(gs)
			} else {
				st.DailyCount = len(gs)
			}
		}
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("ratelimit: budget %s: status: %w", l.cfg.name, err)
	}
	return st, nil
}

// finite returns r, or 0 (no limit) for +Inf.
func finite(r float64) float64 {
	if math.IsInf(r, 1) {
		return 0
	}
	return r
}

// Forecast works out when n more requests could go out at the budget's
// limits as they stand now: the interval (or the adapted pace), the
// rolling hour and day with the grants they hold, a cool-down or a quota's
// hold; an open breaker is taken to close at its next probe. It changes
// nothing.
func (l *Limiter) Forecast(ctx context.Context, n int) (Forecast, error) {
	var f Forecast
	err := l.cfg.ledger.Update(ctx, l.cfg.name, func(e Entry) error {
		now, s := e.Now(), e.State()
		f = Forecast{Requests: n, Now: now}
		ws := l.cfg.windows()
		var past []time.Time
		if len(ws) > 0 {
			var err error
			if past, err = e.Grants(now.Add(-ws[len(ws)-1].span)); err != nil {
				return err
			}
		}
		grants := append(past, make([]time.Time, 0, n)...)
		t, last := now, s.LastGrant
		t = later(t, s.CoolUntil)
		t = later(t, s.HoldUntil)
		if l.cfg.breaker > 0 && !s.OutageSince.IsZero() {
			t = later(t, s.NextProbe)
		}
		gap := l.cfg.gap(s)
		for i := range n {
			if !last.IsZero() {
				t = later(t, last.Add(gap))
			}
			for _, w := range ws {
				if k := len(grants) - w.limit; k >= 0 && grants[k].After(t.Add(-w.span)) {
					t = grants[k].Add(w.span)
				}
			}
			if i == 0 {
				f.First = t
			}
			grants = append(grants, t)
			last = t
		}
		f.Last = last
		if n == 0 {
			f.First, f.Last = now, now
		}
		return nil
	})
	if err != nil {
		return f, fmt.Errorf("ratelimit: budget %s: forecast: %w", l.cfg.name, err)
	}
	return f, nil
}
