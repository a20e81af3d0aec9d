package validate

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/validate/calendar"
)

// The rules a bar must keep, one identifier each, so that callers can count
// rejects by rule. A rejected bar's *[pricefill.InvalidBarError] lists
// every rule it breaks, each with the field and its value: first the
// symbol and text rules, then the date rules, each price's, the adjusted
// close's, the volume's, and last those on the order of low, open, close
// and high.
//
// Together the rules refuse every bar the store's schema would refuse (its
// CHECK and NOT NULL constraints, SQLite's date form, PostgreSQL's text),
// so that a store never has to refuse one: store's tests hold the two to
// that. One rule can be kept by dropping its field instead of the bar
// (see [Validator.DropFields]): RuleAdjCloseInvalid.
const (
	// RuleSymbolMissing: the bar has no symbol.
	RuleSymbolMissing pricefill.Rule = "symbol_missing"
	// RuleSymbolMismatch: the bar's symbol is not its asset's (when the
	// asset names one): a store files bars under the asset's symbol and
	// refuses a series that mixes symbols.
	RuleSymbolMismatch pricefill.Rule = "symbol_mismatch"
	// RuleTextInvalid: the symbol or the source (one violation each) holds
	// a NUL byte or is not valid UTF-8, which PostgreSQL's text refuses.
	RuleTextInvalid pricefill.Rule = "text_invalid"
	// RuleDateMissing: the bar has no date (the zero time). The other date
	// rules are then not checked.
	RuleDateMissing pricefill.Rule = "date_missing"
	// RuleDateOutOfBounds: the date is before 0001-01-01 or after
	// 9999-12-31: the stores keep dates as YYYY-MM-DD, a year of four
	// digits, and PostgreSQL has no year 0.
	RuleDateOutOfBounds pricefill.Rule = "date_out_of_bounds"
	// RuleDateNotMidnight: the date is not a calendar date, midnight UTC,
	// as [pricefill.DateOf] makes it. The other date rules still judge
	// its calendar date.
	RuleDateNotMidnight pricefill.Rule = "date_not_midnight_utc"
	// RuleOutsideRange: the date is not in the requested range.
	RuleOutsideRange pricefill.Rule = "outside_range"
	// RuleNotTradingDay: the exchange held no session on the date (a
	// weekend, a holiday, a special closure), by the asset's [calendar.Calendar].
	RuleNotTradingDay pricefill.Rule = "not_trading_day"
	// RuleDateInFuture: the date is after the exchange's local date now.
	RuleDateInFuture pricefill.Rule = "date_in_future"
	// RuleSessionNotOver: the date is the exchange's today and its session
	// is not over, so the bar may still move.
	RuleSessionNotOver pricefill.Rule = "session_not_over"
	// RulePriceNotFinite: open, high, low or close is NaN or infinite.
	RulePriceNotFinite pricefill.Rule = "price_not_finite"
	// RulePriceNotPositive: open, high, low or close is zero or negative.
	RulePriceNotPositive pricefill.Rule = "price_not_positive"
	// RuleAdjCloseInvalid: the adjusted close is NaN, infinite or
	// negative (0 means none given, and is valid). The adjusted close is
	// the one field a bar can do without: [Validator.DropFields] sets it
	// to 0 (stored as unknown, NULL) and the bar is kept, where Validate
	// alone rejects it.
	RuleAdjCloseInvalid pricefill.Rule = "adj_close_invalid"
	// RuleVolumeNegative: the volume is negative.
	RuleVolumeNegative pricefill.Rule = "volume_negative"
	// RuleHighBelowLow: high is below low. Checked only when the four
	// prices are finite and positive; when it is broken, open and close
	// cannot lie between low and high, and RuleOutsideLowHigh is not
	// reported on top.
	RuleHighBelowLow pricefill.Rule = "high_below_low"
	// RuleOutsideLowHigh: open or close (one violation each) is below low
	// or above high. Checked only when the four prices are finite and
	// positive and high is not below low.
	RuleOutsideLowHigh pricefill.Rule = "outside_low_high"
)

// Rules returns every rule, for callers that count rejects by rule.
func Rules() []pricefill.Rule {
	return []pricefill.Rule{
		RuleSymbolMissing, RuleSymbolMismatch, RuleTextInvalid, RuleDateMissing,
		RuleDateOutOfBounds, RuleDateNotMidnight, RuleOutsideRange, RuleNotTradingDay,
		RuleDateInFuture, RuleSessionNotOver, RulePriceNotFinite, RulePriceNotPositive,
		RuleAdjCloseInvalid, RuleVolumeNegative, RuleHighBelowLow, RuleOutsideLowHigh,
		RuleDuplicateDate,
	}
}

