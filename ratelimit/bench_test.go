package ratelimit_test

import (
	"context"
	"math"
	"runtime"
	"testing"

	"github.com/pricefill/pricefill/ratelimit"
)

// goroutines is the number of goroutines of BenchmarkWaitParallel.
const goroutines = 64

// newUnbound returns a limiter that never holds a request back: no
// interval, and a budget no benchmark spends. It still remembers every
// grant of the hour, which the figures include.
func newUnbound(b *testing.B) *ratelimit.Limiter {
	b.Helper()
	l, err := ratelimit.New(ratelimit.WithInterval(0), ratelimit.WithHourlyLimit(math.MaxInt))
	if err != nil {
		b.Fatal(err)
	}
	return l
}

// BenchmarkWait is the cost of an uncontended Wait that grants at once.
func BenchmarkWait(b *testing.B) {
	l := newUnbound(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := l.Wait(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWaitParallel is the cost of Wait with 64 goroutines contending.
func BenchmarkWaitParallel(b *testing.B) {
	l := newUnbound(b)
	ctx := context.Background()
	b.SetParallelism(max(1, goroutines/runtime.GOMAXPROCS(0)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := l.Wait(ctx); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
