package validate_test

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/validate"
	"github.com/pricefill/pricefill/validate/calendar"
	"pgregory.net/rapid"
)

func newValidator(t testing.TB, opts ...validate.Option) *validate.Validator {
	t.Helper()
	v, err := validate.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// validBar returns a valid bar of AAPL on d, a trading day.
func validBar(d time.Time) pricefill.Bar {
	return pricefill.Bar{Symbol: "AAPL", Date: d, Open: 10, High: 12, Low: 9, Close: 11, AdjClose: 11, Volume: 1000, Source: "test"}
}

var (
	aapl   = pricefill.Asset{Symbol: "AAPL", Timezone: "America/New_York"}
	day    = date("2024-03-05") // a Tuesday, in EST
	week   = pricefill.Range{From: date("2024-03-04"), To: date("2024-03-08")}
	later  = date("2026-01-01")
	every  = pricefill.Range{From: date("1990-01-01"), To: date("2100-12-31")}
	noRule = []pricefill.Violation(nil)
)

// violations returns what err lists, or nil for a nil err.
func violations(t interface {
	Helper()
	Fatalf(format string, args ...any)
}, err error) []pricefill.Violation {
	t.Helper()
	if err == nil {
		return nil
	}
	var ib *pricefill.InvalidBarError
	if !errors.As(err, &ib) {
		t.Fatalf("error %v (%T) is not a *pricefill.InvalidBarError", err, err)
	}
	if !errors.Is(err, pricefill.ErrInvalidBar) {
		t.Fatalf("error %v does not match pricefill.ErrInvalidBar", err)
	}
	if len(ib.Violations) == 0 {
		t.Fatalf("error %v lists no violation", err)
	}
	return ib.Violations
}

// with returns the valid bar of day changed by f.
func with(f func(b *pricefill.Bar)) pricefill.Bar {
	b := validBar(day)
	f(&b)
	return b
}

// A ruleCase is a bar, the range it is validated for, and the violations
// Validate must list, in order.
type ruleCase struct {
	name string
	bar  pricefill.Bar
	r    pricefill.Range
	want []pricefill.Violation
}

// checkRules validates each case's bar with v and checks the violations.
func checkRules(t *testing.T, v *validate.Validator, cases []ruleCase) {
	t.Helper()
	for _, tc := range cases {
		got := violations(t, v.Validate(later, tc.r, aapl, nil, tc.bar))
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s:\n got %v\nwant %v", tc.name, got, tc.want)
		}
	}
}

