package ratelimit_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/internal/clocktest"
	"github.com/pricefill/pricefill/ratelimit"
)

// start is the clock's time when a test begins.
var start = time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)

// env is a limiter on a clock that is exact and instant: call setup inside
// a synctest bubble.
type env struct {
	t     *testing.T
	l     *ratelimit.Limiter
	clock pricefill.Clock
}

// setup returns a limiter on a clock at at, configured by opts after
// these: the adaptive pace off, so that intervals stay exact after
// refusals (TestAdaptivePace turns it on).
func setup(t *testing.T, at time.Time, opts ...ratelimit.Option) *env {
	t.Helper()
	clock := clocktest.Shifted(at)
	l, err := ratelimit.New(append([]ratelimit.Option{ratelimit.WithClock(clock), ratelimit.WithAdaptivePace(false)}, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &env{t: t, l: l, clock: clock}
}

// refused tells the limiter of a refusal for rate with Retry-After ra.
func (e *env) refused(ra time.Duration) {
	e.t.Helper()
	if err := e.l.Refused(context.Background(), &pricefill.RateLimitError{RetryAfter: ra}); err != nil {
		e.t.Fatalf("Refused: %v", err)
	}
}

// answered tells the limiter of an answer.
func (e *env) answered() {
	e.t.Helper()
	if err := e.l.Answered(context.Background()); err != nil {
		e.t.Fatalf("Answered: %v", err)
	}
}

// status returns the limiter's status.
func (e *env) status() ratelimit.Status {
	e.t.Helper()
	st, err := e.l.Status(context.Background())
	if err != nil {
		e.t.Fatalf("Status: %v", err)
	}
	return st
}

// hourly returns the requests granted in the rolling hour that ends now.
func (e *env) hourly() int { e.t.Helper(); return e.status().HourlyCount }

// wait waits for a grant and returns how long it took.
func (e *env) wait() time.Duration {
	e.t.Helper()
	before := e.clock.Now()
	if err := e.l.Wait(context.Background()); err != nil {
		e.t.Fatalf("Wait: %v", err)
	}
	return e.clock.Now().Sub(before)
}

// waitTakes waits for a grant and fails the test unless it took want;
// after says what came before the wait.
func (e *env) waitTakes(want time.Duration, after string) {
	e.t.Helper()
	if got := e.wait(); got != want {
		e.t.Errorf("delay after %s = %s, want %s", after, got, want)
	}
}

// grantAt waits for a grant and fails the test unless it came at want
// after start (a limiter set up at start).
func (e *env) grantAt(want time.Duration) {
	e.t.Helper()
	e.wait()
	if got := e.clock.Now().Sub(start); got != want {
		e.t.Errorf("grant at start+%s, want start+%s", got, want)
	}
}

// sleep lets d pass on the clock.
func (e *env) sleep(d time.Duration) {
	e.t.Helper()
	if err := pricefill.Sleep(context.Background(), e.clock, d); err != nil {
		e.t.Fatalf("Sleep: %v", err)
	}
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e := setup(t, start)
		if got := e.wait(); got != 0 {
			t.Errorf("first Wait took %s, want 0", got)
		}
		if got := e.wait(); got != ratelimit.IntervalDefault {
			t.Errorf("second Wait took %s, want the default interval %s", got, ratelimit.IntervalDefault)
		}
		for range ratelimit.HourlyLimitDefault - 2 {
			e.wait()
		}
		if got := e.hourly(); got != ratelimit.HourlyLimitDefault {
			t.Errorf("HourlyCount = %d, want %d", got, ratelimit.HourlyLimitDefault)
		}
		// The budget is spent: the next grant comes when the first one,
		// at start, leaves the rolling hour.
		e.wait()
		if got, want := e.clock.Now(), start.Add(time.Hour); !got.Equal(want) {
			t.Errorf("grant %d at %s, want %s", ratelimit.HourlyLimitDefault+1, got, want)
		}
	})
}

