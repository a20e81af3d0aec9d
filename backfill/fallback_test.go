package backfill_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/internal/fake"
	"github.com/pricefill/pricefill/queue"
	"github.com/pricefill/pricefill/ratelimit"
)

// sourced returns f with the Source of every bar it returns set to
// source ("" for none).
func sourced(f backfill.Fetcher, source string) backfill.Fetcher {
	return backfill.FetcherFunc(func(ctx context.Context, symbol string, r pricefill.Range) (*pricefill.Series, error) {
		s, err := f.Fetch(ctx, symbol, r)
		if err != nil {
			return nil, err
		}
		for i := range s.Bars {
			s.Bars[i].Source = source
		}
		return s, nil
	})
}

// downLimiter is a recordingLimiter whose outage breaker is open, its
// next probe an hour away, as its Status says; probeDue makes the probe
// due now.
type downLimiter struct {
	recordingLimiter
	probeDue bool
}

var _ backfill.StatusReporter = (*downLimiter)(nil)

func (l *downLimiter) Status(context.Context) (ratelimit.Status, error) {
	st := ratelimit.Status{Name: "one", Now: now, Next: now.Add(time.Hour), Reason: ratelimit.ReasonOutage,
		Outage: &ratelimit.Outage{Since: now.Add(-time.Minute), Cause: "connection refused", NextProbe: now.Add(time.Hour)}}
	if l.probeDue {
		st.Next, st.Reason, st.Outage.NextProbe = now, ratelimit.ReasonNone, now
	}
	return st, nil
}

// newFallback returns a Fallback of providers, failing t on an error.
func newFallback(t tb, providers ...backfill.Provider) *backfill.Fallback {
	t.Helper()
	fb, err := backfill.NewFallback(providers...)
	if err != nil {
		t.Fatal(err)
	}
	return fb
}

// sorted returns the events of l, sorted: the order of symbols is the
// workers'.
func sorted(l *recordingLimiter) []string {
	return slices.Sorted(slices.Values(l.events()))
}

// TestFallbackServesWhatTheFirstCannot: the symbols that the first
// provider does not know, refuses for rate, fails or refuses for good are
// served by the second, their bars with its source; each provider's
// limiter is waited on before its requests and hears of its answers; the
// report counts every request, and says who served each symbol.
func TestFallbackServesWhatTheFirstCannot(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		first, second := fake.NewFetcher(h.clock), fake.NewFetcher(h.clock)
		first.Script("B", fake.Step{Err: pricefill.NotFound("B", errors.New("one: No data"))})
		first.Script("C", fake.Step{Err: pricefill.RateLimited(7*time.Second, errors.New("one: HTTP 429"))})
		first.Script("D", fake.Step{Err: errors.New("one: HTTP 503")})
		first.Script("E", fake.Step{Err: pricefill.Permanent(errors.New("one: HTTP 403"))})
		limOne, limTwo := &recordingLimiter{}, &recordingLimiter{}
		// The second's bars carry no source: they get its name.
		fb := newFallback(t,
			backfill.Provider{Name: "one", Fetcher: sourced(first, "one"), Limiter: limOne},
			backfill.Provider{Name: "two", Fetcher: sourced(second, ""), Limiter: limTwo})
		syms := []string{"A", "B", "C", "D", "E"}
		rep, err := h.runnerOf(fb, backfill.WithLimiter(fb)).Run(context.Background(), backfill.Request{Symbols: syms, Range: march})
		if err != nil {
			t.Fatal(err)
		}
		served := map[string]string{"A": "one", "B": "two", "C": "two", "D": "two", "E": "two"}
		wantRequests := map[string]int{"A": 1, "B": 2, "C": 2, "D": 2, "E": 2}
		for _, s := range rep.Symbols {
			if s.Status != queue.Completed || s.Source != served[s.Symbol] || s.Requests != wantRequests[s.Symbol] {
				t.Errorf("%s: %s, served by %q in %d requests; want completed, by %q in %d", s.Symbol, s.Status, s.Source, s.Requests,
					served[s.Symbol], wantRequests[s.Symbol])
			}
			for _, b := range h.store.Bars(s.Symbol) {
				if b.Source != served[s.Symbol] {
					t.Errorf("%s %s stored with source %q, want %q", s.Symbol, b.Date.Format(pricefill.DateLayout), b.Source, served[s.Symbol])
				}
			}
		}
		if got := h.tasks()["D"].Attempts; got != 0 {
			t.Errorf("D used %d attempts, want 0: the second served it", got)
		}
		calls := len(first.Calls()) + len(second.Calls())
		if rep.Requests != 9 || calls != 9 {
			t.Errorf("%d requests in the report, %d made; want 9 of each", rep.Requests, calls)
		}
		if diff := cmp.Diff(map[string]int{"one": 1, "two": 4}, rep.ServedBy); diff != "" {
			t.Errorf("ServedBy (-want +got):\n%s", diff)
		}
		wantOne := []string{"answered", "answered", "answered", "failed D transient", "refused 7s",
			"wait", "wait", "wait", "wait", "wait"}
		if diff := cmp.Diff(wantOne, sorted(limOne)); diff != "" {
			t.Errorf("the first's limiter (-want +got):\n%s", diff)
		}
		wantTwo := []string{"answered", "answered", "answered", "answered", "wait", "wait", "wait", "wait"}
		if diff := cmp.Diff(wantTwo, sorted(limTwo)); diff != "" {
			t.Errorf("the second's limiter (-want +got):\n%s", diff)
		}
		var b strings.Builder
		if err := rep.WriteText(&b); err != nil {
			t.Fatal(err)
		}
		if want := "served by     two 4, one 1\n"; !strings.Contains(b.String(), want) {
			t.Errorf("report text lacks %q:\n%s", want, b.String())
		}
	})
}