func TestValidateRules(t *testing.T) {
	t.Parallel()
	checkRules(t, newValidator(t), []ruleCase{
		{"valid", validBar(day), week, noRule},
		{"valid, zero volume", with(func(b *pricefill.Bar) { b.Volume = 0 }), week, noRule},
		{"valid, flat day", with(func(b *pricefill.Bar) { b.Open, b.High, b.Low, b.Close = 5, 5, 5, 5 }), week, noRule},
		{"no symbol", with(func(b *pricefill.Bar) { b.Symbol = "" }), week,
			[]pricefill.Violation{{Rule: validate.RuleSymbolMissing, Field: "symbol"}}},
		{"no date", with(func(b *pricefill.Bar) { b.Date = time.Time{} }), week,
			[]pricefill.Violation{{Rule: validate.RuleDateMissing, Field: "date"}}},
		{"date not midnight", with(func(b *pricefill.Bar) { b.Date = b.Date.Add(14*time.Hour + 30*time.Minute) }), week,
			[]pricefill.Violation{{Rule: validate.RuleDateNotMidnight, Field: "date", Value: "2024-03-05T14:30:00Z"}}},
		{"date at New York midnight", with(func(b *pricefill.Bar) { b.Date = time.Date(2024, 3, 5, 0, 0, 0, 0, zone(t, "America/New_York")) }), week,
			[]pricefill.Violation{{Rule: validate.RuleDateNotMidnight, Field: "date", Value: "2024-03-05T00:00:00-05:00"}}},
		{"before range", validBar(day), pricefill.Range{From: date("2024-03-06"), To: date("2024-03-08")},
			[]pricefill.Violation{{Rule: validate.RuleOutsideRange, Field: "date", Value: "2024-03-05"}}},
		{"after range", validBar(day), pricefill.Range{From: date("2024-03-01"), To: date("2024-03-04")},
			[]pricefill.Violation{{Rule: validate.RuleOutsideRange, Field: "date", Value: "2024-03-05"}}},
		{"zero range", validBar(day), pricefill.Range{},
			[]pricefill.Violation{{Rule: validate.RuleOutsideRange, Field: "date", Value: "2024-03-05"}}},
		{"Saturday", validBar(date("2024-03-09")), every,
			[]pricefill.Violation{{Rule: validate.RuleNotTradingDay, Field: "date", Value: "2024-03-09"}}},
		{"Good Friday", validBar(date("2024-03-29")), every,
			[]pricefill.Violation{{Rule: validate.RuleNotTradingDay, Field: "date", Value: "2024-03-29"}}},
		{"Carter's day of mourning", validBar(date("2025-01-09")), every,
			[]pricefill.Violation{{Rule: validate.RuleNotTradingDay, Field: "date", Value: "2025-01-09"}}},
		{"NaN open", with(func(b *pricefill.Bar) { b.Open = math.NaN() }), week,
			[]pricefill.Violation{{Rule: validate.RulePriceNotFinite, Field: "open", Value: "NaN"}}},
		{"infinite high", with(func(b *pricefill.Bar) { b.High = math.Inf(1) }), week,
			[]pricefill.Violation{{Rule: validate.RulePriceNotFinite, Field: "high", Value: "+Inf"}}},
		{"zero low", with(func(b *pricefill.Bar) { b.Low = 0 }), week,
			[]pricefill.Violation{{Rule: validate.RulePriceNotPositive, Field: "low", Value: "0"}}},
		{"negative close", with(func(b *pricefill.Bar) { b.Close = -1.5 }), week,
			[]pricefill.Violation{{Rule: validate.RulePriceNotPositive, Field: "close", Value: "-1.5"}}},
		{"negative volume", with(func(b *pricefill.Bar) { b.Volume = -1 }), week,
			[]pricefill.Violation{{Rule: validate.RuleVolumeNegative, Field: "volume", Value: "-1"}}},
		{"high below low", with(func(b *pricefill.Bar) { b.High, b.Low = 9, 12 }), week,
			[]pricefill.Violation{{Rule: validate.RuleHighBelowLow, Field: "high", Value: "9"}}},
		{"open above high", with(func(b *pricefill.Bar) { b.Open = 12.5 }), week,
			[]pricefill.Violation{{Rule: validate.RuleOutsideLowHigh, Field: "open", Value: "12.5"}}},
		{"close below low", with(func(b *pricefill.Bar) { b.Close = 8 }), week,
			[]pricefill.Violation{{Rule: validate.RuleOutsideLowHigh, Field: "close", Value: "8"}}},
		{"everything wrong at once", pricefill.Bar{
			Date: date("2024-03-09").Add(time.Hour), Open: math.Inf(-1), High: 0, Low: math.NaN(), Close: 3, Volume: -7,
		}, week, []pricefill.Violation{
			{Rule: validate.RuleSymbolMissing, Field: "symbol"},
			{Rule: validate.RuleDateNotMidnight, Field: "date", Value: "2024-03-09T01:00:00Z"},
			{Rule: validate.RuleOutsideRange, Field: "date", Value: "2024-03-09"},
			{Rule: validate.RuleNotTradingDay, Field: "date", Value: "2024-03-09"},
			{Rule: validate.RulePriceNotFinite, Field: "open", Value: "-Inf"},
			{Rule: validate.RulePriceNotPositive, Field: "high", Value: "0"},
			{Rule: validate.RulePriceNotFinite, Field: "low", Value: "NaN"},
			{Rule: validate.RuleVolumeNegative, Field: "volume", Value: "-7"},
		}},
	})
}

