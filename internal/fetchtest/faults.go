package fetchtest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/internal/clocktest"
	"github.com/pricefill/pricefill/internal/fetchhttp"
	"github.com/pricefill/pricefill/internal/secrettest"
	"github.com/pricefill/pricefill/internal/upstream"
)

// A Provider is an HTTP fetcher under the kit's tests: how to build one
// for the fake upstream, and how it answers where providers differ.
type Provider struct {
	// New returns a fetcher that asks the fake upstream srv through
	// client, tells the time by clock and sends the API key key (empty
	// when the provider takes none).
	New func(srv *upstream.Server, client *http.Client, clock pricefill.Clock, key string) (backfill.Fetcher, error)
	// Symbol is the symbol fetched and Range the dates asked for.
	Symbol string
	Range  pricefill.Range
	// Now is the time of the fake clocks of the upstream and of the
	// fetcher, by which a Retry-After date is read. Default [NowDefault].
	Now time.Time
	// Key is the API key sent; no error may hold it. Empty for none.
	Key string
	// ListsNulls says whether the fake upstream's answer lists a null day
	// (Yahoo's: a timestamp with nulls), so that the fetcher reports it in
	// Series.Nulls, or leaves it out (Stooq's and Alpha Vantage's), so
	// that the fetcher cannot tell it from a holiday. See [RunNulls].
	ListsNulls bool
	// Faults are the provider's own rows of the fault table: how it
	// spells a quota used up, a refused key, missing data… A row named as
	// one of [CommonFaults] replaces it (to ask for more of the error).
	Faults []Fault
}

// NowDefault is the time of [Provider.Now] when it is zero.
var NowDefault = time.Date(2024, 6, 3, 12, 0, 0, 0, time.UTC)

// A Fault is a row of the fault table: a fault of the fake upstream and
// what the fetcher must make of it.
type Fault struct {
	Name  string
	Fault upstream.Fault
	// Kind is the error's kind, or [NoError] for an answer without one.
	Kind pricefill.Kind
	// RetryAfter is the wait the error asks for, or [QuotaUsedUp].
	RetryAfter time.Duration
	// Mention is a text the error holds, besides the symbol.
	Mention string
	// Bars says whether an answer without error has bars.
	Bars bool
}

// NoError stands, as a [Fault]'s Kind, for an answer that is no error.
const NoError pricefill.Kind = -1

// QuotaUsedUp stands, in a fetcher test's table of expected retry-afters,
// for a quota used up: an error of [pricefill.QuotaExceeded] rather than a
// wait.
const QuotaUsedUp time.Duration = -1

// CommonFaults returns the rows that every HTTP fetcher answers alike,
// since fetchhttp.StatusError and fetchhttp.Get decide them: HTTP 429
// with every kind of Retry-After, 5xx, a dropped connection, a body cut
// short, and one that is not the provider's format. now is the time of
// the fake clocks, from which a Retry-After date is counted.
func CommonFaults(now time.Time) []Fault {
	return []Fault{
		{Name: "429 with Retry-After seconds", Fault: upstream.Fault{Kind: upstream.RateLimit, RetryAfter: "7"}, Kind: pricefill.KindRateLimited, RetryAfter: 7 * time.Second},
		{Name: "429 with Retry-After date", Fault: upstream.Fault{Kind: upstream.RateLimit, RetryAfter: now.Add(90 * time.Second).Format(http.TimeFormat)}, Kind: pricefill.KindRateLimited, RetryAfter: 90 * time.Second},
		{Name: "429 with an absurd Retry-After: capped", Fault: upstream.Fault{Kind: upstream.RateLimit, RetryAfter: "315360000"}, Kind: pricefill.KindRateLimited, RetryAfter: fetchhttp.RetryAfterMax},
		{Name: "429 with a past Retry-After date", Fault: upstream.Fault{Kind: upstream.RateLimit, RetryAfter: now.Add(-time.Hour).Format(http.TimeFormat)}, Kind: pricefill.KindRateLimited},
		{Name: "429 without Retry-After", Fault: upstream.Fault{Kind: upstream.RateLimit}, Kind: pricefill.KindRateLimited},
		{Name: "500", Fault: upstream.Fault{Kind: upstream.Status, Status: 500}, Kind: pricefill.KindTransient, Mention: "500"},
		{Name: "502", Fault: upstream.Fault{Kind: upstream.Status, Status: 502}, Kind: pricefill.KindTransient, Mention: "502"},
		{Name: "503", Fault: upstream.Fault{Kind: upstream.Status, Status: 503}, Kind: pricefill.KindTransient, Mention: "503"},
		{Name: "dropped connection", Fault: upstream.Fault{Kind: upstream.Drop}, Kind: pricefill.KindTransient},
		{Name: "truncated body", Fault: upstream.Fault{Kind: upstream.Truncate}, Kind: pricefill.KindTransient},
		{Name: "malformed body", Fault: upstream.Fault{Kind: upstream.Malformed}, Kind: pricefill.KindTransient},
	}
}

