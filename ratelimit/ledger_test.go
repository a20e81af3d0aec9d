package ratelimit

import (
	"testing"
	"time"

	"pgregory.net/rapid"
)

// TestPropertyWindow checks the ring buffer against a plain slice of every
// grant: the room it reports, its counts, and that it never holds more
// than the limit, through growth and wrap-around.
func TestPropertyWindow(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		epoch := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
		limit := rapid.IntRange(1, 40).Draw(t, "limit")
		w := window{epoch: epoch, limit: limit}
		var all []time.Time // every grant, oldest first
		now := epoch
		freed := now // the latest time free was called
		inHour := func(t time.Time) int {
			n := 0
			for _, g := range all {
				if g.After(t.Add(-time.Hour)) && !g.After(t) {
					n++
				}
			}
			return n
		}
		t.Repeat(map[string]func(*rapid.T){
			"advance": func(t *rapid.T) {
				// On whole seconds, so that grants fall exactly an hour apart.
				by := rapid.OneOf(
					rapid.IntRange(0, 3),
					rapid.SampledFrom([]int{3599, 3600, 3601}),
					rapid.IntRange(0, 7200),
				).Draw(t, "by_s")
				now = now.Add(time.Duration(by) * time.Second)
			},
			"grant": func(t *rapid.T) {
				at := w.free(now)
				freed = now
				want := now
				if n := inHour(now); n >= limit {
					want = all[len(all)-limit].Add(time.Hour)
				}
				if !at.Equal(want) {
					t.Fatalf("free(%s) = %s, want %s", now, at, want)
				}
				if at.After(now) {
					return
				}
				w.add(now)
				all = append(all, now)
			},
			"count": func(t *rapid.T) {
				at := freed.Add(time.Duration(rapid.IntRange(0, 3*3600).Draw(t, "after_freed_s")) * time.Second)
				if len(all) > 0 && rapid.Bool().Draw(t, "at_grant_edge") {
					// Where a grant leaves the hour, or a moment before.
					g := rapid.SampledFrom(all).Draw(t, "grant").Add(time.Hour)
					at = later(freed, g.Add(-time.Duration(rapid.IntRange(0, 1).Draw(t, "before_ns"))))
				}
				if got, want := w.count(at), inHour(at); got != want {
					t.Fatalf("count(%s) = %d, want %d", at, got, want)
				}
			},
			"": func(t *rapid.T) {
				if w.n > limit || len(w.buf) > limit {
					t.Fatalf("window holds %d grants in a buffer of %d, limit %d", w.n, len(w.buf), limit)
				}
			},
		})
	})
}
