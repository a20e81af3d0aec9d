package backfill

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/queue"
	"github.com/pricefill/pricefill/ratelimit"
)

// A Plan is what a run of a request needs, as [Runner.Plan] works it out
// before any request is made.
type Plan struct {
	Range pricefill.Range
	// Symbols is the number of symbols of the request; Stored counts those
	// whose range the store holds already, up to the last session over,
	// so that they need no request.
	Symbols, Stored int
	// Requests is the number of requests the others need: one per stretch
	// of missing trading days, nearby gaps joined, as the run asks for
	// them. It is an upper bound: a task that an earlier run completed over
	// the same range is not fetched again, whatever days the provider left
	// out. A fetcher that needs more than one request for some fetches
	// (Yahoo's cookie and crumb) makes a few more.
	Requests int
	// Forecast is when those requests could go out at the limiter's
	// limits, or nil when the limiter cannot tell (see [Forecaster]).
	Forecast *ratelimit.Forecast
	// Limiter is the limiter's budget now, or nil when the limiter does not
	// tell (see [StatusReporter]).
	Limiter *ratelimit.Status
}

// Plan works out what Run would need for req: how many symbols need
// requests, how many requests, and, where the limiter can forecast, when
// the last of them could go out. It reads the store and the limiter's
// budget, and changes neither: no task is queued and no request made.
func (r *Runner) Plan(ctx context.Context, req Request) (*Plan, error) {
	symbols, err := normalizeSymbols(req.Symbols)
	if err != nil {
		return nil, err
	}
	if err := req.Range.Validate(); err != nil {
		return nil, fmt.Errorf("backfill: %w", err)
	}
	p := &Plan{Range: req.Range, Symbols: len(symbols)}
	now := r.cfg.clock.Now()
	for _, sym := range symbols {
		t := &queue.Task{Symbol: sym, Range: req.Range}
		spans, _, err := r.plan(ctx, t, r.settled(t, pricefill.Asset{Symbol: sym}, now))
		if err != nil {
			return nil, fmt.Errorf("backfill: plan %s: reading the stored dates: %w", sym, err)
		}
		if len(spans) == 0 {
			p.Stored++
		}
		p.Requests += len(spans)
	}
	if fc, ok := r.cfg.limiter.(Forecaster); ok {
		f, err := fc.Forecast(ctx, p.Requests)
		if err != nil {
			return nil, fmt.Errorf("backfill: plan: %w", err)
		}
		p.Forecast = &f
	}
	if r.cfg.status != nil {
		st, err := r.cfg.status.Status(ctx)
		if err != nil {
			return nil, fmt.Errorf("backfill: plan: %w", err)
		}
		p.Limiter = &st
	}
	return p, nil
}

// WriteText writes the plan for people to read.
func (p *Plan) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "range         %s\n", p.Range)
	fmt.Fprintf(&b, "symbols       %d: %d need requests, %d stored already\n", p.Symbols, p.Symbols-p.Stored, p.Stored)
	fmt.Fprintf(&b, "requests      %d, one per stretch of missing trading days (at most: a task done before is not redone)\n", p.Requests)
	switch f := p.Forecast; {
	case p.Requests == 0:
		b.WriteString("time          none: nothing to fetch\n")
	case f == nil:
		b.WriteString("time          unknown: the limiter cannot forecast\n")
	default:
		took := f.Last.Sub(f.Now).Round(time.Second)
		fmt.Fprintf(&b, "time          %s at the budget's limits: the first request at %s, the last at %s\n",
			took, f.First.UTC().Format(time.DateTime+" MST"), f.Last.UTC().Format(time.DateTime+" MST"))
	}
	if p.Limiter != nil && p.Limiter.Limited() {
		fmt.Fprintf(&b, "budget        %s\n", p.Limiter)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