func (p Provider) now() time.Time {
	if p.Now.IsZero() {
		return NowDefault
	}
	return p.Now
}

// fetcher returns p's fetcher for srv, failing t when New does.
func (p Provider) fetcher(t testing.TB, srv *upstream.Server, client *http.Client, key string) backfill.Fetcher {
	t.Helper()
	if client == nil {
		client = srv.Client()
	}
	f, err := p.New(srv, client, clocktest.NewFake(p.now()), key)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// server returns a fake upstream for a fault of kind: on the fake clock,
// but for a slow body, which pauses on the real one.
func (p Provider) server(t testing.TB, kind upstream.FaultKind) *upstream.Server {
	t.Helper()
	if kind == upstream.Slow {
		return Upstream(t)
	}
	return Upstream(t, upstream.WithClock(clocktest.NewFake(p.now())))
}

// Run runs the kit's checks of a fetcher as subtests: Faults
// ([RunFaults]), Timeouts ([RunTimeouts]), Nulls ([RunNulls]) and, for a
// provider with an API key, Secrets ([RunSecrets]). A fetcher's test file
// calls it once:
//
//	func TestFetchtest(t *testing.T) { fetchtest.Run(t, provider) }
func Run(t *testing.T, p Provider) {
	t.Helper()
	t.Run("Faults", func(t *testing.T) {
		t.Parallel()
		RunFaults(t, p)
	})
	t.Run("Timeouts", func(t *testing.T) {
		t.Parallel()
		RunTimeouts(t, p)
	})
	t.Run("Nulls", func(t *testing.T) {
		t.Parallel()
		RunNulls(t, p)
	})
	if p.Key != "" {
		t.Run("Secrets", func(t *testing.T) {
			t.Parallel()
			RunSecrets(t, p)
		})
	}
}

// RunFaults fetches p.Symbol with each fault of the table, the common rows
// and p's own, and checks what the fetcher makes of it: the error's kind,
// its wait or quota, that it names the symbol and the row's mention, and
// that it holds neither the request URL nor the key.
func RunFaults(t *testing.T, p Provider) {
	t.Helper()
	rows := CommonFaults(p.now())
	for _, own := range p.Faults {
		i := 0
		for i < len(rows) && rows[i].Name != own.Name {
			i++
		}
		if i == len(rows) {
			rows = append(rows, own)
		} else {
			rows[i] = own
		}
	}
	for _, tc := range rows {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			srv := p.server(t, tc.Fault.Kind)
			srv.SetFault(p.Symbol, tc.Fault)
			s, err := p.fetcher(t, srv, nil, p.Key).Fetch(t.Context(), p.Symbol, p.Range)
			if tc.Kind == NoError {
				if err != nil {
					t.Fatalf("error %v, want none", err)
				}
				if got := len(s.Bars) > 0; got != tc.Bars {
					t.Errorf("bars %v, want bars: %t", s.Bars, tc.Bars)
				}
				return
			}
			CheckFault(t, err, tc, p.Symbol)
			if strings.Contains(err.Error(), srv.URL()) {
				t.Errorf("error %q holds the request URL", err)
			}
			if p.Key != "" {
				secrettest.Check(t, err, p.Key)
			}
		})
	}
}

// RunNulls makes the first and the third day that the fake upstream
// serves for p.Symbol in p.Range null days ([upstream.Server.SetNullDays])
// and fetches them: the bars are those the upstream serves, on the other
// days; the null days are in Series.Nulls, in order, when the provider
// lists them ([Provider.ListsNulls]), and Nulls is nil when it leaves
// them out; never a null day among the bars.
func RunNulls(t *testing.T, p Provider) {
	t.Helper()
	srv := Upstream(t, upstream.WithClock(clocktest.NewFake(p.now())))
	days := srv.Bars(p.Symbol, p.Range)
	if len(days) < 3 {
		t.Fatalf("the upstream serves %d days of %s in %s, want 3 or more", len(days), p.Symbol, p.Range)
	}
	nulls := []time.Time{days[0].Date, days[2].Date}
	srv.SetNullDays(p.Symbol, nulls...)
	s, err := p.fetcher(t, srv, nil, p.Key).Fetch(t.Context(), p.Symbol, p.Range)
	if err != nil {
		t.Fatal(err)
	}
	checkNulls(t, s, p.Range)
	var want, got []time.Time
	for _, b := range srv.Bars(p.Symbol, p.Range) {
		want = append(want, b.Date)
	}
	for _, b := range s.Bars {
		got = append(got, b.Date)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("bar dates, without the null days (-served +fetched):\n%s", diff)
	}
	if !p.ListsNulls {
		nulls = nil
	}
	if diff := cmp.Diff(nulls, s.Nulls); diff != "" {
		t.Errorf("nulls (-want +got):\n%s", diff)
	}
}

