package backfill

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/ratelimit"
)

// A Provider is one provider of a [Fallback]: its name, the fetcher that
// asks it and the limiter that keeps its budget.
type Provider struct {
	// Name names the provider in errors and status, and is the Source of
	// the bars its fetcher leaves without one. The names of a Fallback's
	// providers are unique.
	Name string
	// Fetcher asks the provider for a symbol's bars.
	Fetcher Fetcher
	// Limiter paces the requests to the provider, as a Runner's limiter
	// paces its one provider's; nil means none. One that is a [Feedback]
	// hears how each request went; one that is a [StatusReporter] tells
	// when its outage breaker is open, so that the provider is passed over
	// without a wait on it. Package ratelimit's Limiter is both.
	Limiter Limiter
}

// A Fallback is a [Fetcher] of several providers, tried in order for each
// symbol, each under its own limiter: a symbol the first does not know, or
// cannot serve now, goes to the next. It is also the [Limiter] to give a
// Runner with it (see "With a Runner" below). Build one with
// [NewFallback]; it is safe for concurrent use.
//
// # Which provider serves
//
// A fetch tries the providers in order. A provider whose outage breaker is
// open, its next probe not yet due (its limiter's Status says so: one read
// of its ledger, a transaction with a database's, for each provider but
// the last), is passed over without a wait on its limiter. Any other is
// waited on, through its own limiter, and asked; its answer goes to its
// limiter as a Runner's answers go to the Runner's (Answered, Refused,
// Failed), and then:
//
//	the provider's answer                     the Fallback
//	bars                                      returns them: it served the symbol
//	not found                                 asks the next
//	rate limited (429, a quota)               asks the next; the provider's limiter cools down
//	unreachable, or its breaker opens         asks the next; the provider is a last resort
//	transient (timeout, 5xx, garbage)         asks the next
//	permanent (another 4xx, a key refused)    asks the next
//
// A transient or permanent failure goes to the next provider too: the
// symbol may be served elsewhere at once, and a provider that keeps
// failing one symbol (a 500 for it, every time) would otherwise have it
// given up without asking the others. A provider passed over for its
// outage is the last resort: when no other served the symbol, the Fallback
// waits on its limiter, which holds until its next probe, and asks it
// then, as a Runner of that one provider would; the fetch is the probe. A
// wait on a provider that a later one could stand in for ends when a fetch
// finds its breaker open meanwhile: the symbol goes on to the next, and
// the provider is a last resort too. (A breaker that another process
// opened, through a shared ledger, is only seen by the fetches that look
// at its status after.)
//
// A provider whose budget is spent, or cooling down after a refusal, is
// waited for, as a Runner waits for its one provider: the Fallback stands
// in for a provider's symbols and outages, it does not add budgets up.
//
// Every bar keeps the Source its fetcher set; one without gets the name of
// the provider that served it. A Runner so reports which provider served
// each symbol ([SymbolReport.Source], [Report.ServedBy]).
//
// When no provider served the symbol, Fetch returns an error that says
// what each one said. Its kind, by which the Runner decides the task's
// fate, is that of the most hopeful answer:
//
//	answers of the providers                     kind: the task
//	some unreachable or down                     unavailable: waits for it, no attempt used
//	else some refused for rate                   rate limited: retried after the first one's wait
//	else some failed, transiently                transient: retried with back-off, an attempt used
//	else every limiter gave up on its provider   unavailable: the run stops (see below)
//	else some gave up, the others refused the    permanent: given up, no attempt used; a later run
//	  symbol or did not know it                    asks again
//	else some refused it for good                permanent
//	else                                         not found
//
// # With a Runner
//
// Give the Fallback to the Runner as its fetcher and as its limiter:
//
//	fb, err := backfill.NewFallback(yahooProvider, stooqProvider)
//	r, err := backfill.New(fb, store, backfill.WithLimiter(fb))
//
// The providers' limiters pace the requests, and the Fallback's Wait,
// which the Runner calls before each fetch, only returns at once while
// some provider may serve, or, once the limiter of every provider has
// given up on it (its outage or its refusals lasted its outage timeout;
// see package ratelimit), an error matching [pricefill.ErrUnavailable]
// that names each: the Runner then stops with every task as it was, as it
// does with one provider. A Fallback is no [Feedback]: it tells each
// provider's limiter itself, and the kind of its error tells the Runner.
// It is a [StatusReporter], with the status of the first provider that is
// not down (else the first's), and a [Forecaster], with the first
// provider's forecast: [Runner.Plan] takes every request to go to it.
//
// The Runner counts one request for each fetch, as for any fetcher; the
// Fallback pays each further provider it asks in the fetch through [Pace],
// which the Runner counts, so that the report's Requests counts every
// request sent to any provider. A provider's fetcher that sends more than
// one request (a cookie, a redirect) calls Pace as it does under a Runner:
// that waits on its provider's limiter, and counts. A fetch that sends
// nothing (every provider given up, or the run ending while it waits) still
// counts one. The time spent waiting on the providers' limiters is not in
// the report's LimiterWait.
type Fallback struct {
	providers []*provider
}

