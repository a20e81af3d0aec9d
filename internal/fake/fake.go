// Package fake has in-memory stand-ins for the runner's parts, for unit
// tests: a [Fetcher] whose answers are scripted per symbol, and a [Store]
// that keeps bars, holes, dividends and splits in maps and saves them as
// package store's DB does (both pass the suite of package
// backfill/storetest). Both are safe for concurrent use and record what
// was asked of them.
package fake

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
)

var (
	_ backfill.Fetcher      = (*Fetcher)(nil)
	_ backfill.Store        = (*Store)(nil)
	_ backfill.DateLister   = (*Store)(nil)
	_ backfill.HoleKeeper   = (*Store)(nil)
	_ backfill.ActionLister = (*Store)(nil)
	_ backfill.BarLister    = (*Store)(nil)
)

// A Step is one scripted answer of the fetcher.
type Step struct {
	// Err, when set, is returned instead of bars.
	Err error
	// Bars, when set, are returned instead of the generated ones.
	Bars []pricefill.Bar
	// Asset, when set, is returned as the series' asset.
	Asset pricefill.Asset
	// Dividends and Splits are returned as the series' actions, those
	// within the range fetched.
	Dividends []pricefill.Dividend
	Splits    []pricefill.Split
	// Nulls are returned as the series' Nulls: the days the provider
	// listed without prices. They are given as they are, not taken out
	// of the bars (set Bars to leave those days out).
	Nulls []time.Time
	// Block, when set, holds the fetch until it is closed or the fetch's
	// context ends (then the fetch fails with the context's error).
	Block <-chan struct{}
	// Panic, when set, makes the fetch panic with it.
	Panic any
}

// A Call is one fetch the fetcher served.
type Call struct {
	Symbol string
	Range  pricefill.Range
	At     time.Time // on the fetcher's clock
}

// A Fetcher answers each symbol from its script, one step per fetch; the
// last step repeats. A symbol without a script gets generated bars: one per
// weekday of the range (see [Bars]).
type Fetcher struct {
	clock pricefill.Clock

	mu      sync.Mutex
	scripts map[string][]Step
	calls   []Call
}

// NewFetcher returns a fetcher that stamps calls with clock's time.
func NewFetcher(clock pricefill.Clock) *Fetcher {
	return &Fetcher{clock: clock, scripts: make(map[string][]Step)}
}

// Script sets the answers for symbol, in order; the last one repeats.
func (f *Fetcher) Script(symbol string, steps ...Step) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scripts[symbol] = steps
}

// Fetch serves the next step of symbol's script.
func (f *Fetcher) Fetch(ctx context.Context, symbol string, r pricefill.Range) (*pricefill.Series, error) {
	f.mu.Lock()
	f.calls = append(f.calls, Call{Symbol: symbol, Range: r, At: f.clock.Now()})
	step := Step{}
	if s := f.scripts[symbol]; len(s) > 0 {
		step = s[0]
		if len(s) > 1 {
			f.scripts[symbol] = s[1:]
		}
	}
	f.mu.Unlock()

	if step.Block != nil {
		select {
		case <-step.Block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if step.Panic != nil {
		panic(step.Panic)
	}
	if step.Err != nil {
		return nil, step.Err
	}
	bars := step.Bars
	if bars == nil {
		bars = Bars(symbol, r)
	}
	asset := step.Asset
	if asset.Symbol == "" {
		asset.Symbol = symbol
	}
	out := &pricefill.Series{Asset: asset, Bars: slices.Clone(bars), Nulls: slices.Clone(step.Nulls)}
	for _, d := range step.Dividends {
		if r.Contains(d.Date) {
			out.Dividends = append(out.Dividends, d)
		}
	}
	for _, sp := range step.Splits {
		if r.Contains(sp.Date) {
			out.Splits = append(out.Splits, sp)
		}
	}
	return out, nil
}

// Calls returns the fetches served so far, in order.
func (f *Fetcher) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// CallsFor returns the fetches served for symbol, in order.
func (f *Fetcher) CallsFor(symbol string) []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Call
	for _, c := range f.calls {
		if c.Symbol == symbol {
			out = append(out, c)
		}
	}
	return out
}

// Bars returns one valid bar per weekday of r for symbol, the same for the
// same day whatever the range.
func Bars(symbol string, r pricefill.Range) []pricefill.Bar {
	var out []pricefill.Bar
	for d := r.From; !d.After(r.To); d = d.AddDate(0, 0, 1) {
		if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
			continue
		}
		out = append(out, Bar(symbol, d))
	}
	return out
}