// TestFallbackPassesOverAnOpenBreaker: a provider whose outage breaker is
// open is passed over without a wait on its limiter, unless its probe is
// due: then the fetch is the probe.
func TestFallbackPassesOverAnOpenBreaker(t *testing.T) {
	t.Parallel()
	for _, due := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			h := newHarness(t)
			first, second := fake.NewFetcher(h.clock), fake.NewFetcher(h.clock)
			limOne := &downLimiter{probeDue: due}
			fb := newFallback(t,
				backfill.Provider{Name: "one", Fetcher: sourced(first, "one"), Limiter: limOne},
				backfill.Provider{Name: "two", Fetcher: sourced(second, "two"), Limiter: &recordingLimiter{}})
			rep, err := h.runnerOf(fb, backfill.WithLimiter(fb)).Run(context.Background(), backfill.Request{Symbols: []string{"A", "B"}, Range: march})
			if err != nil {
				t.Fatal(err)
			}
			want, wantEvents := map[string]int{"two": 2}, []string(nil)
			if due {
				want, wantEvents = map[string]int{"one": 2}, []string{"answered", "answered", "wait", "wait"}
			}
			if diff := cmp.Diff(want, rep.ServedBy); diff != "" {
				t.Errorf("probe due %t: ServedBy (-want +got):\n%s", due, diff)
			}
			if diff := cmp.Diff(wantEvents, sorted(&limOne.recordingLimiter)); diff != "" {
				t.Errorf("probe due %t: the first's limiter (-want +got):\n%s", due, diff)
			}
			if rep.Requests != len(first.Calls())+len(second.Calls()) || rep.Requests != 2 {
				t.Errorf("probe due %t: %d requests in the report, %d made; want 2", due, rep.Requests, len(first.Calls())+len(second.Calls()))
			}
		})
	}
}

// TestFallbackLeavesAWaitWhenTheBreakerOpens: a fetch waiting on the
// first provider's limiter, while another fetch's request to it is in
// flight, leaves that wait for the second provider as soon as that
// request's failure opens the first's breaker.
func TestFallbackLeavesAWaitWhenTheBreakerOpens(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		first, second := fake.NewFetcher(h.clock), fake.NewFetcher(h.clock)
		// Whichever symbol comes first, its request to the first hangs,
		// then fails.
		block := make(chan struct{})
		refused := pricefill.Unavailable(errors.New("dial tcp: connection refused"))
		first.Script("A", fake.Step{Block: block, Err: refused})
		first.Script("B", fake.Step{Block: block, Err: refused})
		// A grant of the first every 10 s, and a breaker that opens at
		// the first failure.
		limOne, err := ratelimit.New(ratelimit.WithName("one"), ratelimit.WithClock(h.clock), ratelimit.WithInterval(10*time.Second),
			ratelimit.WithBreaker(1))
		if err != nil {
			t.Fatal(err)
		}
		fb := newFallback(t,
			backfill.Provider{Name: "one", Fetcher: sourced(first, "one"), Limiter: limOne},
			backfill.Provider{Name: "two", Fetcher: sourced(second, "two"), Limiter: noLimit})
		start := h.clock.Now()
		done := make(chan *backfill.Report)
		go func() {
			rep, err := h.runnerOf(fb, backfill.WithLimiter(fb), backfill.WithConcurrency(2)).Run(context.Background(),
				backfill.Request{Symbols: []string{"A", "B"}, Range: march})
			if err != nil {
				t.Error(err)
			}
			done <- rep
		}()
		synctest.Wait() // one symbol's request in flight, the other waiting on the first's limiter
		if n := len(first.Calls()); n != 1 {
			t.Fatalf("%d requests to the first before the failure, want 1", n)
		}
		close(block)
		rep := <-done
		if diff := cmp.Diff(map[string]int{"two": 2}, rep.ServedBy); diff != "" {
			t.Errorf("ServedBy (-want +got):\n%s", diff)
		}
		if d := h.clock.Now().Sub(start); d >= 10*time.Second {
			t.Errorf("the run took %s: a symbol waited for the first's next grant", d)
		}
		if n := len(first.Calls()); n != 1 {
			t.Errorf("%d requests to the first, want 1", n)
		}
	})
}