var (
	_ Fetcher        = (*Fallback)(nil)
	_ Limiter        = (*Fallback)(nil)
	_ StatusReporter = (*Fallback)(nil)
	_ Forecaster     = (*Fallback)(nil)
)

// provider is a Provider with what the Fallback keeps of it.
type provider struct {
	Provider
	feedback Feedback       // Limiter, when it is one
	status   StatusReporter // Limiter, when it is one

	// gaveUp is the error with which the limiter's latest wait gave up
	// on the provider (matching pricefill.ErrUnavailable), or nil.
	gaveUp atomic.Pointer[error]

	mu sync.Mutex
	// down ends when a fetch finds the provider's breaker open: waits
	// that a later provider could stand in for leave then. It is
	// replaced by a new one each time.
	down    context.Context
	endDown context.CancelFunc
}

// NewFallback returns a Fallback of providers, tried in this order. It
// returns an error when there are none, or one has no name, the name of
// another, or no fetcher.
func NewFallback(providers ...Provider) (*Fallback, error) {
	if len(providers) == 0 {
		return nil, errors.New("backfill: a fallback needs at least one provider")
	}
	f := &Fallback{providers: make([]*provider, len(providers))}
	seen := make(map[string]bool, len(providers))
	for i, p := range providers {
		switch {
		case p.Name == "":
			return nil, fmt.Errorf("backfill: fallback provider %d: no name", i+1)
		case seen[p.Name]:
			return nil, fmt.Errorf("backfill: fallback provider %d: the name %q is that of another", i+1, p.Name)
		case p.Fetcher == nil:
			return nil, fmt.Errorf("backfill: fallback provider %d (%s): nil Fetcher", i+1, p.Name)
		}
		seen[p.Name] = true
		fp := &provider{Provider: p}
		fp.feedback, _ = p.Limiter.(Feedback)
		fp.status, _ = p.Limiter.(StatusReporter)
		fp.down, fp.endDown = context.WithCancel(context.Background())
		f.providers[i] = fp
	}
	return f, nil
}

// Providers returns the providers, in the order they are tried.
func (f *Fallback) Providers() []Provider {
	out := make([]Provider, len(f.providers))
	for i, p := range f.providers {
		out[i] = p.Provider
	}
	return out
}

// Fetch fetches symbol's bars over r from the first provider that serves
// them, as the type's documentation says.
func (f *Fallback) Fetch(ctx context.Context, symbol string, r pricefill.Range) (*pricefill.Series, error) {
	x := &fetch{f: f, ctx: ctx, symbol: symbol, r: r, said: make([]said, len(f.providers))}
	x.outer, _ = ctx.Value(paceKey{}).(func(context.Context) error)
	var passed []int // over for an open breaker: the last resorts
	last := len(f.providers) - 1
	for i, p := range f.providers {
		// The last provider is waited on however it is: nothing could
		// stand in for it. The others are passed over when down, and
		// left when they go down during the wait: the signal is taken
		// before the status is read, so that no opening is missed.
		var down context.Context
		if i < last {
			down = p.downSignal()
			if why, ok := p.passedOver(ctx); ok {
				passed = append(passed, i)
				x.said[i] = said{verdictDown, errors.New(why)}
				continue
			}
		}
		if s, done, err := x.ask(i, down); done {
			return s, err
		}
		if errors.Is(x.said[i].err, errWentDown) {
			passed = append(passed, i)
		}
	}
	for _, i := range passed {
		if s, done, err := x.ask(i, nil); done {
			return s, err
		}
	}
	return nil, x.failure()
}

