package backfill

import (
	"context"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/queue"
	"github.com/pricefill/pricefill/ratelimit"
	"github.com/pricefill/pricefill/validate/calendar"
)

// A Fetcher gets one symbol's daily bars over an inclusive range of dates
// from a provider. It classifies its errors by the kinds of package
// pricefill (rate limited, not found, permanent, else transient) and never
// puts a secret, such as an API key, into them.
//
// The Runner waits on its limiter before each call of Fetch: that pays
// for one request. A Fetcher that needs more than one request for a fetch
// calls [Pace] before each of the others.
type Fetcher interface {
	Fetch(ctx context.Context, symbol string, r pricefill.Range) (*pricefill.Series, error)
}

// FetcherFunc adapts a function to a [Fetcher].
type FetcherFunc func(ctx context.Context, symbol string, r pricefill.Range) (*pricefill.Series, error)

// Fetch calls f.
func (f FetcherFunc) Fetch(ctx context.Context, symbol string, r pricefill.Range) (*pricefill.Series, error) {
	return f(ctx, symbol, r)
}

// A Store keeps bars. Save must be idempotent: saving a bar that is stored
// already never stores it twice. Package storetest is the contract in
// full (counts, Force, merged asset fields, refusals that store nothing,
// one bar a date): every Store of this module passes it, and a Store of
// your own can run it in its tests.
type Store interface {
	Save(ctx context.Context, req SaveRequest) (SaveResult, error)
}

// A DateLister is a [Store] that can tell which days of a symbol it holds.
// The runner then backfills by gaps: it fetches only the trading days
// missing from the range (nearby gaps joined into one request), and skips
// a symbol whose range is stored already, unless forced. A rerun checks
// the symbols that earlier runs completed against it too, and fetches
// what they miss since.
type DateLister interface {
	// StoredDates returns the dates stored for symbol within r, as
	// midnight UTC, in any order.
	StoredDates(ctx context.Context, symbol string, r pricefill.Range) ([]time.Time, error)
}

// A SaveRequest is one symbol's valid bars, to be stored at once.
type SaveRequest struct {
	// Series holds the asset, as the provider described it, the bars
	// that passed validation, in date order, and the dividends and splits
	// the provider reported within Range, for a store that keeps them
	// (see [ActionLister]); other stores ignore them.
	Series *pricefill.Series
	// Range is the range that was fetched.
	Range pricefill.Range
	// Force asks the store to replace stored bars whose values changed
	// (providers restate history after splits and dividends). Without it,
	// stored days are left alone.
	Force bool
	// Holes are the trading days of the fetch that the provider did not
	// serve with a valid bar, in date order, for a [HoleKeeper] to record;
	// other stores ignore them.
	Holes []Hole
}

// An ActionLister is a [Store] that keeps the dividends and splits of the
// series it saves, one per date (and source), a later one of a date
// replacing the stored one. With a [BarLister] it lets the runner keep
// adjusted closes true: see [BarLister].
type ActionLister interface {
	// Dividends returns the dividends stored for symbol with an ex-date
	// within r, in date order.
	Dividends(ctx context.Context, symbol string, r pricefill.Range) ([]pricefill.Dividend, error)
	// Splits returns the splits stored for symbol effective within r, in
	// date order.
	Splits(ctx context.Context, symbol string, r pricefill.Range) ([]pricefill.Split, error)
}

// A BarLister is a [DateLister] that can return the bars it holds. The
// runner then makes each fetch of the days missing overlap the store by
// the last stored trading day before them (the same request, one day
// more) and looks for a restatement: the adjusted close of that day
// differing from the provider's by more than [RestatedTolerance] of it,
// or, when the store is an [ActionLister] too, a dividend or split in the
// answer that the store does not have, dated after its first stored day.
// A provider restates every earlier adjusted close on such an action. The
// runner then fetches the task's whole range again, once, and saves it as
// with [WithForce]: every stored day whose values changed is replaced.
// The report counts the symbol as restated ([Report.Restated]).
type BarLister interface {
	DateLister
	// StoredBars returns the bars stored for symbol within r, in date
	// order.
	StoredBars(ctx context.Context, symbol string, r pricefill.Range) ([]pricefill.Bar, error)
}

// RestatedTolerance is the relative difference between a stored adjusted
// close and the provider's beyond which the runner takes the history to be
// restated (see [BarLister]).
const RestatedTolerance = 1e-6

// A SaveResult counts what a Save did, bar by bar: Updated counts stored
// bars replaced because their values changed (with Force only).
type SaveResult = pricefill.Counts