// TestFallbackEveryProviderDown: while every provider is down no symbol
// is charged an attempt; once every provider's limiter has given up, after
// its outage timeout, the run stops with one line naming each, and every
// task is left pending.
func TestFallbackEveryProviderDown(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		syms := []string{"A", "B", "C", "D"}
		var providers []backfill.Provider
		var fetchers []*fake.Fetcher
		for _, name := range []string{"one", "two"} {
			f := fake.NewFetcher(h.clock)
			for _, s := range syms {
				f.Script(s, fake.Step{Err: pricefill.Unavailable(fmt.Errorf("%s: dial tcp: connection refused", name))})
			}
			lim, err := ratelimit.New(ratelimit.WithName(name), ratelimit.WithClock(h.clock), ratelimit.WithOutageTimeout(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			providers = append(providers, backfill.Provider{Name: name, Fetcher: f, Limiter: lim})
			fetchers = append(fetchers, f)
		}
		fb := newFallback(t, providers...)
		start := h.clock.Now()
		rep, err := h.runnerOf(fb, backfill.WithLimiter(fb), backfill.WithConcurrency(2)).Run(context.Background(),
			backfill.Request{Symbols: syms, Range: march})
		took := h.clock.Now().Sub(start)
		if !errors.Is(err, pricefill.ErrUnavailable) {
			t.Fatalf("Run = %v, want an error matching ErrUnavailable", err)
		}
		for _, want := range []string{"every provider is down", "one unreachable since", "two unreachable since", "connection refused",
			"nothing lost; run it again to resume"} {
			if !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("Run's error %q: want one line with %q", err, want)
			}
		}
		if took < time.Minute || took > time.Minute+15*time.Second {
			t.Errorf("the run stopped after %s, want the outage timeout (1m) after the breakers opened", took)
		}
		for sym, task := range h.tasks() {
			if task.Status != queue.Pending || task.Attempts != 0 {
				t.Errorf("%s: %s after %d attempts, want pending after 0", sym, task.Status, task.Attempts)
			}
		}
		if rep.Failed != 0 || rep.Retried != 0 || rep.Deferred == 0 {
			t.Errorf("report: %d failed, %d retried, %d deferred; want 0, 0, some", rep.Failed, rep.Retried, rep.Deferred)
		}
		calls := 0
		for i, f := range fetchers {
			n := len(f.Calls())
			calls += n
			// The failures that open the breaker, a probe at 5, 10, 20
			// and 40 s, and one per worker caught in flight.
			if most := ratelimit.BreakerFailuresDefault + 4 + 2; n > most {
				t.Errorf("provider %d: %d requests, want at most %d", i+1, n, most)
			}
		}
		// A fetch that found every provider given up sent nothing, and
		// is counted: one per worker at most.
		if rep.Requests < calls || rep.Requests > calls+2 {
			t.Errorf("%d requests in the report, %d made; want %d to %d", rep.Requests, calls, calls, calls+2)
		}
	})
}