func TestRollingHour(t *testing.T) {
	t.Parallel()
	at := func(hms string) time.Time {
		d, err := time.Parse("15:04:05", hms)
		if err != nil {
			t.Fatal(err)
		}
		return time.Date(2026, 1, 5, d.Hour(), d.Minute(), d.Second(), 0, time.UTC)
	}
	synctest.Test(t, func(t *testing.T) {
		e := setup(t, at("10:59:59"), ratelimit.WithInterval(0), ratelimit.WithHourlyLimit(2))
		e.wait()
		e.sleep(31 * time.Second)
		e.wait() // at 11:00:30
		for _, tc := range []struct {
			t    string
			want int
		}{
			{"11:00:30", 2}, // 10:59:59 still counts: not a clock-hour bucket
			{"11:59:58", 2},
			{"11:59:59", 1},
			{"12:00:29", 1},
			{"12:00:30", 0},
		} {
			e.sleep(at(tc.t).Sub(e.clock.Now()))
			if got := e.hourly(); got != tc.want {
				t.Errorf("hourly count at %s = %d, want %d", tc.t, got, tc.want)
			}
		}
	})
	synctest.Test(t, func(t *testing.T) {
		e := setup(t, at("10:59:59"), ratelimit.WithInterval(0), ratelimit.WithHourlyLimit(2))
		e.wait()
		e.sleep(31 * time.Second)
		e.wait() // at 11:00:30
		e.wait()
		if got, want := e.clock.Now(), at("11:59:59"); !got.Equal(want) {
			t.Errorf("third grant at %s, want %s, when the first leaves the hour", got.Format(time.TimeOnly), want.Format(time.TimeOnly))
		}
		if got := e.hourly(); got != 2 {
			t.Errorf("HourlyCount at 11:59:59 = %d, want 2", got)
		}
	})
}

func TestCoolDownSequence(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e := setup(t, start)
		e.wait()
		var got []time.Duration
		for range 6 {
			e.refused(0)
			got = append(got, e.wait())
		}
		want := []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second, 80 * time.Second}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("delays after rate-limit responses 1–6 (-want +got):\n%s", diff)
		}
		e.answered()
		e.refused(0)
		e.waitTakes(5*time.Second, "an answer and a rate-limit response")
	})
}

func TestCoolDownRetryAfter(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		opts       []ratelimit.Option
		before     int // rate-limit responses before, each waited out
		retryAfter time.Duration
		want       time.Duration
	}{
		{name: "none", retryAfter: 0, want: 5 * time.Second},
		{name: "longer than the step", retryAfter: 30 * time.Second, want: 30 * time.Second},
		{name: "shorter than the step, as given", retryAfter: 2 * time.Second, want: 2 * time.Second},
		{name: "as given after steps", before: 2, retryAfter: 1 * time.Second, want: 1 * time.Second},
		{name: "none after steps", before: 2, retryAfter: 0, want: 20 * time.Second},
		{name: "negative", retryAfter: -time.Second, want: 5 * time.Second},
		{name: "huge is capped", retryAfter: 24 * time.Hour, want: ratelimit.MaxRetryAfterDefault},
		{name: "capped by option", opts: []ratelimit.Option{ratelimit.WithMaxRetryAfter(time.Minute)}, retryAfter: time.Hour, want: time.Minute},
		{name: "cap below the step", opts: []ratelimit.Option{ratelimit.WithMaxRetryAfter(time.Second)}, retryAfter: time.Hour, want: time.Second},
		{name: "custom steps", opts: []ratelimit.Option{ratelimit.WithCoolDown(time.Second, 3*time.Second)}, before: 2, want: 3 * time.Second},
		{name: "zero steps: the defaults", opts: []ratelimit.Option{ratelimit.WithCoolDown(0, 0)}, before: 4, want: 80 * time.Second},
		{name: "zero initial: the default", opts: []ratelimit.Option{ratelimit.WithCoolDown(0, time.Minute)}, before: 1, want: 10 * time.Second},
		{name: "zero cap: the default", opts: []ratelimit.Option{ratelimit.WithMaxRetryAfter(0)}, retryAfter: 24 * time.Hour, want: ratelimit.MaxRetryAfterDefault},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				e := setup(t, start, tc.opts...)
				e.wait()
				for range tc.before {
					e.refused(0)
					e.wait()
				}
				e.refused(tc.retryAfter)
				if got := e.wait(); got != tc.want {
					t.Errorf("delay after a refusal with Retry-After %s = %s, want %s", tc.retryAfter, got, tc.want)
				}
			})
		})
	}
}

