package backfill

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/queue"
	"github.com/pricefill/pricefill/ratelimit"
	"github.com/pricefill/pricefill/validate/calendar"
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
	// them, whether or not an earlier run completed the symbol's task. A
	// fetcher that needs more than one request for some fetches (Yahoo's
	// cookie and crumb) makes a few more.
	Requests int
	// Missing counts the trading days the requests are for: over, not
	// stored, and not known holes in their back-off. Resting counts the
	// known holes (see [Hole]) left out of the requests because their
	// back-off has not passed.
	Missing, Resting int
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
		tp, err := r.plan(ctx, t, pricefill.Asset{Symbol: sym}, now)
		if err != nil {
			return nil, fmt.Errorf("backfill: plan %s: %w", sym, err)
		}
		if len(tp.spans) == 0 {
			p.Stored++
		}
		p.Requests += len(tp.spans)
		p.Resting += tp.resting
		p.Missing += tp.missing
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
	fmt.Fprintf(&b, "requests      %d, one per stretch of missing trading days (%d days)\n", p.Requests, p.Missing)
	if p.Resting > 0 {
		fmt.Fprintf(&b, "holes         %d known days the provider did not serve, not asked for again yet\n", p.Resting)
	}
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

// settled returns the part of t's range whose sessions are over at now on
// the asset's exchange: the days a provider has final bars for. It is
// empty (To before From) when none is over yet.
func (r *Runner) settled(t *queue.Task, a pricefill.Asset, now time.Time) pricefill.Range {
	rng := t.Range
	if last := calendar.LastSessionOver(r.cfg.calendarFor(a), a, now); last.Before(rng.To) {
		rng.To = last
	}
	return rng
}

// A taskPlan is what one task needs at a moment: the spans to fetch, and
// what the store holds of the task's range.
type taskPlan struct {
	// settled is the part of the range whose sessions are over.
	settled pricefill.Range
	// spans are the requests to make, in order.
	spans []pricefill.Range
	// stored are the dates stored within the range, in any order.
	stored []time.Time
	// holes are the known holes within the range, in date order.
	holes []Hole
	// resting counts the holes of settled left alone for their back-off,
	// missing the trading days of settled neither stored nor resting.
	resting, missing int
}

// plan works out what task t needs at now, for asset a. Without a
// [DateLister] store, or with force, it fetches the whole of the settled
// range; otherwise only the trading days missing from the store that are
// not holes in their back-off (see [Hole]), nearby gaps joined.
func (r *Runner) plan(ctx context.Context, t *queue.Task, a pricefill.Asset, now time.Time) (taskPlan, error) {
	p := taskPlan{settled: r.settled(t, a, now)}
	if p.settled.To.Before(p.settled.From) {
		return p, nil
	}
	cal := r.cfg.calendarFor(a)
	lister, ok := r.store.(DateLister)
	if !ok {
		p.spans = []pricefill.Range{p.settled}
		p.missing = coverageOf(cal, p.settled, nil, nil).notFetched()
		return p, nil
	}
	var err error
	if p.stored, err = lister.StoredDates(ctx, t.Symbol, t.Range); err != nil {
		return p, fmt.Errorf("reading the stored dates: %w", err)
	}
	if keeper, ok := r.store.(HoleKeeper); ok {
		if p.holes, err = keeper.Holes(ctx, t.Symbol, t.Range); err != nil {
			return p, fmt.Errorf("reading the known holes: %w", err)
		}
	}
	if r.cfg.force {
		p.spans = []pricefill.Range{p.settled}
		p.missing = coverageOf(cal, p.settled, p.stored, nil).notFetched()
		return p, nil
	}
	rest := resting(p.holes, r.cfg.holeBackoff, now)
	p.spans = spansToAsk(cal, p.settled, p.stored, rest)
	for _, d := range rest {
		if p.settled.Contains(d) && cal.IsTradingDay(d) {
			p.resting++
		}
	}
	p.missing = coverageOf(cal, p.settled, append(slices.Clip(p.stored), rest...), nil).notFetched()
	return p, nil
}

// spansToAsk returns the requests that fetch the trading days of settled,
// by cal, that are neither stored nor resting: one per run of such days,
// nearby runs joined (see [calendar.Merge]). Each request starts and ends
// on such a day.
func spansToAsk(cal calendar.Calendar, settled pricefill.Range, stored, resting []time.Time) []pricefill.Range {
	have := stored
	if len(resting) > 0 {
		have = append(slices.Clip(stored), resting...)
	}
	return calendar.Merge(cal, calendar.Gaps(cal, settled, have), calendar.MergeDefault)
}