// Bar returns the generated bar of symbol on date d.
func Bar(symbol string, d time.Time) pricefill.Bar {
	base := 50 + float64(d.YearDay()%40) + float64(len(symbol))
	return pricefill.Bar{
		Symbol: symbol, Date: d,
		Open: base, High: base + 2, Low: base - 1, Close: base + 1, AdjClose: base + 1,
		Volume: int64(1000 + d.Day()), Source: "fake",
	}
}

// A Store keeps bars and holes in memory, keyed by symbol and date.
type Store struct {
	mu     sync.Mutex
	bars   map[string]map[time.Time]pricefill.Bar
	holes  map[string]map[time.Time]backfill.Hole
	assets map[string]pricefill.Asset
	divs   map[string]map[time.Time]pricefill.Dividend
	splits map[string]map[time.Time]pricefill.Split
	errs   map[string][]error
	saves  []backfill.SaveRequest
}

// NewStore returns an empty store.
func NewStore() *Store {
	return &Store{
		bars:   make(map[string]map[time.Time]pricefill.Bar),
		holes:  make(map[string]map[time.Time]backfill.Hole),
		assets: make(map[string]pricefill.Asset),
		divs:   make(map[string]map[time.Time]pricefill.Dividend),
		splits: make(map[string]map[time.Time]pricefill.Split),
		errs:   make(map[string][]error),
	}
}

// FailSaves makes the next saves of symbol fail with errs, one each.
func (s *Store) FailSaves(symbol string, errs ...error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errs[symbol] = append(s.errs[symbol], errs...)
}

// Save stores the bars of req as the SQL store does: new days are
// inserted; a stored day is replaced when req.Force is set and its prices
// or volume changed, else skipped (a new Source alone changes nothing, and
// so does a second bar for one day); the asset's fields that the provider
// gave replace the stored ones. A bar the SQL store's schema refuses fails
// the whole save with an error matching [pricefill.ErrPermanent], and
// nothing of it is stored. It never completes the task.
//
// It records the holes of req as the SQL store does, a hole of a date
// recorded already replaced (of two of one date in req, the last), and
// then forgets the holes of the dates of req's bars; a hole the SQL
// store's schema refuses fails the save too.
//
// It keeps the dividends and splits of req's series as the SQL store
// does, one per date, a later one replacing the stored one, when the
// series has bars (there is one source here); an action the SQL store's
// schema refuses fails the save.
func (s *Store) Save(ctx context.Context, req backfill.SaveRequest) (backfill.SaveResult, error) {
	if err := ctx.Err(); err != nil {
		return backfill.SaveResult{}, err
	}
	if req.Series == nil {
		return backfill.SaveResult{}, pricefill.Permanent(errors.New("fake store: save: no series"))
	}
	asset := req.Series.Asset
	if asset.Symbol == "" && len(req.Series.Bars) > 0 {
		asset.Symbol = req.Series.Bars[0].Symbol
	}
	sym := asset.Symbol
	s.mu.Lock()
	defer s.mu.Unlock()
	if errs := s.errs[sym]; len(errs) > 0 {
		s.errs[sym] = errs[1:]
		return backfill.SaveResult{}, errs[0]
	}
	s.saves = append(s.saves, req)
	if sym == "" {
		return backfill.SaveResult{}, pricefill.Permanent(errors.New("fake store: save: the series names no symbol"))
	}
	for _, b := range req.Series.Bars {
		if why := refusal(sym, b); why != "" {
			return backfill.SaveResult{}, pricefill.Permanent(fmt.Errorf("fake store: save %s: bar %s: %s", sym, b.Date, why))
		}
	}
	for _, h := range req.Holes {
		if why := holeRefusal(h); why != "" {
			return backfill.SaveResult{}, pricefill.Permanent(fmt.Errorf("fake store: save %s: hole %s: %s", sym, h.Date, why))
		}
	}
	if why := actionRefusal(req.Series); why != "" {
		return backfill.SaveResult{}, pricefill.Permanent(fmt.Errorf("fake store: save %s: %s", sym, why))
	}
	if len(req.Series.Bars) > 0 {
		s.keepActions(sym, req.Series)
	}

	s.assets[sym] = mergeAsset(s.assets[sym], asset)
	days := s.bars[sym]
	if days == nil {
		days = make(map[time.Time]pricefill.Bar)
		s.bars[sym] = days
	}
	// One bar a date, by the module's rule; the others count as skipped.
	bars := pricefill.Series{Bars: slices.Clone(req.Series.Bars)}
	res := backfill.SaveResult{Skipped: int64(len(bars.Dedupe()))}
	for _, b := range bars.Bars {
		b.Symbol, b.Date = sym, b.Date.UTC()
		old, ok := days[b.Date]
		switch {
		case !ok:
			days[b.Date] = b
			res.Inserted++
		case req.Force && !sameValues(old, b):
			days[b.Date] = b
			res.Updated++
		default:
			res.Skipped++
		}
	}
	holes := s.holes[sym]
	if holes == nil {
		holes = make(map[time.Time]backfill.Hole)
		s.holes[sym] = holes
	}
	for _, h := range req.Holes {
		h.Date, h.LastAsked = h.Date.UTC(), h.LastAsked.UTC().Truncate(time.Microsecond)
		holes[h.Date] = h
	}
	for _, b := range bars.Bars {
		delete(holes, b.Date.UTC())
	}
	return res, nil
}

