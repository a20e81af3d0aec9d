package backfill

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/pricefill/pricefill"
)

// An overlap is how a task's fetch overlaps the store, to see whether the
// provider restated the history stored (see [BarLister]).
type overlap struct {
	// spans are the requests to make: the task's spans, each from the
	// last stored day before it.
	spans []pricefill.Range
	// days are those stored days, in date order.
	days []time.Time
}

// overlapOf returns the overlap of spans, the spans to fetch, with the
// stored dates: each span starts at the last stored date before it (after
// the span before), when there is one. Without a stored date before any
// span, the spans are as they were and days is empty.
func overlapOf(spans []pricefill.Range, stored []time.Time) overlap {
	sorted := slices.SortedFunc(slices.Values(stored), func(a, b time.Time) int { return a.Compare(b) })
	o := overlap{spans: slices.Clone(spans)}
	var prevTo time.Time
	for i, sp := range o.spans {
		j, _ := slices.BinarySearchFunc(sorted, sp.From, func(a, b time.Time) int { return a.Compare(b) })
		if j > 0 && sorted[j-1].After(prevTo) {
			d := sorted[j-1]
			o.spans[i].From = d
			o.days = append(o.days, d)
		}
		prevTo = sp.To
	}
	return o
}

// within returns s with the bars and nulls outside spans left out: those
// of the days a fetch overlapped the store by, which were for comparing.
// Its actions are kept.
func within(s *pricefill.Series, spans []pricefill.Range) *pricefill.Series {
	in := func(d time.Time) bool {
		return slices.ContainsFunc(spans, func(r pricefill.Range) bool { return r.Contains(d) })
	}
	out := *s
	out.Bars = slices.DeleteFunc(slices.Clone(s.Bars), func(b pricefill.Bar) bool { return !in(pricefill.DateOf(b.Date)) })
	out.Nulls = slices.DeleteFunc(slices.Clone(s.Nulls), func(d time.Time) bool { return !in(d) })
	return &out
}

// actionsWithin returns the dividends and splits of s within r.
func actionsWithin(s *pricefill.Series, r pricefill.Range) ([]pricefill.Dividend, []pricefill.Split) {
	divs := slices.DeleteFunc(slices.Clone(s.Dividends), func(d pricefill.Dividend) bool { return !r.Contains(d.Date) })
	splits := slices.DeleteFunc(slices.Clone(s.Splits), func(sp pricefill.Split) bool { return !r.Contains(sp.Date) })
	return divs, splits
}

// restated reports whether the answer s, fetched over o, shows the
// history stored to be restated (see [BarLister]): the adjusted close of
// an overlapped day differs from the stored one by more than
// [RestatedTolerance] of it, or, with an [ActionLister] store, s has a
// dividend or split within the task's range that the store has not, dated
// after first, the first stored day. It returns why, for the log.
func (tk *task) restated(ctx context.Context, s *pricefill.Series, o overlap, first time.Time) (string, error) {
	sym, rng := tk.q.Symbol, tk.q.Range
	if len(o.days) > 0 {
		lister := tk.s.store.(BarLister)
		stored, err := lister.StoredBars(ctx, sym, pricefill.Range{From: o.days[0], To: o.days[len(o.days)-1]})
		if err != nil {
			return "", fmt.Errorf("reading the stored bars: %w", err)
		}
		adj := make(map[time.Time]float64, len(stored))
		for _, b := range stored {
			adj[pricefill.DateOf(b.Date)] = b.AdjClose
		}
		for _, b := range s.Bars {
			d := pricefill.DateOf(b.Date)
			old, ok := adj[d]
			if !ok || old <= 0 || b.AdjClose <= 0 || !slices.Contains(o.days, d) {
				continue
			}
			if math.Abs(b.AdjClose-old) > RestatedTolerance*old {
				return fmt.Sprintf("the adjusted close of %s is %v, stored %v", d.Format(pricefill.DateLayout), b.AdjClose, old), nil
			}
		}
	}
	actions, ok := tk.s.store.(ActionLister)
	if !ok || first.IsZero() {
		return "", nil
	}
	divs, splits := actionsWithin(s, rng)
	after := pricefill.Range{From: first.AddDate(0, 0, 1), To: rng.To}
	if len(divs) > 0 {
		have, err := actions.Dividends(ctx, sym, rng)
		if err != nil {
			return "", fmt.Errorf("reading the stored dividends: %w", err)
		}
		for _, d := range divs {
			if after.Contains(d.Date) && !slices.ContainsFunc(have, func(h pricefill.Dividend) bool { return h.Date.Equal(d.Date) }) {
				return "a new dividend of " + d.Date.Format(pricefill.DateLayout), nil
			}
		}
	}
	if len(splits) > 0 {
		have, err := actions.Splits(ctx, sym, rng)
		if err != nil {
			return "", fmt.Errorf("reading the stored splits: %w", err)
		}
		for _, sp := range splits {
			if after.Contains(sp.Date) && !slices.ContainsFunc(have, func(h pricefill.Split) bool { return h.Date.Equal(sp.Date) }) {
				return "a new split of " + sp.Date.Format(pricefill.DateLayout), nil
			}
		}
	}
	return "", nil
}

// firstDate returns the earliest of dates, or the zero time when there is
// none.
func firstDate(dates []time.Time) time.Time {
	if len(dates) == 0 {
		return time.Time{}
	}
	return slices.MinFunc(dates, func(a, b time.Time) int { return a.Compare(b) })
}