func TestValidateError(t *testing.T) {
	t.Parallel()
	b := validBar(date("2024-03-09"))
	b.Volume = -3
	err := newValidator(t).Validate(later, every, aapl, nil, b)
	want := "invalid bar AAPL 2024-03-09: not_trading_day (date=2024-03-09), volume_negative (volume=-3)"
	if err == nil || err.Error() != want {
		t.Errorf("Validate: %v, want %s", err, want)
	}
	var ib *pricefill.InvalidBarError
	if !errors.As(err, &ib) || ib.Bar != b {
		t.Errorf("Validate: error does not carry the bar")
	}
}

func TestZeroValidator(t *testing.T) {
	t.Parallel()
	var v validate.Validator
	if err := v.Validate(later, week, aapl, nil, validBar(day)); err != nil {
		t.Errorf("zero Validator: %v", err)
	}
	if got := violations(t, v.Validate(later, every, aapl, nil, validBar(date("2024-07-04")))); len(got) != 1 || got[0].Rule != validate.RuleNotTradingDay {
		t.Errorf("zero Validator on Independence Day: %v", got)
	}
}

func TestNewOptions(t *testing.T) {
	t.Parallel()
	for _, d := range []time.Duration{-time.Second, validate.SettleDelayMax + 1} {
		_, err := validate.New(validate.WithSettleDelay(d))
		if err == nil || !strings.Contains(err.Error(), "WithSettleDelay") {
			t.Errorf("New(WithSettleDelay(%s)) = %v, want an error naming the option", d, err)
		}
	}
	if _, err := validate.New(validate.WithSettleDelay(validate.SettleDelayMax)); err != nil {
		t.Errorf("New with the longest delay: %v", err)
	}
}

// TestCalendarGiven: the calendar handed to Validate decides the
// trading days, whatever the asset; nil means calendar.For of the asset.
func TestCalendarGiven(t *testing.T) {
	t.Parallel()
	v := newValidator(t)
	july4 := validBar(date("2024-07-04"))
	if err := v.Validate(later, every, aapl, calendar.Weekdays, july4); err != nil {
		t.Errorf("Weekdays on Independence Day: %v", err)
	}
	for _, cal := range []calendar.Calendar{nil, calendar.NYSE} {
		if got := violations(t, v.Validate(later, every, aapl, cal, july4)); len(got) != 1 || got[0].Rule != validate.RuleNotTradingDay {
			t.Errorf("calendar %v on Independence Day: %v, want %s", cal, got, validate.RuleNotTradingDay)
		}
	}
}

// TestForeignListings: an exchange-suffixed symbol or a non-US zone has
// weekends rejected and US holidays accepted.
func TestForeignListings(t *testing.T) {
	t.Parallel()
	v := newValidator(t)
	for _, tc := range []struct {
		asset pricefill.Asset
		date  string
		want  []pricefill.Rule
	}{
		{pricefill.Asset{Symbol: "7203.T"}, "2024-07-06", []pricefill.Rule{validate.RuleNotTradingDay}}, // Saturday
		{pricefill.Asset{Symbol: "7203.T"}, "2024-07-07", []pricefill.Rule{validate.RuleNotTradingDay}}, // Sunday
		{pricefill.Asset{Symbol: "7203.T"}, "2024-07-04", nil},                                          // US holiday
		{pricefill.Asset{Symbol: "OCDO.L", Timezone: "Europe/London"}, "2024-11-28", nil},               // Thanksgiving
		{pricefill.Asset{Symbol: "OCDO.L", Timezone: "Europe/London"}, "2024-11-30", []pricefill.Rule{validate.RuleNotTradingDay}},
		{pricefill.Asset{Symbol: "SHOP", Timezone: "America/Toronto"}, "2024-07-04", nil},
		{pricefill.Asset{Symbol: "BRK.B"}, "2024-07-04", []pricefill.Rule{validate.RuleNotTradingDay}}, // a share class is US
		{pricefill.Asset{}, "2024-07-04", []pricefill.Rule{validate.RuleNotTradingDay}},                // the bar's symbol, AAPL
	} {
		b := validBar(date(tc.date))
		if tc.asset.Symbol != "" {
			b.Symbol = tc.asset.Symbol
		}
		var got []pricefill.Rule
		for _, vi := range violations(t, v.Validate(later, every, tc.asset, nil, b)) {
			got = append(got, vi.Rule)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s (zone %q) on %s: %v, want %v", b.Symbol, tc.asset.Timezone, tc.date, got, tc.want)
		}
	}
}

