package yahoo_test

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/backfill/httpopt"
	"github.com/pricefill/pricefill/backfill/yahoo"
	"github.com/pricefill/pricefill/internal/fake"
	"github.com/pricefill/pricefill/internal/upstream"
	"github.com/pricefill/pricefill/queue"
)

// countingLimiter grants every Wait at once and counts the grants.
type countingLimiter struct{ grants atomic.Int64 }

func (l *countingLimiter) Wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l.grants.Add(1)
	return nil
}

// crumbServer returns a fake Yahoo that wants a cookie and crumb, closed
// when t ends, and a fetcher for it.
func crumbServer(t *testing.T) (*upstream.Server, *yahoo.Fetcher) {
	t.Helper()
	srv, err := upstream.New(upstream.WithYahooCrumb())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	f, err := yahoo.New(httpopt.WithBaseURL(srv.URL()), httpopt.WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	return srv, f
}

// TestSessionRequestsWaitOnTheLimiter: when Yahoo asks for a crumb (401),
// the cookie page, the crumb and the chart sent again each wait on the
// runner's limiter, so the server sees exactly the requests the limiter
// granted, and the report counts them all. Before backfill.Pace they rode
// on the grant of the first chart request: 11 requests for 8 grants.
func TestSessionRequestsWaitOnTheLimiter(t *testing.T) {
	t.Parallel()
	srv, f := crumbServer(t)
	lim := &countingLimiter{}
	r, err := backfill.New(f, fake.NewStore(), backfill.WithLimiter(lim), backfill.WithConcurrency(4),
		backfill.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	rng := pricefill.Range{From: pricefill.Date(2024, 3, 4), To: pricefill.Date(2024, 3, 8)}
	run := func(syms ...string) {
		t.Helper()
		before := len(srv.Requests())
		grants := lim.grants.Load()
		rep, err := r.Run(context.Background(), backfill.Request{Symbols: syms, Range: rng})
		if err != nil || rep.Succeeded != len(syms) {
			t.Fatalf("Run(%v): %v, %+v", syms, err, rep)
		}
		sent, granted := len(srv.Requests())-before, lim.grants.Load()-grants
		if int64(sent) != granted || rep.Requests != sent {
			t.Errorf("Run(%v): the server saw %d requests, the limiter granted %d, the report counts %d; want all equal",
				syms, sent, granted, rep.Requests)
		}
		if sent <= len(syms) {
			t.Errorf("Run(%v): %d requests; want more than one a symbol (a session was set up)", syms, sent)
		}
	}
	run("AAPL", "MSFT", "NVDA", "AMZN", "GOOG", "META", "TSLA", "JPM")
	srv.ExpireCrumb()
	run("V", "WMT")
}

// TestSessionRefreshStopsWithTheRun: a run stopped while a fetch waits to
// refresh Yahoo's session gives the task back without spending an
// attempt, and sends nothing more.
func TestSessionRefreshStopsWithTheRun(t *testing.T) {
	t.Parallel()
	srv, f := crumbServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The first grant (the chart) passes; the second (the cookie page)
	// stops the run and waits for it.
	var waits atomic.Int64
	lim := backfill.LimiterFunc(func(c context.Context) error {
		if waits.Add(1) == 1 {
			return c.Err()
		}
		cancel()
		<-c.Done()
		return c.Err()
	})
	q := queue.NewMemory()
	r, err := backfill.New(f, fake.NewStore(), backfill.WithLimiter(lim), backfill.WithQueue(q),
		backfill.WithConcurrency(1), backfill.WithGracePeriod(time.Minute),
		backfill.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	rng := pricefill.Range{From: pricefill.Date(2024, 3, 4), To: pricefill.Date(2024, 3, 8)}
	rep, err := r.Run(ctx, backfill.Request{Symbols: []string{"AAPL"}, Range: rng})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v, want context.Canceled", err)
	}
	if rep.Unfinished != 1 || rep.Failed != 0 {
		t.Errorf("report: %d unfinished, %d failed; want the task unfinished", rep.Unfinished, rep.Failed)
	}
	if got := len(srv.Requests()); got != 1 {
		t.Errorf("the server saw %d requests, want 1: the chart that asked for a crumb", got)
	}
	tasks, err := q.Tasks(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != 1 || tasks[0].Attempts != 0 || tasks[0].Status != queue.Pending {
		t.Errorf("tasks after the stop: %+v; want AAPL pending with no attempt spent", tasks)
	}
}
