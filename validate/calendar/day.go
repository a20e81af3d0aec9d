package calendar

import "time"

// A Day is a calendar date counted in days since 1970-01-01, so that
// calendars and validators can do date arithmetic with integers instead of
// [time.Time]. [DayOf] makes one; [Day.Time] turns it back.
type Day int64

const secondsPerDay = 24 * 60 * 60

// civilDay returns the day of the proleptic Gregorian date y-m-d, which
// must be a valid date. It is Howard Hinnant's days_from_civil.
func civilDay(y int, m time.Month, d int) Day {
	if m <= time.February {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400 // [0, 399]
	mp := int(m) + 9   // March = 0
	if m > time.February {
		mp = int(m) - 3
	}
	doy := (153*mp+2)/5 + d - 1            // [0, 365]
	doe := yoe*365 + yoe/4 - yoe/100 + doy // [0, 146096]
	return Day(int64(era)*146097 + int64(doe) - 719468)
}

// civil returns the year, month and day of d (Hinnant's civil_from_days).
func (d Day) civil() (int, time.Month, int) {
	z := int64(d) + 719468
	era := z
	if era < 0 {
		era -= 146096
	}
	era /= 146097
	doe := z - era*146097                                  // [0, 146096]
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365 // [0, 399]
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100) // [0, 365]
	mp := (5*doy + 2) / 153                  // [0, 11]
	dd := doy - (153*mp+2)/5 + 1             // [1, 31]
	m := mp + 3
	if mp >= 10 {
		m = mp - 9
		y++
	}
	return int(y), time.Month(m), int(dd)
}

// weekday returns the day of the week of d; 1970-01-01 was a Thursday.
func (d Day) weekday() time.Weekday {
	return time.Weekday(((int64(d) % 7) + 7 + int64(time.Thursday)) % 7)
}

// weekend reports whether d is a Saturday or a Sunday.
func (d Day) weekend() bool {
	w := d.weekday()
	return w == time.Saturday || w == time.Sunday
}

// Time returns d as midnight UTC, the form of every date in the module.
func (d Day) Time() time.Time { return time.Unix(int64(d)*secondsPerDay, 0).UTC() }

// String formats d as 2006-01-02.
func (d Day) String() string { return d.Time().Format(time.DateOnly) }

// DayOf returns the calendar date of t in t's own location. For a time in
// UTC, the common case, it needs no calendar conversion.
func DayOf(t time.Time) Day {
	if t.Location() == time.UTC {
		s := t.Unix()
		q := s / secondsPerDay
		if s%secondsPerDay < 0 {
			q--
		}
		return Day(q)
	}
	y, m, d := t.Date()
	return civilDay(y, m, d)
}