// TestFallbackPacesTheFetchersOwnRequests: a provider's fetcher that
// sends a second request calls Pace, which waits on that provider's
// limiter and is counted in the report.
func TestFallbackPacesTheFetchersOwnRequests(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		limOne, limTwo := &recordingLimiter{}, &recordingLimiter{}
		first := backfill.FetcherFunc(func(ctx context.Context, symbol string, r pricefill.Range) (*pricefill.Series, error) {
			if err := backfill.Pace(ctx); err != nil { // a cookie, then the data
				return nil, err
			}
			return nil, pricefill.NotFound(symbol, nil)
		})
		fb := newFallback(t,
			backfill.Provider{Name: "one", Fetcher: first, Limiter: limOne},
			backfill.Provider{Name: "two", Fetcher: h.fetcher, Limiter: limTwo})
		rep, err := h.runnerOf(fb, backfill.WithLimiter(fb)).Run(context.Background(), backfill.Request{Symbols: []string{"A"}, Range: march})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"wait", "wait", "answered"}, limOne.events()); diff != "" {
			t.Errorf("the first's limiter (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"wait", "answered"}, limTwo.events()); diff != "" {
			t.Errorf("the second's limiter (-want +got):\n%s", diff)
		}
		if rep.Requests != 3 {
			t.Errorf("%d requests in the report, want 3: two to the first, one to the second", rep.Requests)
		}
	})
}

func TestNewFallbackRejectsBadProviders(t *testing.T) {
	t.Parallel()
	f := fake.NewFetcher(pricefill.SystemClock())
	for _, tc := range []struct {
		providers []backfill.Provider
		want      string
	}{
		{nil, "backfill: a fallback needs at least one provider"},
		{[]backfill.Provider{{Name: "", Fetcher: f}}, "backfill: fallback provider 1: no name"},
		{[]backfill.Provider{{Name: "a", Fetcher: f}, {Name: "a", Fetcher: f}}, `backfill: fallback provider 2: the name "a" is that of another`},
		{[]backfill.Provider{{Name: "a", Fetcher: f}, {Name: "b"}}, "backfill: fallback provider 2 (b): nil Fetcher"},
	} {
		if _, err := backfill.NewFallback(tc.providers...); err == nil || err.Error() != tc.want {
			t.Errorf("NewFallback(%d providers) = %v, want %q", len(tc.providers), err, tc.want)
		}
	}
	fb := newFallback(t, backfill.Provider{Name: "a", Fetcher: f}, backfill.Provider{Name: "b", Fetcher: f, Limiter: noLimit})
	var names []string
	for _, p := range fb.Providers() {
		names = append(names, p.Name)
	}
	if diff := cmp.Diff([]string{"a", "b"}, names); diff != "" {
		t.Errorf("Providers (-want +got):\n%s", diff)
	}
}

// The states and answers a provider has in TestFallbackProperty.
const (
	propUp     = "up"
	propDown   = "down"    // its breaker open, the next probe not due
	propGaveUp = "gave up" // its limiter gave up on it
)

var propAnswers = []string{"bars", "not found", "rate limited", "unreachable", "transient", "permanent"}

// propLimiter is a provider's limiter in TestFallbackProperty: it never
// waits, reports its state, and counts its waits and what it hears.
type propLimiter struct {
	state string

	mu              sync.Mutex
	waits, feedback int
}

func (l *propLimiter) Wait(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.waits++
	if l.state == propGaveUp {
		return &ratelimit.OutageError{Name: "p", Since: now, Cause: "connection refused", Timeout: time.Minute}
	}
	return ctx.Err()
}

func (l *propLimiter) heard() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.feedback++
}

func (l *propLimiter) Answered(context.Context) error { l.heard(); return nil }

func (l *propLimiter) Refused(context.Context, *pricefill.RateLimitError) error {
	l.heard()
	return nil
}

func (l *propLimiter) Failed(context.Context, string, error) (bool, error) {
	l.heard()
	return l.state == propDown, nil
}

func (l *propLimiter) Status(context.Context) (ratelimit.Status, error) {
	if l.state == propUp {
		return ratelimit.Status{Name: "p", Now: now, Next: now}, nil
	}
	return ratelimit.Status{Name: "p", Now: now, Next: now.Add(time.Minute), Reason: ratelimit.ReasonOutage,
		Outage: &ratelimit.Outage{Since: now, Cause: "connection refused", NextProbe: now.Add(time.Minute)}}, nil
}

// propError returns the error of an answer.
func propError(answer, name string) error {
	switch answer {
	case "not found":
		return pricefill.NotFound("S", errors.New(name))
	case "rate limited":
		return pricefill.RateLimited(time.Second, errors.New(name))
	case "unreachable":
		return pricefill.Unavailable(errors.New(name + ": connection refused"))
	case "transient":
		return errors.New(name + ": HTTP 503")
	case "permanent":
		return pricefill.Permanent(errors.New(name + ": HTTP 403"))
	}
	return nil
}

