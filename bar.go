package pricefill

import "time"

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
}

// A Series is what a fetcher returns for one symbol and range: the asset and
// its bars in date order, and the corporate actions the provider reported
// in the range (not every provider reports them).
type Series struct {
	Asset Asset
	Bars  []Bar
	// Dividends are the cash dividends with an ex-date in the range, in
	// date order; nil when the provider gives none.
	Dividends []Dividend
	// Splits are the stock splits effective in the range, in date order;
	// nil when the provider gives none.
	Splits []Split
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
