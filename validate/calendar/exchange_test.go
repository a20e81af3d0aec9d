package calendar_test

import (
	"bufio"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/validate/calendar"
)

// The helpers the exchanges' tests share. Each exchange has
// testdata/<mic>/closed.txt, the weekdays on which it did not trade,
// assembled from the sources its SOURCE.md names, not computed by this
// package: one "2006-01-02 reason" a line, blank lines and lines starting
// with # skipped.

// readClosedList reads testdata/<mic>/closed.txt as the reason of each
// closed date. Every line must have a reason, and no date may be listed
// twice.
func readClosedList(t *testing.T, mic string) map[time.Time]string {
	t.Helper()
	return readDateList(t, "testdata/"+mic+"/closed.txt", true)
}

// readDateList reads a list of dates in the form 2006-01-02, one a line,
// skipping blank lines and # comments. With reasons, each date is followed
// by a space and a reason, its value in the map; without, a line is a date
// alone. A date listed twice is an error.
func readDateList(t *testing.T, path string, reasons bool) map[time.Time]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	list := make(map[time.Time]string)
	s := bufio.NewScanner(f)
	for n := 1; s.Scan(); n++ {
		line := strings.TrimSpace(s.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		day, why := line, ""
		if reasons {
			var ok bool
			if day, why, ok = strings.Cut(line, " "); !ok || strings.TrimSpace(why) == "" {
				t.Errorf("%s:%d: %q has no reason", path, n, line)
			}
		}
		d, err := pricefill.ParseDate(day)
		if err != nil {
			t.Fatalf("%s:%d: %v", path, n, err)
		}
		if _, dup := list[d]; dup {
			t.Errorf("%s:%d: %s listed twice", path, n, day)
		}
		list[d] = why
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return list
}

// checkClosedList holds cal, day by day from the first of January of
// first to the end of last, to testdata/<mic>/closed.txt (see
// checkClosedDays).
func checkClosedList(t *testing.T, cal calendar.Calendar, mic string, first, last, minPerYear, maxPerYear int) {
	t.Helper()
	checkClosedDays(t, cal, mic+"/closed.txt", readClosedList(t, mic), first, last, minPerYear, maxPerYear)
}

// checkClosedDays holds cal to the closed weekdays of the list called
// name: the list itself must hold only weekdays from first through last,
// between minPerYear and maxPerYear of them each year; then, from the
// first of January of first to the end of last, weekends and listed days
// must be closed and every other day open, by IsTradingDay day by day and
// by TradingDays over the whole span.
func checkClosedDays(t *testing.T, cal calendar.Calendar, name string, closed map[time.Time]string, first, last, minPerYear, maxPerYear int) {
	t.Helper()
	perYear := make(map[int]int)
	for d := range closed {
		if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
			t.Errorf("%s lists %s, a %s", name, d.Format(time.DateOnly), wd)
		}
		if d.Year() < first || d.Year() > last {
			t.Errorf("%s lists %s, outside %d..%d", name, d.Format(time.DateOnly), first, last)
		}
		perYear[d.Year()]++
	}
	for y := first; y <= last; y++ {
		if n := perYear[y]; n < minPerYear || n > maxPerYear {
			t.Errorf("%s lists %d days in %d, want %d to %d", name, n, y, minPerYear, maxPerYear)
		}
	}

	from, to := pricefill.Date(first, 1, 1), pricefill.Date(last, 12, 31)
	var want []time.Time
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		wd := d.Weekday()
		why, listed := closed[d]
		open := wd != time.Saturday && wd != time.Sunday && !listed
		if got := cal.IsTradingDay(d); got != open {
			t.Errorf("IsTradingDay(%s, a %s) = %v, want %v by %s (%s)", d.Format(time.DateOnly), wd, got, open, name, why)
		}
		if open {
			want = append(want, d)
		}
	}
	if diff := cmp.Diff(dates(want), dates(cal.TradingDays(from, to))); diff != "" {
		t.Errorf("TradingDays(%d..%d) against %s (-want +got):\n%s", first, last, name, diff)
	}
}

// A sessionEnd is a case of checkSessionEnds: a date, the instant its
// session ends in RFC 3339, and why the case is there.
type sessionEnd struct {
	date string
	want string // RFC 3339, UTC
	why  string
}

// checkSessionEnds checks that cal's time zone is the one named zone, and
// for each case that SessionEnd of its date is the instant it wants, in
// that zone.
func checkSessionEnds(t *testing.T, cal calendar.ExchangeCalendar, zone string, cases []sessionEnd) {
	t.Helper()
	if got := cal.Location().String(); got != zone {
		t.Errorf("%s.Location() = %s, want %s", cal.MIC(), got, zone)
	}
	for _, tc := range cases {
		want, err := time.Parse(time.RFC3339, tc.want)
		if err != nil {
			t.Fatal(err)
		}
		got := cal.SessionEnd(date(tc.date))
		if !got.Equal(want) {
			t.Errorf("%s.SessionEnd(%s) = %s, want %s (%s)", cal.MIC(), tc.date, got.UTC().Format(time.RFC3339Nano), tc.want, tc.why)
		}
		if got.Location().String() != zone {
			t.Errorf("%s.SessionEnd(%s) is in %s, want %s", cal.MIC(), tc.date, got.Location(), zone)
		}
	}
}
