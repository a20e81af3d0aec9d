package upstream_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill/internal/clocktest"
	"github.com/pricefill/pricefill/internal/upstream"
)

// The paths of every handler, with what each answers when nothing goes
// wrong.
var everyHandler = []struct {
	name, path string
	status     int
}{
	{"yahoo chart", "/v8/finance/chart/AAPL?period1=1704700000&period2=1705000000", http.StatusOK},
	{"yahoo cookie", "/", http.StatusNotFound},
	{"yahoo crumb", "/v1/test/getcrumb", http.StatusUnauthorized}, // no cookie
	{"stooq", stooqWeek, http.StatusOK},
	{"alpha vantage", "/query?function=TIME_SERIES_DAILY&symbol=IBM", http.StatusOK},
}

// TestStrictCoolDown: a refusal of the rate limit starts a cool-down
// during which every request is refused, with the time left as
// Retry-After; refusals during it neither extend it nor start another.
func TestStrictCoolDown(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2024, 1, 15, 14, 0, 0, 0, time.UTC)
	clock := clocktest.NewFake(t0)
	srv := setup(t, upstream.WithClock(clock), upstream.WithRateLimit(2), upstream.WithStrictCoolDown(2500*time.Millisecond))
	type answer struct {
		Status     int
		RetryAfter string
	}
	var got []answer
	at := func(offset time.Duration) {
		clock.Set(t0.Add(offset))
		st, h, _ := mustGet(t, srv, stooqWeek)
		got = append(got, answer{st, h.Get("Retry-After")})
	}
	at(0)
	at(0)
	at(0)                       // over the limit: a cool-down until 2.5 s
	at(1200 * time.Millisecond) // under the limit, but 1.3 s of cool-down left
	at(2 * time.Second)         // 0.5 s left: Retry-After 1, at least
	at(2500 * time.Millisecond) // over, not extended by the last two: 2 in the last second
	at(2500 * time.Millisecond) // over the limit again: a new cool-down
	want := []answer{{200, ""}, {200, ""}, {429, "3"}, {429, "2"}, {429, "1"}, {200, ""}, {429, "3"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
	type record struct {
		Fault                   upstream.FaultKind
		Limited, DuringCoolDown bool
	}
	var records []record
	for _, r := range srv.Requests() {
		records = append(records, record{r.Fault, r.Limited, r.DuringCoolDown})
	}
	ok, refused, during := record{upstream.None, false, false}, record{upstream.RateLimit, true, false}, record{upstream.RateLimit, true, true}
	if diff := cmp.Diff([]record{ok, ok, refused, during, during, ok, refused}, records); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if got := srv.Refusals(); got != 4 {
		t.Errorf("Refusals() = %d, want 4", got)
	}
	if got := srv.DuringCoolDown(); got != 2 {
		t.Errorf("DuringCoolDown() = %d, want 2", got)
	}

	srv.Reset() // forgets the window, the cool-down and the counts
	if st, _, _ := mustGet(t, srv, stooqWeek); st != 200 {
		t.Errorf("after Reset: %d, want 200", st)
	}
	if r, d := srv.Refusals(), srv.DuringCoolDown(); r != 0 || d != 0 {
		t.Errorf("after Reset: Refusals() = %d, DuringCoolDown() = %d, want 0 and 0", r, d)
	}
}

// TestStrictCoolDownAcrossProviders: one cool-down for the whole server,
// whichever provider's API the requests use.
func TestStrictCoolDownAcrossProviders(t *testing.T) {
	t.Parallel()
	clock := clocktest.NewFake(time.Date(2024, 1, 15, 14, 0, 0, 0, time.UTC))
	srv := setup(t, upstream.WithClock(clock), upstream.WithRateLimit(1), upstream.WithStrictCoolDown(time.Minute))
	var got []int
	for _, h := range everyHandler {
		st, _, _ := mustGet(t, srv, h.path)
		got = append(got, st)
	}
	if diff := cmp.Diff([]int{200, 429, 429, 429, 429}, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if got := srv.DuringCoolDown(); got != 3 {
		t.Errorf("DuringCoolDown() = %d, want 3", got)
	}
}

// TestInjectedRateLimitStartsNoCoolDown: a RateLimit fault asked for is
// not a refusal of the rate limit.
func TestInjectedRateLimitStartsNoCoolDown(t *testing.T) {
	t.Parallel()
	clock := clocktest.NewFake(time.Date(2024, 1, 15, 14, 0, 0, 0, time.UTC))
	srv := setup(t, upstream.WithClock(clock), upstream.WithRateLimit(100), upstream.WithStrictCoolDown(time.Minute))
	srv.PushFaults("AAPL", upstream.Fault{Kind: upstream.RateLimit, RetryAfter: "7"})
	if st, h, _ := mustGet(t, srv, stooqWeek); st != 429 || h.Get("Retry-After") != "7" {
		t.Errorf("pushed RateLimit: %d, Retry-After %q; want 429, 7", st, h.Get("Retry-After"))
	}
	if st, _, _ := mustGet(t, srv, stooqWeek); st != 200 {
		t.Errorf("after a pushed RateLimit: %d, want 200 (no cool-down)", st)
	}
	if r, d := srv.Refusals(), srv.DuringCoolDown(); r != 0 || d != 0 {
		t.Errorf("Refusals() = %d, DuringCoolDown() = %d, want 0 and 0", r, d)
	}
}

// TestRefusalsSkipLatency: the rate limit's refusals, during a cool-down
// too, are answered at once by every handler, while the request before
// them still waits for its latency.
func TestRefusalsSkipLatency(t *testing.T) {
	t.Parallel()
	for _, h := range everyHandler {
		t.Run(h.name, func(t *testing.T) {
			t.Parallel()
			clock := clocktest.NewFake(time.Date(2024, 1, 15, 14, 0, 0, 0, time.UTC))
			srv := setup(t, upstream.WithClock(clock), upstream.WithLatency(time.Minute),
				upstream.WithRateLimit(1), upstream.WithStrictCoolDown(10*time.Second))
			first := goGet(t, srv, h.path)
			awaitTimers(t, clock, 1, first)
			refused := atOnce(t, clock, 1, goGet(t, srv, h.path))
			during := atOnce(t, clock, 1, goGet(t, srv, h.path))
			type answer struct {
				Status     int
				RetryAfter string
			}
			got := []answer{{refused.status, refused.header.Get("Retry-After")}, {during.status, during.header.Get("Retry-After")}}
			if diff := cmp.Diff([]answer{{429, "10"}, {429, "10"}}, got); diff != "" {
				t.Errorf("refusals (-want +got):\n%s", diff)
			}
			clock.Advance(time.Minute)
			if r := receive(t, first, "the first request"); r.err != nil || r.status != h.status {
				t.Errorf("first request, after the latency: %d, %v; want %d", r.status, r.err, h.status)
			}
			var limited []bool
			for _, r := range srv.Requests() {
				limited = append(limited, r.Limited)
			}
			if diff := cmp.Diff([]bool{false, true, true}, limited); diff != "" {
				t.Errorf("Limited (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRefusalsWithoutCoolDownSkipLatency: the plain rate limit's refusal
// is answered at once too.
func TestRefusalsWithoutCoolDownSkipLatency(t *testing.T) {
	t.Parallel()
	clock := clocktest.NewFake(time.Date(2024, 1, 15, 14, 0, 0, 0, time.UTC))
	srv := setup(t, upstream.WithClock(clock), upstream.WithLatency(time.Minute), upstream.WithRateLimit(1))
	first := goGet(t, srv, stooqWeek)
	awaitTimers(t, clock, 1, first)
	if r := atOnce(t, clock, 1, goGet(t, srv, stooqWeek)); r.status != 429 || r.header.Get("Retry-After") != "1" {
		t.Errorf("refusal: %d, Retry-After %q, %v; want 429, 1", r.status, r.header.Get("Retry-After"), r.err)
	}
	clock.Advance(time.Minute)
	if r := receive(t, first, "the first request"); r.status != 200 {
		t.Errorf("first request: %d, %v", r.status, r.err)
	}
}

// TestInjectedFaultsKeepLatency: a RateLimit or Status fault that was
// asked for waits for the latency, as every answer does.
func TestInjectedFaultsKeepLatency(t *testing.T) {
	t.Parallel()
	for _, f := range []upstream.Fault{{Kind: upstream.RateLimit, RetryAfter: "3"}, {Kind: upstream.Status}} {
		t.Run(f.Kind.String(), func(t *testing.T) {
			t.Parallel()
			clock := clocktest.NewFake(time.Date(2024, 1, 15, 14, 0, 0, 0, time.UTC))
			srv := setup(t, upstream.WithClock(clock), upstream.WithLatency(time.Minute),
				upstream.WithRateLimit(100), upstream.WithStrictCoolDown(time.Minute))
			srv.PushFaults("AAPL", f)
			ch := goGet(t, srv, stooqWeek)
			awaitTimers(t, clock, 1, ch)
			clock.Advance(time.Minute)
			want := map[upstream.FaultKind]int{upstream.RateLimit: 429, upstream.Status: 503}[f.Kind]
			if r := receive(t, ch, "the faulty answer"); r.status != want {
				t.Errorf("status %d, %v; want %d", r.status, r.err, want)
			}
		})
	}
}
