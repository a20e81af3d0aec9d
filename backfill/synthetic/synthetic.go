package synthetic

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/validate/calendar"
)

// Source is the Source of every bar this fetcher returns.
const Source = "synthetic"

// A Calendar tells trading days. The calendars of package calendar (NYSE,
// Weekdays) are Calendars.
type Calendar interface {
	// IsTradingDay reports whether the calendar date of t is a trading day.
	IsTradingDay(t time.Time) bool
}

// A Breakage is how an invalid bar is broken (see [WithInvalidRate]).
type Breakage int

// The breakages, each against one validation rule.
const (
	// NotBroken is a valid bar.
	NotBroken Breakage = iota
	// HighBelowLow swaps high and low.
	HighBelowLow
	// NullLike zeroes the prices and the volume: what a parser that reads
	// a null as 0 would make of a missing day.
	NullLike
	// NegativeVolume makes the volume negative.
	NegativeVolume
	// CloseAboveHigh puts the close above the high.
	CloseAboveHigh
)

var breakageNames = [...]string{"not_broken", "high_below_low", "null_like", "negative_volume", "close_above_high"}

// String returns the breakage's name, such as "high_below_low".
func (b Breakage) String() string {
	if b >= 0 && int(b) < len(breakageNames) {
		return breakageNames[b]
	}
	return fmt.Sprintf("Breakage(%d)", int(b))
}

type config struct {
	calendar    Calendar // nil: the listing's, by calendar.For
	seed        uint64
	invalidRate float64
	errs        []error
}

// An Option configures a [Fetcher].
type Option func(*config)

// WithCalendar sets the calendar whose trading days get bars, for every
// symbol. By default each symbol gets its listing's calendar, as
// [calendar.For] chooses it from the symbol: the NYSE's for US
// listings, the exchange's own for the nine others it knows, weekdays for
// the rest; nil means that default.
func WithCalendar(c Calendar) Option {
	return func(cfg *config) { cfg.calendar = c }
}

// WithSeed sets the seed mixed into every bar, so that two fetchers with
// different seeds tell different stories. Default 0.
func WithSeed(seed uint64) Option {
	return func(cfg *config) { cfg.seed = seed }
}

// WithInvalidRate breaks that share of the bars, in [0, 1], for tests and
// benchmarks of validation: each chosen bar is broken one of the
// [Breakage] ways, chosen (like the bar) by symbol and date alone. Default
// 0: every bar is valid.
func WithInvalidRate(rate float64) Option {
	return func(cfg *config) { cfg.invalidRate = rate }
}

// A Fetcher makes up bars: deterministic, plausible and clearly labelled
// as synthetic. The bar of a symbol on a date depends only on the symbol,
// the date and the seed, never on the range asked for, so overlapping
// fetches agree. Prices wander smoothly around a level chosen by the
// symbol (between 10 and 500), with low ≤ open, close ≤ high, all
// positive, rounded to cents; volumes are between 50,000 and about
// 10 million shares. It is safe for concurrent use and makes no I/O.
type Fetcher struct {
	cfg config
}

var _ backfill.Fetcher = (*Fetcher)(nil)

// New returns a Fetcher configured by opts, or an error naming the option
// that is wrong.
func New(opts ...Option) (*Fetcher, error) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	errs := cfg.errs
	if !(cfg.invalidRate >= 0 && cfg.invalidRate <= 1) {
		errs = append(errs, fmt.Errorf("synthetic.WithInvalidRate: %g is not in [0, 1]", cfg.invalidRate))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &Fetcher{cfg: cfg}, nil
}

// Fetch returns the bars of symbol on the trading days of r. The asset's
// name says the data is synthetic; its currency is USD and its exchange
// "SYNTHETIC".
func (f *Fetcher) Fetch(ctx context.Context, symbol string, r pricefill.Range) (*pricefill.Series, error) {
	sym, err := pricefill.NormalizeSymbol(symbol)
	if err != nil {
		return nil, pricefill.Permanent(fmt.Errorf("synthetic: %w", err))
	}
	if err := r.Validate(); err != nil {
		return nil, pricefill.Permanent(fmt.Errorf("synthetic %s: %w", sym, err))
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("synthetic %s: %w", sym, err)
	}
	s := &pricefill.Series{Asset: Asset(sym)}
	for d := r.From; !d.After(r.To); d = d.AddDate(0, 0, 1) {
		if b, ok := f.Bar(sym, d); ok {
			s.Bars = append(s.Bars, b)
		}
	}
	return s, nil
}