// TestCoolDownSteps plays refusals, answers and waits on a limiter that
// has granted once, at start.
func TestCoolDownSteps(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		play func(e *env)
	}{
		// The rate-limit responses of one burst, to requests in flight
		// together, count as one step.
		{"CoolDownBurst", func(e *env) {
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() { e.refused(0) })
			}
			wg.Wait()
			e.waitTakes(5*time.Second, "a burst of 4 rate-limit responses")
			e.refused(0)
			e.waitTakes(10*time.Second, "the next response (the second step)")
		}},
		// A response during a cool-down extends it by the current step
		// from now, without a further step.
		{"CoolDownExtends", func(e *env) {
			e.refused(0) // until start+5s
			e.sleep(3 * time.Second)
			e.refused(0) // until start+8s
			e.grantAt(8 * time.Second)
			e.refused(0)
			e.waitTakes(10*time.Second, "the next response (the second step)")
		}},
		// An answer during a cool-down resets the steps but does not cut
		// the cool-down short.
		{"AnswerKeepsCoolDown", func(e *env) {
			e.refused(0)
			e.wait()
			e.refused(0) // second step: until start+15s
			e.sleep(time.Second)
			e.answered()
			e.grantAt(15 * time.Second)
			e.refused(0)
			e.waitTakes(5*time.Second, "the next response (the first step again)")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				e := setup(t, start)
				e.wait()
				tc.play(e)
			})
		})
	}
}

// TestCoolDownHoldsEveryWaiter: waiters queued before a cool-down began
// wait for its end, then go one interval apart, in order.
func TestCoolDownHoldsEveryWaiter(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e := setup(t, start)
		e.wait()
		var (
			mu  sync.Mutex
			got []string
			wg  sync.WaitGroup
		)
		for _, name := range []string{"a", "b", "c"} {
			wg.Go(func() {
				if err := e.l.Wait(context.Background()); err != nil {
					t.Errorf("Wait %s: %v", name, err)
				}
				mu.Lock()
				got = append(got, name+" "+e.clock.Now().Sub(start).String())
				mu.Unlock()
			})
			synctest.Wait() // queued in this order
		}
		e.refused(0)
		wg.Wait()
		want := []string{"a 5s", "b 6s", "c 7s"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("grants (-want +got):\n%s", diff)
		}
	})
}

func TestWaitCancelled(t *testing.T) {
	t.Parallel()
	t.Run("before the call", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			e := setup(t, start)
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if err := e.l.Wait(ctx); !errors.Is(err, context.Canceled) {
				t.Errorf("Wait = %v, want %v", err, context.Canceled)
			}
			if got := e.hourly(); got != 0 {
				t.Errorf("HourlyCount = %d, want 0", got)
			}
			if got := e.wait(); got != 0 {
				t.Errorf("next Wait took %s, want 0: the cancelled one used nothing", got)
			}
		})
	})
	t.Run("while waiting", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			e := setup(t, start, ratelimit.WithInterval(10*time.Second))
			e.wait()
			var wg sync.WaitGroup
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
				defer cancel()
				if err := e.l.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("Wait = %v, want %v", err, context.DeadlineExceeded)
				}
				if got, want := e.clock.Now(), start.Add(3*time.Second); !got.Equal(want) {
					t.Errorf("cancelled Wait returned at %s, want %s", got, want)
				}
			})
			synctest.Wait() // the cancelled waiter is first in the queue
			e.wait()
			wg.Wait()
			if got, want := e.clock.Now(), start.Add(10*time.Second); !got.Equal(want) {
				t.Errorf("grant behind a cancelled waiter at %s, want %s", got, want)
			}
			if got := e.hourly(); got != 2 {
				t.Errorf("HourlyCount = %d, want 2", got)
			}
		})
	})
}

// TestNewZeroMeansDefault: an option set to nil, zero or the empty name
// means its default (the cool-down's are checked by the delay tests).
func TestNewZeroMeansDefault(t *testing.T) {
	t.Parallel()
	clk := clocktest.NewFake(time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC))
	zero, err := ratelimit.New(ratelimit.WithClock(clk), ratelimit.WithLedger(nil), ratelimit.WithName(""),
		ratelimit.WithCoolDown(0, 0), ratelimit.WithMaxRetryAfter(0), ratelimit.WithProbeInterval(0, 0))
	if err != nil {
		t.Fatalf("zero options: %v, want the defaults", err)
	}
	if got := zero.Name(); got != ratelimit.NameDefault {
		t.Errorf("name %q, want %q", got, ratelimit.NameDefault)
	}
}

