package pricefill

import (
	"fmt"
	"time"
)

// DateLayout is the layout of a date in text: 2006-01-02.
const DateLayout = time.DateOnly

// Date returns the calendar date year-month-day as midnight UTC, the form
// every date in this module takes.
func Date(year int, month time.Month, day int) time.Time {
	return time.Date(year, month, day, 0, 0, 0, 0, time.UTC)
}

// DateOf returns the calendar date of t in t's own location, as midnight
// UTC. To get the date of an instant on an exchange, convert it first:
// DateOf(t.In(exchangeZone)).
func DateOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return Date(y, m, d)
}

// ParseDate parses a date in the form 2006-01-02.
func ParseDate(s string) (time.Time, error) {
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	return t, nil
}

// The years a [Range] may span: from 1900-01-01, before the daily history
// providers serve (but for a few old indices), to 9999-12-31, the last date
// of four digits, which every database column and parser here holds. A
// program with a clock should also refuse a range that ends after today.
const (
	MinYear = 1900
	MaxYear = 9999
)

// A Range is an inclusive span of calendar dates: both From and To belong
// to it. Its dates are midnight UTC, as [Date] makes them.
type Range struct {
	From time.Time
	To   time.Time
}

// LastDays returns the range that ends on the date today and begins days
// calendar days earlier: LastDays(today, 365) holds 366 dates, both ends
// included.
func LastDays(today time.Time, days int) Range {
	to := DateOf(today)
	return Range{From: to.AddDate(0, 0, -days), To: to}
}

// Contains reports whether the calendar date of d lies in r.
func (r Range) Contains(d time.Time) bool {
	d = DateOf(d)
	return !d.Before(r.From) && !d.After(r.To)
}

// Validate reports an error when r is not a usable range: a zero end, an
// end before its start, a date that is not midnight UTC, or a date before
// [MinYear] or after [MaxYear].
func (r Range) Validate() error {
	switch {
	case r.From.IsZero() || r.To.IsZero():
		return fmt.Errorf("range %s: both dates are required", r)
	case !r.From.Equal(DateOf(r.From)) || !r.To.Equal(DateOf(r.To)):
		return fmt.Errorf("range %s: dates must be midnight UTC (use pricefill.Date or DateOf)", r)
	case r.To.Before(r.From):
		return fmt.Errorf("range %s: ends before it starts", r)
	case r.From.Year() < MinYear:
		return fmt.Errorf("range %s: starts before %d-01-01", r, MinYear)
	case r.To.Year() > MaxYear:
		return fmt.Errorf("range %s: ends after %d-12-31", r, MaxYear)
	}
	return nil
}

// String formats r as 2006-01-02..2006-01-31.
func (r Range) String() string {
	return r.From.Format(DateLayout) + ".." + r.To.Format(DateLayout)
}