// keepActions stores the actions of series of sym, each replacing the
// stored one of its date.
func (s *Store) keepActions(sym string, series *pricefill.Series) {
	if s.divs[sym] == nil {
		s.divs[sym] = make(map[time.Time]pricefill.Dividend)
		s.splits[sym] = make(map[time.Time]pricefill.Split)
	}
	for _, d := range series.Dividends {
		s.divs[sym][d.Date] = d
	}
	for _, sp := range series.Splits {
		s.splits[sym][sp.Date] = sp
	}
}

// actionRefusal says why the SQL store's schema refuses an action of
// series, or returns "" when it takes them all.
func actionRefusal(series *pricefill.Series) string {
	positive := func(v float64) bool { return v > 0 && v <= math.MaxFloat64 }
	for _, d := range series.Dividends {
		switch {
		case d.Date.IsZero() || !d.Date.Equal(pricefill.DateOf(d.Date)):
			return fmt.Sprintf("dividend date %s: want a date at midnight UTC", d.Date)
		case !positive(d.Amount):
			return fmt.Sprintf("dividend %s: amount %v: want a finite amount above 0", d.Date.Format(pricefill.DateLayout), d.Amount)
		}
	}
	for _, sp := range series.Splits {
		switch {
		case sp.Date.IsZero() || !sp.Date.Equal(pricefill.DateOf(sp.Date)):
			return fmt.Sprintf("split date %s: want a date at midnight UTC", sp.Date)
		case !positive(sp.Numerator) || !positive(sp.Denominator):
			return fmt.Sprintf("split %s: ratio %v:%v: want finite terms above 0", sp.Date.Format(pricefill.DateLayout), sp.Numerator, sp.Denominator)
		}
	}
	return ""
}

// Dividends returns the dividends stored for symbol within r, in date
// order.
func (s *Store) Dividends(ctx context.Context, symbol string, r pricefill.Range) ([]pricefill.Dividend, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []pricefill.Dividend
	for _, d := range s.divs[symbol] {
		if r.Contains(d.Date) {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b pricefill.Dividend) int { return a.Date.Compare(b.Date) })
	return out, nil
}

// Splits returns the splits stored for symbol within r, in date order.
func (s *Store) Splits(ctx context.Context, symbol string, r pricefill.Range) ([]pricefill.Split, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []pricefill.Split
	for _, sp := range s.splits[symbol] {
		if r.Contains(sp.Date) {
			out = append(out, sp)
		}
	}
	slices.SortFunc(out, func(a, b pricefill.Split) int { return a.Date.Compare(b.Date) })
	return out, nil
}

// StoredBars returns the bars stored for symbol within r, in date order.
func (s *Store) StoredBars(ctx context.Context, symbol string, r pricefill.Range) ([]pricefill.Bar, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []pricefill.Bar
	for _, b := range s.Bars(symbol) {
		if r.Contains(b.Date) {
			out = append(out, b)
		}
	}
	return out, nil
}