func TestNewInvalid(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		opts []ratelimit.Option
		want []string // option names the error must contain
	}{
		{[]ratelimit.Option{ratelimit.WithInterval(-time.Second)}, []string{"WithInterval(-1s)"}},
		{[]ratelimit.Option{ratelimit.WithHourlyLimit(-3)}, []string{"WithHourlyLimit(-3)"}},
		{[]ratelimit.Option{ratelimit.WithDailyLimit(-1)}, []string{"WithDailyLimit(-1)"}},
		{[]ratelimit.Option{ratelimit.WithName(strings.Repeat("n", ratelimit.NameMaxLen+1))}, []string{"WithName"}},
		{[]ratelimit.Option{ratelimit.WithName("yahoo key")}, []string{`WithName("yahoo key")`}},
		{[]ratelimit.Option{ratelimit.WithBreaker(-1)}, []string{"WithBreaker(-1)"}},
		{[]ratelimit.Option{ratelimit.WithProbeInterval(time.Minute, time.Second)}, []string{"WithProbeInterval(1m0s, 1s)"}},
		{[]ratelimit.Option{ratelimit.WithOutageTimeout(-time.Second)}, []string{"WithOutageTimeout(-1s)"}},
		{[]ratelimit.Option{ratelimit.WithCoolDown(-time.Second, time.Second)}, []string{"WithCoolDown(-1s, 1s)"}},
		{[]ratelimit.Option{ratelimit.WithCoolDown(0, time.Second)}, []string{"WithCoolDown(5s, 1s)"}}, // 0: the default 5 s
		{[]ratelimit.Option{ratelimit.WithProbeInterval(-time.Second, 0)}, []string{"WithProbeInterval(-1s, 1m0s)"}},
		{[]ratelimit.Option{ratelimit.WithCoolDown(10*time.Second, 5*time.Second)}, []string{"WithCoolDown(10s, 5s)"}},
		{[]ratelimit.Option{ratelimit.WithMaxRetryAfter(-time.Second)}, []string{"WithMaxRetryAfter(-1s)"}},
		{[]ratelimit.Option{ratelimit.WithInterval(-1), ratelimit.WithHourlyLimit(-1)}, []string{"WithInterval", "WithHourlyLimit"}},
	} {
		l, err := ratelimit.New(tc.opts...)
		if !errors.Is(err, ratelimit.ErrInvalidOption) {
			t.Errorf("New(%v): error %v, want one matching ErrInvalidOption", tc.want, err)
			continue
		}
		if l != nil {
			t.Errorf("New(%v) returned a limiter with its error", tc.want)
		}
		for _, name := range tc.want {
			if !strings.Contains(err.Error(), name) {
				t.Errorf("New: error %q does not name %s", err, name)
			}
		}
	}
}

func TestNewValid(t *testing.T) {
	t.Parallel()
	_, err := ratelimit.New(
		ratelimit.WithClock(nil),
		ratelimit.WithInterval(0),
		ratelimit.WithHourlyLimit(0),
		ratelimit.WithDailyLimit(0),
		ratelimit.WithCoolDown(time.Second, time.Second),
		ratelimit.WithMaxRetryAfter(time.Nanosecond),
		ratelimit.WithBreaker(0),
		ratelimit.WithOutageTimeout(0),
		ratelimit.WithLedger(nil),
		ratelimit.WithName("yahoo-key2"),
	)
	if err != nil {
		t.Errorf("New with edge values: %v", err)
	}
}

// TestCoolDownDocTable plays the table of the package documentation.
func TestCoolDownDocTable(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e := setup(t, start)
		e.wait()
		for range 4 {
			e.refused(0)
		}
		e.sleep(3 * time.Second)
		e.refused(0)
		e.grantAt(8 * time.Second)
		e.sleep(time.Second)
		e.refused(0)
		e.grantAt(19 * time.Second)
		e.refused(2 * time.Minute)
		e.sleep(11 * time.Second)
		e.answered()
		e.grantAt(2*time.Minute + 19*time.Second)
		e.sleep(3*time.Minute - e.clock.Now().Sub(start))
		e.refused(0)
		e.grantAt(3*time.Minute + 5*time.Second)
	})
}