// TestSessionOver: a bar is final once its session is over in the
// exchange's own zone, across DST changes, and never earlier.
func TestSessionOver(t *testing.T) {
	t.Parallel()
	ny := zone(t, "America/New_York")
	tokyo, seoul := zone(t, "Asia/Tokyo"), zone(t, "Asia/Seoul")
	utc := func(s string) time.Time {
		u, err := time.Parse(time.RFC3339, s)
		if err != nil {
			panic(err)
		}
		return u
	}
	nyAt := func(d string, h, m, s int) time.Time {
		x := date(d)
		return time.Date(x.Year(), x.Month(), x.Day(), h, m, s, 0, ny)
	}
	future, notOver := validate.RuleDateInFuture, validate.RuleSessionNotOver
	for _, tc := range []struct {
		name   string
		asset  pricefill.Asset
		date   string
		now    time.Time
		settle time.Duration
		want   pricefill.Rule // "" for none
	}{
		// NYSE in winter (EST, UTC-5): the close is 21:00 UTC.
		{"EST, a second before the close", aapl, "2024-03-05", nyAt("2024-03-05", 15, 59, 59), 0, notOver},
		{"EST, at the close", aapl, "2024-03-05", nyAt("2024-03-05", 16, 0, 0), 0, ""},
		{"EST, 20:59:59 UTC", aapl, "2024-03-05", utc("2024-03-05T20:59:59Z"), 0, notOver},
		{"EST, 21:00 UTC", aapl, "2024-03-05", utc("2024-03-05T21:00:00Z"), 0, ""},
		{"EST, in the morning", aapl, "2024-03-05", nyAt("2024-03-05", 9, 30, 0), 0, notOver},
		{"EST, just after midnight", aapl, "2024-03-05", nyAt("2024-03-05", 0, 0, 1), 0, notOver},
		{"EST, the evening before: future", aapl, "2024-03-05", nyAt("2024-03-04", 23, 59, 59), 0, future},
		{"EST, UTC already on the date: still future", aapl, "2024-03-05", utc("2024-03-05T04:59:59Z"), 0, future},
		{"EST, a week before", aapl, "2024-03-05", nyAt("2024-02-27", 12, 0, 0), 0, future},
		{"EST, a year before", aapl, "2024-03-05", nyAt("2023-03-05", 12, 0, 0), 0, future},
		{"EST, late that evening", aapl, "2024-03-05", nyAt("2024-03-05", 23, 59, 59), 0, ""},
		{"EST, the next morning", aapl, "2024-03-05", nyAt("2024-03-06", 8, 0, 0), 0, ""},
		// NYSE in summer (EDT, UTC-4): the close is 20:00 UTC.
		{"EDT, 19:59:59 UTC", aapl, "2024-07-10", utc("2024-07-10T19:59:59Z"), 0, notOver},
		{"EDT, 20:00 UTC", aapl, "2024-07-10", utc("2024-07-10T20:00:00Z"), 0, ""},
		// The Mondays after the DST changes (2024-03-10 and 2024-11-03).
		{"spring forward Monday, 19:59:59 UTC", aapl, "2024-03-11", utc("2024-03-11T19:59:59Z"), 0, notOver},
		{"spring forward Monday, 20:00 UTC", aapl, "2024-03-11", utc("2024-03-11T20:00:00Z"), 0, ""},
		{"fall back Monday, 20:59:59 UTC", aapl, "2024-11-04", utc("2024-11-04T20:59:59Z"), 0, notOver},
		{"fall back Monday, 21:00 UTC", aapl, "2024-11-04", utc("2024-11-04T21:00:00Z"), 0, ""},
		{"the Friday before spring forward, at the close", aapl, "2024-03-08", utc("2024-03-08T21:00:00Z"), 0, ""},
		{"the Friday before fall back, at the close", aapl, "2024-11-01", utc("2024-11-01T20:00:00Z"), 0, ""},
		// An early close (13:00) still waits for 16:00.
		{"early close day, after 13:00", aapl, "2024-11-29", nyAt("2024-11-29", 13, 30, 0), 0, notOver},
		{"early close day, at 16:00", aapl, "2024-11-29", nyAt("2024-11-29", 16, 0, 0), 0, ""},
		// The settle delay.
		{"settle 15m, 16:14:59", aapl, "2024-03-05", nyAt("2024-03-05", 16, 14, 59), 15 * time.Minute, notOver},
		{"settle 15m, 16:15", aapl, "2024-03-05", nyAt("2024-03-05", 16, 15, 0), 15 * time.Minute, ""},
		// An exchange with a calendar here: over at its own close.
		{"Tokyo, before the 15:00 close", pricefill.Asset{Symbol: "7203.T", Timezone: "Asia/Tokyo"}, "2024-03-05",
			time.Date(2024, 3, 5, 14, 59, 59, 0, tokyo), 0, notOver},
		{"Tokyo, at the close", pricefill.Asset{Symbol: "7203.T"}, "2024-03-05",
			time.Date(2024, 3, 5, 15, 0, 0, 0, tokyo), 0, ""},
		{"Tokyo, the evening before", pricefill.Asset{Symbol: "7203.T", Timezone: "Asia/Tokyo"}, "2024-03-05",
			time.Date(2024, 3, 4, 23, 0, 0, 0, tokyo), 0, future},
		{"London, BST, before 16:36 (the closing auction)", pricefill.Asset{Symbol: "OCDO.L"}, "2024-07-10",
			utc("2024-07-10T15:35:59Z"), 0, notOver},
		{"London, BST, the auction over", pricefill.Asset{Symbol: "OCDO.L", Timezone: "Europe/London"}, "2024-07-10",
			utc("2024-07-10T15:36:00Z"), 0, ""},
		// A listing in another known zone: over at local midnight.
		{"Seoul, after the close", pricefill.Asset{Symbol: "005930.KS", Timezone: "Asia/Seoul"}, "2024-03-05",
			time.Date(2024, 3, 5, 23, 59, 59, 0, seoul), 0, notOver},
		{"Seoul, local midnight", pricefill.Asset{Symbol: "005930.KS", Timezone: "Asia/Seoul"}, "2024-03-05",
			time.Date(2024, 3, 6, 0, 0, 0, 0, seoul), 0, ""},
		{"Milan, CEST", pricefill.Asset{Symbol: "ENI.MI", Timezone: "Europe/Rome"}, "2024-07-10",
			utc("2024-07-10T21:59:59Z"), 0, notOver},
		{"Milan, CEST midnight", pricefill.Asset{Symbol: "ENI.MI", Timezone: "Europe/Rome"}, "2024-07-10",
			utc("2024-07-10T22:00:00Z"), 0, ""},
		// An unknown zone: over once the date is over everywhere (UTC-12),
		// future until it has begun anywhere (UTC+14).
		{"unknown zone, 11:59:59 UTC next day", pricefill.Asset{Symbol: "ENI.MI"}, "2024-03-05", utc("2024-03-06T11:59:59Z"), 0, notOver},
		{"unknown zone, 12:00 UTC next day", pricefill.Asset{Symbol: "ENI.MI"}, "2024-03-05", utc("2024-03-06T12:00:00Z"), 0, ""},
		{"unknown zone, 09:59:59 UTC the day before", pricefill.Asset{Symbol: "ENI.MI"}, "2024-03-05", utc("2024-03-04T09:59:59Z"), 0, future},
		{"unknown zone, 10:00 UTC the day before", pricefill.Asset{Symbol: "ENI.MI"}, "2024-03-05", utc("2024-03-04T10:00:00Z"), 0, notOver},
		{"bad zone name", pricefill.Asset{Symbol: "ENI.MI", Timezone: "Mars/Olympus_Mons"}, "2024-03-05", utc("2024-03-06T11:59:59Z"), 0, notOver},
	} {
		v := newValidator(t, validate.WithSettleDelay(tc.settle))
		b := validBar(date(tc.date))
		b.Symbol = tc.asset.Symbol
		var got pricefill.Rule
		for _, vi := range violations(t, v.Validate(tc.now, every, tc.asset, nil, b)) {
			if vi.Rule != validate.RuleDateInFuture && vi.Rule != validate.RuleSessionNotOver {
				t.Errorf("%s: unexpected %v", tc.name, vi)
				continue
			}
			if got != "" {
				t.Errorf("%s: both %s and %s", tc.name, got, vi.Rule)
			}
			got = vi.Rule
		}
		if got != tc.want {
			t.Errorf("%s: %s at %s: got %q, want %q", tc.name, tc.date, tc.now.UTC().Format(time.RFC3339), got, tc.want)
		}
	}
}