// holeRefusal says why the SQL store's schema refuses h, or returns ""
// when it takes h.
func holeRefusal(h backfill.Hole) string {
	switch {
	case h.Date.IsZero() || !h.Date.Equal(pricefill.DateOf(h.Date)):
		return "want a date at midnight UTC"
	case h.Reason != backfill.HoleMissing && h.Reason != backfill.HoleLate && h.Reason != backfill.HoleNull && h.Reason != backfill.HoleInvalid:
		return fmt.Sprintf("reason %q: want missing, late, null or invalid", h.Reason)
	case h.Asks < 1:
		return fmt.Sprintf("asks %d: want 1 or more", h.Asks)
	case h.LastAsked.IsZero():
		return "no time it was last asked for"
	}
	return ""
}

// Holes returns the holes recorded for symbol within r, in date order.
func (s *Store) Holes(ctx context.Context, symbol string, r pricefill.Range) ([]backfill.Hole, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []backfill.Hole
	for _, h := range s.holes[symbol] {
		if r.Contains(h.Date) {
			out = append(out, h)
		}
	}
	slices.SortFunc(out, func(a, b backfill.Hole) int { return a.Date.Compare(b.Date) })
	return out, nil
}

// PutHoles records holes of symbol as they are, as if an earlier run had
// saved them.
func (s *Store) PutHoles(symbol string, holes ...backfill.Hole) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.holes[symbol] == nil {
		s.holes[symbol] = make(map[time.Time]backfill.Hole)
	}
	for _, h := range holes {
		s.holes[symbol][h.Date] = h
	}
}

// refusal says why the SQL store's schema refuses b in a series of
// symbol, or returns "" when it takes b.
func refusal(symbol string, b pricefill.Bar) string {
	switch {
	case b.Symbol != "" && b.Symbol != symbol:
		return "of symbol " + b.Symbol
	case b.Date.IsZero() || !b.Date.Equal(pricefill.DateOf(b.Date)):
		return "want a date at midnight UTC"
	case b.Volume < 0:
		return "negative volume"
	case !(b.AdjClose >= 0 && b.AdjClose <= math.MaxFloat64): // 0 is unknown
		return "want a finite adjusted close, 0 or above"
	}
	for _, p := range []float64{b.Open, b.High, b.Low, b.Close} {
		if !(p > 0 && p <= math.MaxFloat64) {
			return "want finite prices above 0"
		}
	}
	return ""
}

// sameValues reports whether a and b have the same prices and volume, the
// values whose change a forced save stores.
func sameValues(a, b pricefill.Bar) bool {
	a.Source, b.Source = "", ""
	return a == b
}

// mergeAsset returns stored with the fields that a gives (those not
// empty) replaced, as the SQL store merges an asset.
func mergeAsset(stored, a pricefill.Asset) pricefill.Asset {
	stored.Symbol = a.Symbol
	for _, f := range []struct {
		field *string
		v     string
	}{{&stored.Name, a.Name}, {&stored.Currency, a.Currency}, {&stored.Exchange, a.Exchange}, {&stored.Timezone, a.Timezone}} {
		if f.v != "" {
			*f.field = f.v
		}
	}
	return stored
}

// StoredDates returns the dates stored for symbol within r, in order.
func (s *Store) StoredDates(ctx context.Context, symbol string, r pricefill.Range) ([]time.Time, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []time.Time
	for _, b := range s.Bars(symbol) {
		if r.Contains(b.Date) {
			out = append(out, b.Date)
		}
	}
	return out, nil
}

// Put stores bars as they are, as if an earlier run had saved them.
func (s *Store) Put(bars ...pricefill.Bar) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range bars {
		if s.bars[b.Symbol] == nil {
			s.bars[b.Symbol] = make(map[time.Time]pricefill.Bar)
		}
		s.bars[b.Symbol][b.Date] = b
	}
}

// Bars returns the stored bars of symbol in date order.
func (s *Store) Bars(symbol string) []pricefill.Bar {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]pricefill.Bar, 0, len(s.bars[symbol]))
	for _, b := range s.bars[symbol] {
		out = append(out, b)
	}
	slices.SortFunc(out, func(a, b pricefill.Bar) int { return a.Date.Compare(b.Date) })
	return out
}

// Count returns the number of bars stored, over all symbols.
func (s *Store) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, days := range s.bars {
		n += len(days)
	}
	return n
}

// Saves returns the requests saved so far, in order.
func (s *Store) Saves() []backfill.SaveRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.saves)
}

// Asset returns the stored description of symbol, or nil when none is
// stored.
func (s *Store) Asset(ctx context.Context, symbol string) (*pricefill.Asset, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.assets[symbol]
	if !ok {
		return nil, nil
	}
	return &a, nil
}