// Wait returns nil at once while some provider may serve, and an error
// matching [pricefill.ErrUnavailable], naming each provider, when the
// limiter of every one has given up on it (see the type's documentation).
// It returns ctx.Err() when ctx is done.
func (f *Fallback) Wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	errs := make([]error, 0, len(f.providers))
	for _, p := range f.providers {
		err := p.givenUp(ctx)
		if err == nil {
			return nil
		}
		errs = append(errs, err)
	}
	return &allGaveUpError{errs: errs}
}

// Status returns the status of the first provider that is not down, or
// of the first one when every one is, among those whose limiter is a
// [StatusReporter].
func (f *Fallback) Status(ctx context.Context) (ratelimit.Status, error) {
	var (
		first *ratelimit.Status
		errs  []error
	)
	for _, p := range f.providers {
		if p.status == nil {
			continue
		}
		st, err := p.status.Status(ctx)
		switch {
		case err != nil:
			errs = append(errs, err)
		case !isDown(st):
			return st, nil
		case first == nil:
			first = &st
		}
	}
	if first != nil {
		return *first, nil
	}
	if len(errs) > 0 {
		return ratelimit.Status{}, errors.Join(errs...)
	}
	return ratelimit.Status{}, errors.New("backfill: fallback: no provider's limiter tells its status")
}

// Forecast returns the forecast of the first provider whose limiter is a
// [Forecaster]: when n requests could go out at its limits.
func (f *Fallback) Forecast(ctx context.Context, n int) (ratelimit.Forecast, error) {
	for _, p := range f.providers {
		if fc, ok := p.Limiter.(Forecaster); ok {
			return fc.Forecast(ctx, n)
		}
	}
	return ratelimit.Forecast{}, errors.New("backfill: fallback: no provider's limiter can forecast")
}

// isDown reports whether a limiter of status st holds its requests for
// an open outage breaker: its next probe is not due yet, or it gave up.
func isDown(st ratelimit.Status) bool {
	return st.Outage != nil && st.Reason == ratelimit.ReasonOutage
}

// passedOver reports whether p's outage breaker is open with its next
// probe not due yet, and what its limiter says of it then: a wait on it
// would hold until the probe.
func (p *provider) passedOver(ctx context.Context) (string, bool) {
	if p.status == nil {
		return "", false
	}
	st, err := p.status.Status(ctx)
	if err != nil || !isDown(st) {
		return "", false // its wait will tell
	}
	return st.String(), true
}

// errWentDown is what wait returns when it left a wait because a fetch
// found the provider's breaker open meanwhile.
var errWentDown = errors.New("its outage breaker opened during the wait")

// wait waits on p's limiter for one request. With down, a signal of
// p.downSignal, a later provider could stand in for p, and the wait ends
// with errWentDown when down ends: a fetch found p's breaker open.
func (p *provider) wait(ctx context.Context, down context.Context) error {
	if p.Limiter == nil {
		return ctx.Err()
	}
	var err error
	if down != nil {
		wctx, cancel := context.WithCancel(ctx)
		stop := context.AfterFunc(down, cancel)
		err = p.Limiter.Wait(wctx)
		stop()
		cancel()
		if err != nil && ctx.Err() == nil && down.Err() != nil {
			err = errWentDown
		}
	} else {
		err = p.Limiter.Wait(ctx)
	}
	switch {
	case err == nil:
		p.gaveUp.Store(nil)
	case errors.Is(err, pricefill.ErrUnavailable):
		p.gaveUp.Store(&err)
	}
	return err
}