// A TaskCompleter is a [Store] that keeps a queue in its own database, and
// can store a task's bars and complete the task in one transaction: a
// crash then loses both or neither. The runner checks for it once, in
// [New]: when the store is one and completes the tasks of the runner's
// queue, it saves each task's bars with SaveAndComplete, and calls the
// queue's Finish only for the tasks that end otherwise. Package store's
// DB is one.
type TaskCompleter interface {
	Store
	// CompletesTasksOf reports whether SaveAndComplete can complete the
	// tasks claimed from q: whether q is the queue in the store's database.
	CompletesTasksOf(q queue.Queue) bool
	// SaveAndComplete stores req as Save does and, in the same
	// transaction, completes t, which the caller claimed, with the counts
	// of the save and the given completeness (in percent, as
	// queue.Result has it). When the caller no longer holds t's lease, it
	// stores nothing and returns an error matching [queue.ErrLeaseLost].
	SaveAndComplete(ctx context.Context, req SaveRequest, t *queue.Task, completeness float64) (SaveResult, error)
}

// A Limiter paces requests to a provider. Wait blocks until one request may
// be made and returns nil; it returns ctx.Err() when ctx is done first,
// and may return another error when requests cannot go on: one that
// matches [pricefill.ErrUnavailable] (the provider has been down too long)
// stops the run, any other gives the task back and backs the worker off.
// One limiter is shared by all the workers of a runner.
type Limiter interface {
	Wait(ctx context.Context) error
}

// LimiterFunc adapts a function to a [Limiter].
type LimiterFunc func(ctx context.Context) error

// Wait calls f.
func (f LimiterFunc) Wait(ctx context.Context) error { return f(ctx) }

// Feedback is a [Limiter] that wants to hear how each request went; the
// Runner tells it after every fetch. Package ratelimit's Limiter is one:
// what it hears drives its cool-downs, its adaptive pace and its outage
// breaker.
type Feedback interface {
	// Answered says the provider answered a request without refusing it:
	// with data, or with an answer about the symbol (not found, a
	// permanent refusal).
	Answered(ctx context.Context) error
	// Refused says the provider refused a request for rate or quota.
	Refused(ctx context.Context, err *pricefill.RateLimitError) error
	// Failed says a request for symbol failed in a way that may say
	// nothing about the symbol: err is of kind unavailable or transient.
	// It reports whether the provider is taken to be down, in which case
	// the Runner charges the symbol no attempt.
	Failed(ctx context.Context, symbol string, err error) (outage bool, ferr error)
}

// A StatusReporter is a [Limiter] that can say what holds requests back
// (a spent budget, a cool-down, an outage), for progress reports and the
// final report.
type StatusReporter interface {
	Status(ctx context.Context) (ratelimit.Status, error)
}

// A Forecaster is a [Limiter] that can say when a number of requests could
// go out at its limits, for [Runner.Plan].
type Forecaster interface {
	Forecast(ctx context.Context, n int) (ratelimit.Forecast, error)
}

// A Validator decides whether a bar may be stored: it returns nil, or a
// *[pricefill.InvalidBarError] listing every rule the bar breaks. It checks
// the bar b of asset a against the requested range r at the time now, by
// the asset's calendar cal: the runner hands it the calendar that it plans
// the fetches by (see [WithCalendarFor]), so that the two agree on which
// days are trading days and when a session is over.
type Validator interface {
	Validate(now time.Time, r pricefill.Range, a pricefill.Asset, cal calendar.Calendar, b pricefill.Bar) error
}

// A FieldDropper is a [Validator] that can keep a bar whose fault is in a
// field the bar can do without, such as an invalid adjusted close:
// DropFields returns the bar with each such field set to its unknown value
// and a violation for each field dropped (nil when none is). The Runner
// calls it on each bar before Validate, stores the bar it returns when
// Validate accepts it, and counts the drops by rule ([Report.DroppedByRule]).
// Package validate's Validator is one.
type FieldDropper interface {
	DropFields(b pricefill.Bar) (pricefill.Bar, []pricefill.Violation)
}

// ValidatorFunc adapts a function to a [Validator].
type ValidatorFunc func(now time.Time, r pricefill.Range, a pricefill.Asset, cal calendar.Calendar, b pricefill.Bar) error

// Validate calls f.
func (f ValidatorFunc) Validate(now time.Time, r pricefill.Range, a pricefill.Asset, cal calendar.Calendar, b pricefill.Bar) error {
	return f(now, r, a, cal, b)
}