// A subject is a listing the property test draws bars for.
type subject struct {
	asset pricefill.Asset
	cal   calendar.Calendar
	// loc is the exchange's zone, nil when the validator cannot know it.
	loc *time.Location
}

type injected struct {
	rule  pricefill.Rule
	field string
}

// TestValidateReportsExactlyTheInjected draws valid bars, breaks random
// rules and checks that the validator reports those, no more, no fewer.
func TestValidateReportsExactlyTheInjected(t *testing.T) {
	t.Parallel()
	subjects := []subject{
		{pricefill.Asset{Symbol: "AAPL", Timezone: "America/New_York"}, calendar.NYSE, zone(t, "America/New_York")},
		{pricefill.Asset{Symbol: "BRK.B"}, calendar.NYSE, zone(t, "America/New_York")},
		{pricefill.Asset{Symbol: "005930.KS", Timezone: "Asia/Seoul"}, calendar.Weekdays, zone(t, "Asia/Seoul")},
		{pricefill.Asset{Symbol: "ENI.MI", Timezone: "Europe/Rome"}, calendar.Weekdays, zone(t, "Europe/Rome")},
		{pricefill.Asset{Symbol: "NOVO-B.CO"}, calendar.Weekdays, nil},
	}
	v := newValidator(t)
	base := date("1995-01-01")
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.SampledFrom(subjects).Draw(t, "subject")
		var want []injected
		rate := rapid.Float64Range(0, 0.4).Draw(t, "injection rate")
		inject := func(label string, rule pricefill.Rule, field string) bool {
			if rapid.Float64Range(0, 1).Draw(t, label) >= rate {
				return false
			}
			want = append(want, injected{rule, field})
			return true
		}
		b := pricefill.Bar{Symbol: s.asset.Symbol, Source: "test"}
		if inject("no symbol", validate.RuleSymbolMissing, "symbol") {
			b.Symbol = ""
		}

		// The date: a trading day, or not.
		d := base.AddDate(0, 0, rapid.IntRange(0, 36*365).Draw(t, "day"))
		closed := inject("closed", validate.RuleNotTradingDay, "date")
		for s.cal.IsTradingDay(d) == closed {
			d = d.AddDate(0, 0, 1)
		}
		b.Date = d
		if inject("not midnight", validate.RuleDateNotMidnight, "date") {
			b.Date = d.Add(time.Duration(rapid.Int64Range(1, int64(24*time.Hour)-1).Draw(t, "time of day")))
		}

		// The range: around the date, or beside it.
		r := pricefill.Range{
			From: d.AddDate(0, 0, -rapid.IntRange(0, 40).Draw(t, "days before")),
			To:   d.AddDate(0, 0, rapid.IntRange(0, 40).Draw(t, "days after")),
		}
		if inject("outside range", validate.RuleOutsideRange, "date") {
			k, n := rapid.IntRange(1, 400).Draw(t, "distance"), rapid.IntRange(0, 40).Draw(t, "length")
			if rapid.Bool().Draw(t, "range after") {
				r.From = d.AddDate(0, 0, k)
				r.To = r.From.AddDate(0, 0, n)
			} else {
				r.To = d.AddDate(0, 0, -k)
				r.From = r.To.AddDate(0, 0, -n)
			}
		}

		// The time: the session over (days later, or the same evening),
		// not over, or the date still to come.
		var now time.Time
		switch rapid.IntRange(0, 5).Draw(t, "when") {
		case 0:
			want = append(want, injected{validate.RuleDateInFuture, "date"})
			now = beforeDate(t, s, d)
		case 1:
			want = append(want, injected{validate.RuleSessionNotOver, "date"})
			now = duringDate(t, s, d)
		case 2:
			now = sameEvening(t, s, d)
		default:
			now = d.AddDate(0, 0, rapid.IntRange(3, 5000).Draw(t, "days later")).
				Add(time.Duration(rapid.Int64Range(0, int64(24*time.Hour)-1).Draw(t, "at")))
		}

		if inject("no date", validate.RuleDateMissing, "date") {
			b.Date = time.Time{}
			want = slices.DeleteFunc(want, func(i injected) bool { return i.field == "date" && i.rule != validate.RuleDateMissing })
		}

		// Prices: valid low ≤ open, close ≤ high, then broken ones.
		b.Low = rapid.Float64Range(0.0001, 10000).Draw(t, "low")
		b.High = b.Low * (1 + rapid.Float64Range(0, 0.5).Draw(t, "range"))
		between := func(label string) float64 {
			return math.Min(math.Max(b.Low+(b.High-b.Low)*rapid.Float64Range(0, 1).Draw(t, label), b.Low), b.High)
		}
		b.Open, b.Close = between("open"), between("close")
		b.Volume = rapid.Int64Range(0, 1e12).Draw(t, "volume")
		broken := false
		for _, p := range []struct {
			field string
			v     *float64
		}{{"open", &b.Open}, {"high", &b.High}, {"low", &b.Low}, {"close", &b.Close}} {
			switch {
			case inject(p.field+" not finite", validate.RulePriceNotFinite, p.field):
				*p.v = rapid.SampledFrom([]float64{math.NaN(), math.Inf(1), math.Inf(-1)}).Draw(t, p.field+" value")
				broken = true
			case inject(p.field+" not positive", validate.RulePriceNotPositive, p.field):
				*p.v = -rapid.Float64Range(0, 1e6).Draw(t, p.field+" value")
				broken = true
			}
		}
		if !broken {
			if inject("high below low", validate.RuleHighBelowLow, "high") {
				b.High = b.Low * rapid.Float64Range(0.01, 0.99).Draw(t, "high share of low")
			} else {
				for _, p := range []struct {
					field string
					v     *float64
				}{{"open", &b.Open}, {"close", &b.Close}} {
					if !inject(p.field+" outside", validate.RuleOutsideLowHigh, p.field) {
						continue
					}
					if rapid.Bool().Draw(t, p.field+" above") {
						*p.v = b.High * (1 + rapid.Float64Range(0.001, 1).Draw(t, p.field+" excess"))
					} else {
						*p.v = b.Low * rapid.Float64Range(0.01, 0.999).Draw(t, p.field+" share of low")
					}
				}
			}
		}
		if inject("negative volume", validate.RuleVolumeNegative, "volume") {
			b.Volume = rapid.Int64Range(math.MinInt64, -1).Draw(t, "negative volume")
		}

		var got []injected
		for _, vi := range violations(t, v.Validate(now, r, s.asset, nil, b)) {
			got = append(got, injected{vi.Rule, vi.Field})
		}
		byName := func(x, y injected) int { return strings.Compare(fmt.Sprint(x), fmt.Sprint(y)) }
		slices.SortFunc(want, byName)
		slices.SortFunc(got, byName)
		if !slices.Equal(got, want) {
			t.Fatalf("bar %+v, range %s, now %s:\n got %v\nwant %v", b, r, now.UTC().Format(time.RFC3339Nano), got, want)
		}
	})
}