// TestFallbackProperty: for any states and answers of up to four
// providers, the symbol is served by the first provider, in the order
// they are asked, whose answer is bars: those up in order (the last one
// whatever its state), then those passed over for their open breaker.
// No provider is asked twice, none whose limiter gave up is asked, each
// limiter hears of exactly the requests sent to its provider, and when no
// provider serves, the error's kind is that of the most hopeful answer.
func TestFallbackProperty(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 4).Draw(t, "providers")
		states := make([]string, n)
		answers := make([]string, n)
		lims := make([]*propLimiter, n)
		calls := make([]int, n)
		var mu sync.Mutex
		var providers []backfill.Provider
		for i := range n {
			states[i] = rapid.SampledFrom([]string{propUp, propDown, propGaveUp}).Draw(t, fmt.Sprintf("state%d", i))
			answers[i] = rapid.SampledFrom(propAnswers).Draw(t, fmt.Sprintf("answer%d", i))
			lims[i] = &propLimiter{state: states[i]}
			name := fmt.Sprintf("p%d", i)
			f := backfill.FetcherFunc(func(_ context.Context, symbol string, r pricefill.Range) (*pricefill.Series, error) {
				mu.Lock()
				calls[i]++
				mu.Unlock()
				if err := propError(answers[i], name); err != nil {
					return nil, err
				}
				bars := fake.Bars(symbol, r)
				for j := range bars {
					bars[j].Source = "" // the Fallback names the provider
				}
				return &pricefill.Series{Asset: pricefill.Asset{Symbol: symbol}, Bars: bars}, nil
			})
			providers = append(providers, backfill.Provider{Name: name, Fetcher: f, Limiter: lims[i]})
		}
		fb := newFallback(t, providers...)
		s, err := fb.Fetch(context.Background(), "S", march)

		// The order of asking: those not down, the last one whatever
		// its state, then those down.
		var order, passed []int
		for i := range n {
			if i < n-1 && states[i] != propUp {
				passed = append(passed, i)
				continue
			}
			order = append(order, i)
		}
		order = append(order, passed...)
		want := -1
		var asked []int
		for _, i := range order {
			if states[i] == propGaveUp {
				continue
			}
			asked = append(asked, i)
			if answers[i] == "bars" {
				want = i
				break
			}
		}
		for i := range n {
			wantCalls := 0
			if slices.Contains(asked, i) {
				wantCalls = 1
			}
			if calls[i] != wantCalls || lims[i].feedback != calls[i] {
				t.Fatalf("provider %d (%s, %s): %d requests, its limiter told of %d; want %d", i, states[i], answers[i], calls[i], lims[i].feedback, wantCalls)
			}
		}
		if want >= 0 {
			if err != nil || s == nil || s.Bars[0].Source != fmt.Sprintf("p%d", want) {
				t.Fatalf("Fetch = %v, %v; want the bars of p%d", s, err, want)
			}
			return
		}
		if err == nil {
			t.Fatalf("Fetch served %v; want an error, none answered bars", s.Bars[0].Source)
		}
		// The most hopeful answer's kind.
		has := func(f func(i int) bool) bool {
			for i := range n {
				if f(i) {
					return true
				}
			}
			return false
		}
		askedWith := func(answer string) func(int) bool {
			return func(i int) bool { return slices.Contains(asked, i) && answers[i] == answer }
		}
		var kind pricefill.Kind
		switch {
		case has(askedWith("unreachable")), has(func(i int) bool {
			return slices.Contains(asked, i) && states[i] == propDown && answers[i] == "transient"
		}):
			kind = pricefill.KindUnavailable
		case has(askedWith("rate limited")):
			kind = pricefill.KindRateLimited
		case has(askedWith("transient")):
			kind = pricefill.KindTransient
		case len(asked) == 0:
			kind = pricefill.KindUnavailable
		case has(func(i int) bool { return states[i] == propGaveUp }), has(askedWith("permanent")):
			kind = pricefill.KindPermanent
		default:
			kind = pricefill.KindNotFound
		}
		if got := pricefill.KindOf(err); got != kind {
			t.Fatalf("Fetch's error %q is %s, want %s (states %v, answers %v)", err, got, kind, states, answers)
		}
		for i := range n {
			if name := fmt.Sprintf("p%d", i); !strings.Contains(err.Error(), name) {
				t.Fatalf("Fetch's error %q does not name %s", err, name)
			}
		}
	})
}