// downSignal returns the context that ends when a fetch next finds p's
// breaker open.
func (p *provider) downSignal() context.Context {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.down
}

// wentDown ends the waits on p that a later provider could stand in for:
// a fetch found its breaker open.
func (p *provider) wentDown() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.endDown()
	p.down, p.endDown = context.WithCancel(context.Background())
}

// givenUp returns the error with which p's limiter gave up on it, or nil
// when it did not, or when its status shows the outage or the refusals
// over since (another process's request was answered).
func (p *provider) givenUp(ctx context.Context) error {
	errp := p.gaveUp.Load()
	if errp == nil {
		return nil
	}
	if p.status != nil {
		if st, err := p.status.Status(ctx); err == nil && st.Outage == nil && st.Refusing == nil {
			p.gaveUp.CompareAndSwap(errp, nil)
			return nil
		}
	}
	return *errp
}

// A verdict is what became of a provider in one fetch.
type verdict int

const (
	verdictDown      verdict = iota + 1 // unreachable, down, or passed over for its breaker
	verdictRefused                      // refused for rate
	verdictTransient                    // failed transiently, or its limiter failed
	verdictGaveUp                       // its limiter gave up on it
	verdictPermanent                    // refused the symbol for good
	verdictNotFound                     // did not know the symbol
)

// said is what one provider said in a fetch.
type said struct {
	verdict verdict
	err     error
}

// A fetch is one Fetch of a Fallback, and what each provider said.
type fetch struct {
	f      *Fallback
	ctx    context.Context
	symbol string
	r      pricefill.Range
	// outer is the Pace of the Runner that called Fetch, or nil.
	outer func(context.Context) error
	sent  int // requests sent so far
	said  []said
}

// pace pays one more request to the Runner that called the fetch, under
// ctx.
func (x *fetch) pace(ctx context.Context) error {
	if x.outer == nil {
		return ctx.Err()
	}
	return x.outer(ctx)
}

// ask waits on provider i's limiter (leaving the wait when down ends,
// with down; see wait) and asks it for the symbol. It returns the
// series and true when the provider served it; nil, true and the error
// when the fetch must end (its context ended, or the Runner is stopping);
// else it notes in x.said what the provider said, and returns false.
func (x *fetch) ask(i int, down context.Context) (*pricefill.Series, bool, error) {
	p := x.f.providers[i]
	if err := p.wait(x.ctx, down); err != nil {
		if x.ctx.Err() != nil {
			return nil, true, x.ctx.Err()
		}
		x.said[i] = p.waitFailed(err)
		return nil, false, nil
	}
	// The Runner paid for the first request of the fetch.
	if x.sent > 0 {
		if err := x.pace(x.ctx); err != nil {
			return nil, true, err
		}
	}
	x.sent++
	// The fetcher's own further requests wait on p's limiter, and are
	// paid to the Runner. innerErr is set when p's limiter stopped the
	// fetcher there, outerErr when the Runner did.
	var (
		mu                 sync.Mutex
		innerErr, outerErr error
	)
	pctx := withPace(x.ctx, func(c context.Context) error {
		if err := p.wait(c, nil); err != nil {
			mu.Lock()
			innerErr = cmp.Or(innerErr, err)
			mu.Unlock()
			return err
		}
		if err := x.pace(c); err != nil {
			mu.Lock()
			outerErr = cmp.Or(outerErr, err)
			mu.Unlock()
			return err
		}
		return nil
	})
	s, err := p.Fetcher.Fetch(pctx, x.symbol, x.r)
	if err == nil && s == nil {
		err = fmt.Errorf("%s: fetcher returned no series and no error", p.Name)
	}
	mu.Lock()
	inner, outer := innerErr, outerErr
	mu.Unlock()
	switch {
	case err == nil:
	case outer != nil:
		return nil, true, outer // the Runner knows why
	case x.ctx.Err() != nil:
		return nil, true, err
	case inner != nil:
		x.said[i] = p.waitFailed(inner)
		return nil, false, nil
	}
	// An error of the limiter's own in hearing the answer is dropped: the
	// next wait on it meets its ledger again.
	outage, _ := tell(x.ctx, p.feedback, x.symbol, err)
	if err == nil {
		for j := range s.Bars {
			if s.Bars[j].Source == "" {
				s.Bars[j].Source = p.Name
			}
		}
		return s, true, nil
	}
	switch kind := pricefill.KindOf(err); {
	case kind == pricefill.KindNotFound:
		x.said[i] = said{verdictNotFound, err}
	case kind == pricefill.KindPermanent:
		x.said[i] = said{verdictPermanent, err}
	case kind == pricefill.KindRateLimited:
		x.said[i] = said{verdictRefused, err}
	case outage:
		p.wentDown()
		x.said[i] = said{verdictDown, err}
	case kind == pricefill.KindUnavailable:
		x.said[i] = said{verdictDown, err}
	default:
		x.said[i] = said{verdictTransient, err}
	}
	return nil, false, nil
}