// CheckFault checks err against the row tc: its kind, its wait or quota,
// and that it names symbol and tc.Mention.
func CheckFault(t testing.TB, err error, tc Fault, symbol string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s", tc.Kind)
	}
	if got := pricefill.KindOf(err); got != tc.Kind {
		t.Errorf("kind %s, want %s: %v", got, tc.Kind, err)
	}
	if got := pricefill.RetryAfterOf(err); tc.RetryAfter != QuotaUsedUp && got != tc.RetryAfter {
		t.Errorf("retry after %s, want %s", got, tc.RetryAfter)
	}
	var rl *pricefill.RateLimitError
	if isQuota := errors.As(err, &rl) && rl.Quota; isQuota != (tc.RetryAfter == QuotaUsedUp) {
		t.Errorf("a quota used up: %t, want %t", isQuota, tc.RetryAfter == QuotaUsedUp)
	}
	if !strings.Contains(err.Error(), symbol) || !strings.Contains(err.Error(), tc.Mention) {
		t.Errorf("error %q does not name %s and %q", err, symbol, tc.Mention)
	}
}

// RunTimeouts checks that a body that does not come in time is a
// transient error, by the client's timeout or the caller's deadline, and
// that a cancelled fetch says so.
func RunTimeouts(t *testing.T, p Provider) {
	t.Helper()
	srv := Upstream(t) // slow bodies pause on the real clock
	srv.SetFault(p.Symbol, upstream.Fault{Kind: upstream.Slow, Delay: time.Hour})
	client := &http.Client{Transport: srv.Client().Transport, Timeout: 50 * time.Millisecond}
	_, err := p.fetcher(t, srv, client, p.Key).Fetch(t.Context(), p.Symbol, p.Range)
	if err == nil || pricefill.KindOf(err) != pricefill.KindTransient {
		t.Errorf("client timeout: error %v, want transient", err)
	}
	if p.Key != "" {
		secrettest.Check(t, err, p.Key)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err = p.fetcher(t, srv, nil, p.Key).Fetch(ctx, p.Symbol, p.Range)
	if !errors.Is(err, context.DeadlineExceeded) || pricefill.KindOf(err) != pricefill.KindTransient {
		t.Errorf("context deadline: error %v, want transient matching context.DeadlineExceeded", err)
	}
	ctx, cancel = context.WithCancel(t.Context())
	cancel()
	if _, err = p.fetcher(t, srv, nil, p.Key).Fetch(ctx, p.Symbol, p.Range); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: error %v, want context.Canceled", err)
	}
}

// SecretFaults are the faults an API key could leak through, the
// likeliest first: a transport error names the URL; the server's HTML,
// status and malformed bodies echo it, with the key in it.
var SecretFaults = []upstream.Fault{
	{Kind: upstream.Drop}, {Kind: upstream.Status, Status: 500}, {Kind: upstream.HTML}, {Kind: upstream.Malformed},
	{Kind: upstream.Truncate}, {Kind: upstream.Slow, Delay: time.Hour}, {Kind: upstream.ProofOfWork},
	{Kind: upstream.Status, Status: 404}, {Kind: upstream.Status, Status: 400}, {Kind: upstream.Unauthorized},
	{Kind: upstream.RateLimit, RetryAfter: "5"}, {Kind: upstream.Quota}, {Kind: upstream.NotFound},
	{Kind: upstream.NoData}, {Kind: upstream.Premium}, {},
}

// RunSecrets checks that whatever goes wrong, no error in the chain that
// Fetch returns holds the API key, raw or escaped: for keys and faults of
// [SecretFaults] drawn at random.
func RunSecrets(t *testing.T, p Provider) {
	t.Helper()
	srv := Upstream(t, upstream.WithClock(clocktest.NewFake(p.now())))
	client := &http.Client{Transport: srv.Client().Transport, Timeout: 20 * time.Millisecond}
	var n atomic.Int64
	rapid.Check(t, func(rt *rapid.T) {
		key := rapid.StringMatching(`[A-Za-z0-9+/=%&._~-]{6,40}`).Draw(rt, "key")
		f, err := p.New(srv, client, clocktest.NewFake(p.now()), key)
		if err != nil {
			rt.Fatal(err)
		}
		sym := fmt.Sprintf("S%d", n.Add(1))
		srv.PushFaults(sym, rapid.SampledFrom(SecretFaults).Draw(rt, "fault"))
		_, err = f.Fetch(t.Context(), sym, p.Range)
		secrettest.Check(rt, err, key)
	})
}
