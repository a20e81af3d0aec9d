package pricefill

import (
	"slices"
	"time"
)

// A Bar is one trading day of one symbol: open, high, low and close prices,
// the close adjusted for splits and dividends, and the volume traded.
type Bar struct {
	// Symbol is the canonical symbol (see [NormalizeSymbol]), whatever
	// form the provider was asked for (BRK.B, not BRK-B).
	Symbol string
	// Date is the trading day in the exchange's own time zone, held as
	// midnight UTC of that calendar date (see [DateOf]).
	Date time.Time

	Open  float64
	High  float64
	Low   float64
	Close float64
	// AdjClose is the close adjusted for later splits and dividends, or 0
	// when the provider gives none.
	AdjClose float64
	// Volume is the number of shares traded; providers that report
	// fractional volumes are rounded to the nearest share.
	Volume int64

	// Source names where the bar came from, such as "yahoo" or "synthetic".
	Source string
}

// An Asset describes a symbol as its provider reports it. Fields the
// provider does not give are empty.
type Asset struct {
	// Symbol is the canonical symbol.
	Symbol string
	// Name is the company or fund name.
	Name string
	// Currency is the quote currency as the provider spells it; mind minor
	// units such as "GBp" (pence) on the London Stock Exchange.
	Currency string
	// Exchange is the provider's code for the listing exchange, such as "NMS".
	Exchange string
	// Timezone is the exchange's IANA time zone, such as "America/New_York".
	Timezone string
	// Sector is the company's sector where known, such as "Information
	// Technology": from a universe's list (package backfill/universe),
	// since providers' price data does not carry it.
	Sector string
}

// A Series is what a fetcher returns for one symbol and range: the asset and
// its bars in date order, one per date (see [Series.Dedupe]), and the
// corporate actions the provider reported in the range (not every provider
// reports them).
type Series struct {
	Asset Asset
	Bars  []Bar
	// Dividends are the cash dividends with an ex-date in the range, in
	// date order; nil when the provider gives none.
	Dividends []Dividend
	// Splits are the stock splits effective in the range, in date order;
	// nil when the provider gives none.
	Splits []Split
	// Nulls are the dates, as midnight UTC and in date order, that the
	// provider listed without prices (a row of nulls or empty fields):
	// days it knows of and does not serve. A fetcher leaves them out of
	// Bars and says them here, so that they are counted and remembered
	// rather than asked for again; nil when there are none.
	Nulls []time.Time
}

// Dedupe puts the bars of s in date order and keeps one bar per date: of
// bars with the same date, the one that came last in s.Bars. It returns the
// bars it removed, in date order and, within a date, in the order they
// came; none when every date was single. It reorders s.Bars in place.
//
// This is the module's one rule for duplicate dates, and everything that
// meets them follows it: the fetchers, on what a provider sent; the
// validator's series check, which keeps the last valid bar of a date and
// rejects the others as duplicate_date (the runner counts them in its
// report); and the SQL store's Save, which counts the bars removed as
// skipped. The last bar wins because that is the newer word: a provider
// that sends a day twice sends its newer values last (Yahoo sends the
// current session stamped at the open and again at the latest trade), and
// a runner that fetches a symbol in several requests appends the answers
// in the order it got them. How many bars are duplicates does not depend
// on which one is kept.
func (s *Series) Dedupe() (dups []Bar) {
	if s.Ordered() {
		return nil
	}
	// Stable, so equal dates keep their order and the last one wins.
	slices.SortStableFunc(s.Bars, func(a, b Bar) int { return a.Date.Compare(b.Date) })
	out := s.Bars[:0]
	for _, b := range s.Bars {
		if n := len(out); n > 0 && out[n-1].Date.Equal(b.Date) {
			dups = append(dups, out[n-1])
			out[n-1] = b
			continue
		}
		out = append(out, b)
	}
	clear(s.Bars[len(out):])
	s.Bars = out
	return dups
}

// Ordered reports whether the dates of s.Bars strictly increase: one bar a
// date, in date order, as Dedupe leaves them (and then finds nothing to do).
func (s *Series) Ordered() bool {
	for i := 1; i < len(s.Bars); i++ {
		if !s.Bars[i-1].Date.Before(s.Bars[i].Date) {
			return false
		}
	}
	return true
}

// A Dividend is a cash dividend per share.
type Dividend struct {
	// Date is the ex-dividend date in the exchange's own time zone, held
	// as midnight UTC of that calendar date (see [DateOf]).
	Date time.Time
	// Amount is paid per share, in the asset's currency.
	Amount float64
}

// A Split is a stock split: Numerator new shares for every Denominator old
// ones, so a 4:1 split is 4 and 1, and a 1:10 reverse split 1 and 10.
type Split struct {
	// Date is the day the split takes effect in the exchange's own time
	// zone, held as midnight UTC of that calendar date.
	Date        time.Time
	Numerator   float64
	Denominator float64
}

// Counts is what storing a set of bars did, bar by bar: every bar saved is
// counted once, as inserted, updated or skipped. Stores return it, the
// queue keeps it with a completed task, and reports add it up.
type Counts struct {
	// Inserted counts bars stored for days that had none.
	Inserted int64 `json:"inserted"`
	// Updated counts stored bars replaced because their values changed
	// (when the store was asked to replace them).
	Updated int64 `json:"updated"`
	// Skipped counts bars for days stored already and left as they were.
	Skipped int64 `json:"skipped"`
}

// Add returns the sum of c and o.
func (c Counts) Add(o Counts) Counts {
	return Counts{Inserted: c.Inserted + o.Inserted, Updated: c.Updated + o.Updated, Skipped: c.Skipped + o.Skipped}
}

// Total returns the number of bars counted.
func (c Counts) Total() int64 { return c.Inserted + c.Updated + c.Skipped }