// beforeDate returns a time at which date d has not begun on s's exchange.
func beforeDate(t *rapid.T, s subject, d time.Time) time.Time {
	back := time.Duration(rapid.Int64Range(1, int64(3000*24*time.Hour)).Draw(t, "before by"))
	if s.loc == nil { // d begins first at UTC+14, at 10:00 UTC the day before
		return d.Add(-14 * time.Hour).Add(-back)
	}
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, s.loc).Add(-back)
}

// duringDate returns a time on date d, on s's exchange, before its session
// is over.
func duringDate(t *rapid.T, s subject, d time.Time) time.Time {
	switch {
	case s.loc == nil: // from 10:00 UTC the day before to 12:00 UTC the day after
		return d.Add(-14 * time.Hour).Add(time.Duration(rapid.Int64Range(0, int64(50*time.Hour)-1).Draw(t, "during")))
	case s.cal == calendar.Calendar(calendar.NYSE): // up to 14 h before the 16:00 close, on the date even on DST days
		return calendar.NYSE.SessionEnd(d).Add(-time.Duration(rapid.Int64Range(1, int64(14*time.Hour)).Draw(t, "before close")))
	default: // any time of the local date (no DST in Tokyo; London's changes are on Sundays at 01:00)
		start := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, s.loc)
		end := time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, s.loc)
		return start.Add(time.Duration(rapid.Int64Range(0, int64(end.Sub(start))-1).Draw(t, "during")))
	}
}

