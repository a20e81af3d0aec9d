package ratelimit_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill/ratelimit"
)

func ExampleExponential() {
	cool := ratelimit.Exponential{Initial: ratelimit.CoolDownInitialDefault, Max: ratelimit.CoolDownMaxDefault}
	for n := 1; n <= 6; n++ {
		fmt.Print(cool.Delay(n), " ")
	}
	fmt.Println()
	// Output: 5s 10s 20s 40s 1m20s 1m20s
}

func TestExponentialDelay(t *testing.T) {
	t.Parallel()
	s := time.Second
	tests := []struct {
		name string
		e    ratelimit.Exponential
		want []time.Duration // steps 1, 2, 3…
	}{
		{"cool-downs", ratelimit.Exponential{Initial: 5 * s, Max: 80 * s}, []time.Duration{5 * s, 10 * s, 20 * s, 40 * s, 80 * s, 80 * s, 80 * s}},
		{"max not a doubling", ratelimit.Exponential{Initial: 5 * s, Max: time.Minute}, []time.Duration{5 * s, 10 * s, 20 * s, 40 * s, time.Minute, time.Minute}},
		{"max below initial: initial first", ratelimit.Exponential{Initial: 5 * s, Max: 2 * s}, []time.Duration{5 * s, 2 * s, 2 * s}},
		{"flat", ratelimit.Exponential{Initial: s, Max: s}, []time.Duration{s, s, s}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got []time.Duration
			for n := 1; n <= len(tc.want); n++ {
				got = append(got, tc.e.Delay(n))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("delays (-want +got):\n%s", diff)
			}
		})
	}
	e := ratelimit.Exponential{Initial: 5 * s, Max: 80 * s}
	if got := e.Delay(0); got != 5*s {
		t.Errorf("Delay(0) = %s, want the first step, 5s", got)
	}
	if got := e.Delay(1 << 40); got != 80*s {
		t.Errorf("Delay(2^40) = %s, want the cap, 80s", got)
	}
	huge := ratelimit.Exponential{Initial: time.Nanosecond, Max: 1<<63 - 1}
	if got := huge.Delay(1000); got != 1<<63-1 {
		t.Errorf("from 1ns, Delay(1000) = %d, want the cap", got)
	}
}

// TestExponentialJitter: a spread delay stays within ±Jitter of the step
// and is not always the same.
func TestExponentialJitter(t *testing.T) {
	t.Parallel()
	e := ratelimit.Exponential{Initial: 5 * time.Second, Max: 80 * time.Second, Jitter: 0.5}
	seen := map[time.Duration]bool{}
	for range 200 {
		d := e.Delay(3) // 20 s ± 10 s
		if d < 10*time.Second || d > 30*time.Second {
			t.Fatalf("Delay(3) = %s, want 10s to 30s", d)
		}
		seen[d] = true
	}
	if len(seen) < 2 {
		t.Errorf("200 spread delays all %v", seen)
	}
}