// SettleDelayMax is the longest delay [WithSettleDelay] accepts.
const SettleDelayMax = 12 * time.Hour

// A Validator checks bars against the rules above and reports every rule a
// bar breaks. It is safe for simultaneous use by many goroutines.
// The zero value is ready to use, with the defaults of [New]; a Validator
// must not be copied after first use.
//
// A valid bar costs no allocation: the calendars are precomputed and time
// zones are loaded once per name.
type Validator struct {
	settle time.Duration
}

// An Option configures a [Validator].
type Option func(*config)

type config struct {
	settle time.Duration
}

// WithSettleDelay makes the validator wait d past the end of a session
// before it takes the session's bar as final: providers revise the day's
// volume for some minutes after the close as late trade reports come in,
// and a store that inserts new days only would keep the early figure. The
// default, and what zero means, is no delay: a bar is final at the close.
// It must be from 0 to [SettleDelayMax].
func WithSettleDelay(d time.Duration) Option {
	return func(c *config) { c.settle = d }
}

func (c *config) validate() error {
	if c.settle < 0 || c.settle > SettleDelayMax {
		return fmt.Errorf("validate: WithSettleDelay(%s): want from 0 to %s", c.settle, SettleDelayMax)
	}
	return nil
}

// New returns a Validator configured by opts, or an error naming the option
// that is wrong.
func New(opts ...Option) (*Validator, error) {
	var c config
	for _, o := range opts {
		o(&c)
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return &Validator{settle: c.settle}, nil
}

// Validate returns nil when bar b of asset a keeps every rule for a fetch
// of range r at time now, else a *[pricefill.InvalidBarError] that lists
// every rule b breaks. Calendar cal is the asset's: it tells the trading
// days and when a session is over. A nil cal means [calendar.For] of the
// asset, the same default as the backfill runner's; when a.Symbol is empty,
// b.Symbol stands for it. A zero r contains no date.
// An invalid adjusted close is a violation here too: call
// [Validator.DropFields] first to keep such a bar without it.
func (v *Validator) Validate(now time.Time, r pricefill.Range, a pricefill.Asset, cal calendar.Calendar, b pricefill.Bar) error {
	var vs []pricefill.Violation
	switch {
	case b.Symbol == "":
		vs = append(vs, pricefill.Violation{Rule: RuleSymbolMissing, Field: "symbol"})
	case a.Symbol != "" && b.Symbol != a.Symbol:
		vs = append(vs, pricefill.Violation{Rule: RuleSymbolMismatch, Field: "symbol", Value: b.Symbol})
	}
	vs = checkText(vs, "symbol", b.Symbol)
	vs = checkText(vs, "source", b.Source)
	if b.Date.IsZero() {
		vs = append(vs, pricefill.Violation{Rule: RuleDateMissing, Field: "date"})
	} else {
		vs = v.checkDate(vs, now, r, a, cal, b)
	}
	vs = checkPrices(vs, &b)
	if len(vs) == 0 {
		return nil
	}
	return &pricefill.InvalidBarError{Bar: b, Violations: vs}
}

// DropFields returns b without the fields that break a rule but that a bar
// can do without, each set to its unknown value, and a violation for each
// field dropped (nil when none is): an adjusted close that is NaN, infinite
// or negative ([RuleAdjCloseInvalid]) becomes 0, none given, which the
// stores keep as NULL. The other fields are left for [Validator.Validate]
// to judge, which a caller then calls on the bar returned. The backfill
// runner does so, keeping the bar and counting the drop by its rule.
func (v *Validator) DropFields(b pricefill.Bar) (pricefill.Bar, []pricefill.Violation) {
	if !adjCloseValid(b.AdjClose) {
		vs := []pricefill.Violation{priceViolation(RuleAdjCloseInvalid, "adj_close", b.AdjClose)}
		b.AdjClose = 0
		return b, vs
	}
	return b, nil
}

// adjCloseValid reports whether an adjusted close is above zero and
// finite, or 0: none given.
func adjCloseValid(v float64) bool { return v == 0 || (v > 0 && !math.IsInf(v, 1)) }

// checkText adds a violation when s, the value of field, is text that
// PostgreSQL refuses: a NUL byte, or bytes that are not UTF-8.
func checkText(vs []pricefill.Violation, field, s string) []pricefill.Violation {
	if strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) {
		vs = append(vs, pricefill.Violation{Rule: RuleTextInvalid, Field: field, Value: strconv.QuoteToASCII(s)})
	}
	return vs
}