// waitFailed is what p said when a wait on its limiter failed with err,
// other than for the fetch's end.
func (p *provider) waitFailed(err error) said {
	switch {
	case errors.Is(err, errWentDown):
		return said{verdictDown, fmt.Errorf("%s: %w", p.Name, err)}
	case errors.Is(err, pricefill.ErrUnavailable):
		return said{verdictGaveUp, err}
	}
	// Its ledger failing, say: not the symbol's fault, but no news of
	// the provider either.
	return said{verdictTransient, fmt.Errorf("%s: waiting on its limiter: %w", p.Name, err)}
}

// failure returns the error of a fetch that no provider served: it says
// what each said, and wraps the most hopeful answer (see [Fallback]).
func (x *fetch) failure() error {
	parts := make([]string, len(x.said))
	count := make(map[verdict]int)
	for i, s := range x.said {
		name, text := x.f.providers[i].Name, s.err.Error()
		if !strings.Contains(text, name) {
			text = name + ": " + text
		}
		parts[i] = text
		count[s.verdict]++
	}
	first := func(v verdict) error {
		for _, s := range x.said {
			if s.verdict == v {
				return s.err
			}
		}
		return nil
	}
	var cause error
	switch {
	case count[verdictDown] > 0:
		cause = pricefill.Unavailable(first(verdictDown))
	case count[verdictRefused] > 0:
		cause = first(verdictRefused)
	case count[verdictTransient] > 0:
		cause = first(verdictTransient)
	case count[verdictGaveUp] == len(x.said):
		cause = first(verdictGaveUp)
	case count[verdictGaveUp] > 0:
		cause = pricefill.Permanent(first(verdictGaveUp))
	case count[verdictPermanent] > 0:
		cause = first(verdictPermanent)
	default:
		cause = first(verdictNotFound)
	}
	return &fallbackError{text: "no provider served " + x.symbol + ": " + strings.Join(parts, "; "), cause: cause}
}

// A fallbackError is a fetch that no provider served: its text says what
// each said, and it wraps the answer whose kind decides the task's fate.
type fallbackError struct {
	text  string
	cause error
}

func (e *fallbackError) Error() string { return e.text }
func (e *fallbackError) Unwrap() error { return e.cause }

// An allGaveUpError is the error of a Fallback's Wait once the limiter of
// every provider has given up on it: it wraps their errors, in order, and
// matches [pricefill.ErrUnavailable].
type allGaveUpError struct{ errs []error }

func (e *allGaveUpError) Error() string {
	texts := make([]string, len(e.errs))
	for i, err := range e.errs {
		texts[i] = err.Error()
	}
	return "every provider is down: " + strings.Join(texts, "; ")
}

func (e *allGaveUpError) Unwrap() []error { return e.errs }

// Is reports whether target is [pricefill.ErrUnavailable].
func (e *allGaveUpError) Is(target error) bool { return target == pricefill.ErrUnavailable }