// sameEvening returns a time soon after the session of d is over, on s's
// exchange.
func sameEvening(t *rapid.T, s subject, d time.Time) time.Time {
	after := time.Duration(rapid.Int64Range(0, int64(7*time.Hour)).Draw(t, "after close"))
	switch {
	case s.loc == nil:
		return d.Add(36 * time.Hour).Add(after)
	case s.cal == calendar.Calendar(calendar.NYSE):
		return calendar.NYSE.SessionEnd(d).Add(after)
	default:
		return time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, s.loc).Add(after)
	}
}

// TestValidateAllocatesNothing keeps a valid bar free of allocations, on
// the fast path (a past day) and on the zone path (today after the close).
// It is not parallel: AllocsPerRun counts the allocations of the whole
// process, and the parallel tests wait while it runs.
func TestValidateAllocatesNothing(t *testing.T) {
	v := newValidator(t)
	tokyo := pricefill.Asset{Symbol: "7203.T", Timezone: "Asia/Tokyo"}
	for _, tc := range []struct {
		name  string
		asset pricefill.Asset
		now   time.Time
	}{
		{"past day", aapl, later},
		{"NYSE today after the close", aapl, time.Date(2024, 3, 5, 21, 30, 0, 0, time.UTC)},
		{"Tokyo today after the close", tokyo, time.Date(2024, 3, 5, 15, 30, 0, 0, time.UTC)},
	} {
		bar := validBar(day)
		bar.Symbol = tc.asset.Symbol
		if err := v.Validate(tc.now, every, tc.asset, nil, bar); err != nil { // loads the zone
			t.Fatalf("%s: %v", tc.name, err)
		}
		if n := testing.AllocsPerRun(100, func() { _ = v.Validate(tc.now, every, tc.asset, nil, bar) }); n != 0 {
			t.Errorf("%s: %v allocations per valid bar, want 0", tc.name, n)
		}
	}
}
