package sqldialect

import (
	"database/sql/driver"
	"fmt"
	"time"

	"github.com/pricefill/pricefill"
)

// TimeLayout is how times travel to both databases and how SQLite stores
// them: RFC 3339 in UTC with exactly six fractional digits, so that every
// stored time has the same width and text order is time order.
// PostgreSQL's timestamptz keeps microseconds too, so a time written and
// read back is the same in both.
const TimeLayout = "2006-01-02T15:04:05.000000Z07:00"

// Precision is the resolution of stored times. Times are truncated to it
// before they are stored or compared; [Now] does it for the clock.
const Precision = time.Microsecond

// Now returns the time c reads, in UTC and truncated to [Precision]: the
// time as the database will store it.
func Now(c pricefill.Clock) time.Time { return Trunc(c.Now()) }

// Trunc returns t in UTC, truncated to [Precision].
func Trunc(t time.Time) time.Time { return t.UTC().Truncate(Precision) }

// FormatTime returns t as a parameter: text in [TimeLayout], or nil (SQL
// NULL) for the zero time.
func FormatTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return Trunc(t).Format(TimeLayout)
}

// FormatDate returns the calendar date of d as YYYY-MM-DD text, which both
// databases read as a date.
func FormatDate(d time.Time) string { return d.Format(pricefill.DateLayout) }

// Time scans a time column of either database: a time.Time (PostgreSQL
// timestamptz), text in [TimeLayout] or any RFC 3339 form (SQLite), or NULL,
// which leaves the zero time. The time is in UTC.
type Time struct{ time.Time }

// Scan implements sql.Scanner.
func (t *Time) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		t.Time = time.Time{}
	case time.Time:
		t.Time = v.UTC()
	case string:
		return t.parse(v)
	case []byte:
		return t.parse(string(v))
	default:
		return fmt.Errorf("scan time: unexpected %T", src)
	}
	return nil
}

func (t *Time) parse(s string) error {
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("scan time %q: %w", s, err)
	}
	t.Time = v.UTC()
	return nil
}

// Value implements driver.Valuer, as [FormatTime].
func (t Time) Value() (driver.Value, error) { return FormatTime(t.Time), nil }

// Date scans a date column of either database: a time.Time (PostgreSQL
// date) or YYYY-MM-DD text (SQLite), or NULL, which leaves the zero time.
// The date is midnight UTC, as [pricefill.Date] makes it.
type Date struct{ time.Time }

// Scan implements sql.Scanner.
func (d *Date) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		d.Time = time.Time{}
	case time.Time:
		d.Time = pricefill.DateOf(v)
	case string:
		return d.parse(v)
	case []byte:
		return d.parse(string(v))
	default:
		return fmt.Errorf("scan date: unexpected %T", src)
	}
	return nil
}

func (d *Date) parse(s string) error {
	v, err := pricefill.ParseDate(s)
	if err != nil {
		return fmt.Errorf("scan date: %w", err)
	}
	d.Time = v
	return nil
}
