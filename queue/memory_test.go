package queue_test

import (
	"testing"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/queue"
	"github.com/pricefill/pricefill/queue/queuetest"
)

func TestMemory(t *testing.T) {
	t.Parallel()
	queuetest.Run(t, func(t *testing.T, clock pricefill.Clock) queuetest.Queue {
		return queue.NewMemory(queue.WithClock(clock))
	})
}

func TestCanTransition(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		from, to queue.Status
		want     bool
	}{
		{queue.Pending, queue.InProgress, true},
		{queue.Pending, queue.Completed, false},
		{queue.InProgress, queue.Completed, true},
		{queue.InProgress, queue.Pending, true},
		{queue.Failed, queue.InProgress, true},
		{queue.Failed, queue.Completed, false},
		{queue.Completed, queue.Pending, true},
		{queue.Completed, queue.InProgress, false},
		{queue.PermanentlyFailed, queue.InProgress, false},
		{queue.RateLimited, queue.PermanentlyFailed, false},
	} {
		if got := queue.CanTransition(tc.from, tc.to); got != tc.want {
			t.Errorf("CanTransition(%s, %s) = %v, want %v", tc.from, tc.to, got, tc.want)
		}
	}
}