// sessionSlack bounds the end of any session after the start of its date
// in UTC: the latest local date on earth (UTC-12) ends 36 hours after it
// begins in UTC. Older bars, the common case, skip the time zone work.
const sessionSlack = 48 * time.Hour

// The dates the stores can keep: years of four digits, from 1.
var (
	firstStorableDay = calendar.DayOf(time.Date(1, time.January, 1, 0, 0, 0, 0, time.UTC))
	lastStorableDay  = calendar.DayOf(time.Date(9999, time.December, 31, 0, 0, 0, 0, time.UTC))
)

func (v *Validator) checkDate(vs []pricefill.Violation, now time.Time, r pricefill.Range, a pricefill.Asset, cal calendar.Calendar, b pricefill.Bar) []pricefill.Violation {
	d := calendar.DayOf(b.Date)
	if d < firstStorableDay || d > lastStorableDay {
		vs = append(vs, dateViolation(RuleDateOutOfBounds, d))
	}
	if !b.Date.Equal(d.Time()) {
		vs = append(vs, pricefill.Violation{Rule: RuleDateNotMidnight, Field: "date", Value: b.Date.Format(time.RFC3339Nano)})
	}
	if d < calendar.DayOf(r.From) || d > calendar.DayOf(r.To) {
		vs = append(vs, dateViolation(RuleOutsideRange, d))
	}
	if a.Symbol == "" {
		a.Symbol = b.Symbol
	}
	if cal == nil {
		cal = calendar.For(a)
	}
	if !cal.IsTradingDay(d.Time()) {
		vs = append(vs, dateViolation(RuleNotTradingDay, d))
	}
	if now.Unix()-d.Time().Unix() >= int64((sessionSlack+v.settle)/time.Second) {
		return vs // over everywhere on earth
	}
	loc, end := calendar.Session(cal, a, d.Time())
	switch {
	case d > calendar.DayOf(now.In(loc)):
		vs = append(vs, dateViolation(RuleDateInFuture, d))
	case now.Before(end.Add(v.settle)):
		vs = append(vs, dateViolation(RuleSessionNotOver, d))
	}
	return vs
}

func dateViolation(rule pricefill.Rule, d calendar.Day) pricefill.Violation {
	return pricefill.Violation{Rule: rule, Field: "date", Value: d.String()}
}

func checkPrices(vs []pricefill.Violation, b *pricefill.Bar) []pricefill.Violation {
	ok := true
	for _, p := range [...]struct {
		field string
		v     float64
	}{{"open", b.Open}, {"high", b.High}, {"low", b.Low}, {"close", b.Close}} {
		switch {
		case math.IsNaN(p.v) || math.IsInf(p.v, 0):
			vs = append(vs, priceViolation(RulePriceNotFinite, p.field, p.v))
			ok = false
		case p.v <= 0:
			vs = append(vs, priceViolation(RulePriceNotPositive, p.field, p.v))
			ok = false
		}
	}
	if !adjCloseValid(b.AdjClose) {
		vs = append(vs, priceViolation(RuleAdjCloseInvalid, "adj_close", b.AdjClose))
	}
	if b.Volume < 0 {
		vs = append(vs, pricefill.Violation{Rule: RuleVolumeNegative, Field: "volume", Value: strconv.FormatInt(b.Volume, 10)})
	}
	switch {
	case !ok:
	case b.High < b.Low:
		vs = append(vs, priceViolation(RuleHighBelowLow, "high", b.High))
	default:
		if b.Open < b.Low || b.Open > b.High {
			vs = append(vs, priceViolation(RuleOutsideLowHigh, "open", b.Open))
		}
		if b.Close < b.Low || b.Close > b.High {
			vs = append(vs, priceViolation(RuleOutsideLowHigh, "close", b.Close))
		}
	}
	return vs
}

func priceViolation(rule pricefill.Rule, field string, v float64) pricefill.Violation {
	return pricefill.Violation{Rule: rule, Field: field, Value: strconv.FormatFloat(v, 'g', -1, 64)}
}