// Asset returns the asset that Fetch reports for sym.
func Asset(sym string) pricefill.Asset {
	return pricefill.Asset{
		Symbol:   sym,
		Name:     "Synthetic data for " + sym + " (not real prices)",
		Currency: "USD",
		Exchange: "SYNTHETIC",
	}
}

// calendarOf returns the calendar of sym's trading days.
func (f *Fetcher) calendarOf(sym string) Calendar {
	if f.cfg.calendar != nil {
		return f.cfg.calendar
	}
	return calendar.For(pricefill.Asset{Symbol: sym})
}

// Bar returns the bar of sym on the calendar date of date, and false when
// that date is not a trading day of the fetcher's calendar. sym is used
// as given (Fetch passes it normalized).
func (f *Fetcher) Bar(sym string, date time.Time) (pricefill.Bar, bool) {
	d := pricefill.DateOf(date)
	if !f.calendarOf(sym).IsTradingDay(d) {
		return pricefill.Bar{}, false
	}
	b := f.bar(sym, d)
	if f.cfg.invalidRate > 0 {
		b = f.breakBar(sym, b)
	}
	return b, true
}

// Breakage returns how the bar of sym on date is broken, [NotBroken] for a
// valid bar (or no bar).
func (f *Fetcher) Breakage(sym string, date time.Time) Breakage {
	d := pricefill.DateOf(date)
	if f.cfg.invalidRate == 0 || !f.calendarOf(sym).IsTradingDay(d) {
		return NotBroken
	}
	rng := f.rng(sym, d, 1)
	if rng.Float64() >= f.cfg.invalidRate {
		return NotBroken
	}
	return Breakage(1 + rng.IntN(len(breakageNames)-1))
}

func (f *Fetcher) breakBar(sym string, b pricefill.Bar) pricefill.Bar {
	switch f.Breakage(sym, b.Date) {
	case HighBelowLow:
		b.High, b.Low = b.Low, b.High
		if b.High == b.Low {
			b.High = b.Low - 0.01
		}
	case NullLike:
		b.Open, b.High, b.Low, b.Close, b.AdjClose, b.Volume = 0, 0, 0, 0, 0, 0
	case NegativeVolume:
		b.Volume = -b.Volume - 1
	case CloseAboveHigh:
		b.Close = cents(b.High * 1.01)
	}
	return b
}

// epoch numbers the days for the price path.
var epoch = pricefill.Date(2000, time.January, 1)

func (f *Fetcher) bar(sym string, d time.Time) pricefill.Bar {
	symRng := f.rng(sym, time.Time{}, 2)
	level := 10 * math.Exp(symRng.Float64()*math.Log(50)) // 10 to 500, log-uniform
	phase1, phase2 := symRng.Float64()*2*math.Pi, symRng.Float64()*2*math.Pi
	baseVol := 100_000 + symRng.Float64()*4_900_000

	day := d.Sub(epoch).Hours() / 24
	mid := level * math.Exp(0.25*math.Sin(2*math.Pi*day/365.25+phase1)+0.08*math.Sin(2*math.Pi*day/29+phase2))

	rng := f.rng(sym, d, 0)
	open := mid * (1 + 0.01*norm(rng))
	closePx := mid * (1 + 0.01*norm(rng))
	high := max(open, closePx) * (1 + 0.008*math.Abs(norm(rng)))
	low := min(open, closePx) * (1 - 0.008*math.Abs(norm(rng)))
	vol := baseVol * (0.5 + 1.5*rng.Float64())
	// Rounding is monotonic, so low ≤ open, close ≤ high still holds.
	return pricefill.Bar{
		Symbol: sym, Date: d, Source: Source,
		Open: cents(open), High: cents(high), Low: cents(low), Close: cents(closePx),
		AdjClose: cents(closePx), Volume: int64(vol),
	}
}

// norm returns a standard normal number cut to [-4, 4], so no price
// strays far.
func norm(rng *rand.Rand) float64 { return min(max(rng.NormFloat64(), -4), 4) }

func cents(x float64) float64 { return math.Round(x*100) / 100 }

// rng returns the random source of (seed, sym, d, stream).
func (f *Fetcher) rng(sym string, d time.Time, stream uint64) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(sym))
	return rand.New(rand.NewPCG(h.Sum64()^f.cfg.seed, uint64(d.Unix())*4+stream))
}
