// Package validate decides which bars may be stored.
package validate

import (
	"math"
	"strconv"
	"time"

	"github.com/pricefill/pricefill"
)

// The rules a bar must keep. A rejected bar's error lists every rule it
// breaks, so callers can count rejects by rule.
const (
	RuleSymbolMissing    pricefill.Rule = "symbol_missing"
	RuleDateMissing      pricefill.Rule = "date_missing"
	RuleDateNotMidnight  pricefill.Rule = "date_not_midnight_utc"
	RulePriceNotFinite   pricefill.Rule = "price_not_finite"
	RulePriceNotPositive pricefill.Rule = "price_not_positive"
	RuleVolumeNegative   pricefill.Rule = "volume_negative"
	RuleHighBelowLow     pricefill.Rule = "high_below_low"
	RuleOutsideLowHigh   pricefill.Rule = "outside_low_high"
	RuleOutsideRange     pricefill.Rule = "outside_range"
)

// A Validator checks bars against the rules. The zero value is ready to use.
type Validator struct{}

// New returns a Validator.
func New() *Validator { return &Validator{} }

// Validate returns nil when b keeps every rule, else a
// *pricefill.InvalidBarError listing every rule it breaks.
func (v *Validator) Validate(now time.Time, r pricefill.Range, a pricefill.Asset, b pricefill.Bar) error {
	var vs []pricefill.Violation
	add := func(rule pricefill.Rule, field, value string) {
		vs = append(vs, pricefill.Violation{Rule: rule, Field: field, Value: value})
	}
	if b.Symbol == "" {
		add(RuleSymbolMissing, "symbol", "")
	}
	switch {
	case b.Date.IsZero():
		add(RuleDateMissing, "date", "")
	case !b.Date.Equal(pricefill.DateOf(b.Date)):
		add(RuleDateNotMidnight, "date", b.Date.String())
	case !r.Contains(b.Date):
		add(RuleOutsideRange, "date", b.Date.Format(pricefill.DateLayout))
	}
	prices := [...]struct {
		name string
		v    float64
	}{{"open", b.Open}, {"high", b.High}, {"low", b.Low}, {"close", b.Close}}
	ok := true
	for _, p := range prices {
		switch {
		case math.IsNaN(p.v) || math.IsInf(p.v, 0):
			add(RulePriceNotFinite, p.name, fmtFloat(p.v))
			ok = false
		case p.v <= 0:
			add(RulePriceNotPositive, p.name, fmtFloat(p.v))
			ok = false
		}
	}
	if ok {
		if b.High < b.Low {
			add(RuleHighBelowLow, "high", fmtFloat(b.High))
		}
		for _, p := range [...]struct {
			name string
			v    float64
		}{{"open", b.Open}, {"close", b.Close}} {
			if p.v < b.Low || p.v > b.High {
				add(RuleOutsideLowHigh, p.name, fmtFloat(p.v))
			}
		}
	}
	if b.Volume < 0 {
		add(RuleVolumeNegative, "volume", strconv.FormatInt(b.Volume, 10))
	}
	if vs == nil {
		return nil
	}
	return &pricefill.InvalidBarError{Bar: b, Violations: vs}
}

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
