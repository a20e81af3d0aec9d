package calendar_test

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/validate/calendar"
	"pgregory.net/rapid"
)

func rangeOf(from, to string) pricefill.Range { return pricefill.Range{From: date(from), To: date(to)} }

func datesOf(ss ...string) []time.Time {
	out := make([]time.Time, len(ss))
	for i, s := range ss {
		out[i] = date(s)
	}
	return out
}

func TestCompleteness(t *testing.T) {
	t.Parallel()
	// 2024-12-23 .. 2024-12-31: Mon 23, Tue 24, Thu 26, Fri 27, Mon 30, Tue 31
	// trade; Wed 25 (Christmas) and the weekend do not.
	dec := rangeOf("2024-12-23", "2024-12-31")
	for _, tc := range []struct {
		name   string
		r      pricefill.Range
		stored []time.Time
		want   float64
	}{
		{"nothing stored", dec, nil, 0},
		{"all stored", dec, datesOf("2024-12-23", "2024-12-24", "2024-12-26", "2024-12-27", "2024-12-30", "2024-12-31"), 100},
		{"half, unsorted, with repeats", dec, datesOf("2024-12-30", "2024-12-23", "2024-12-30", "2024-12-26", "2024-12-23"), 50},
		{"holiday, weekend and outside dates do not count", dec,
			datesOf("2024-12-25", "2024-12-28", "2024-12-22", "2025-01-02", "2024-12-24"), 100.0 / 6},
		{"a range with no trading day", rangeOf("2024-12-25", "2024-12-25"), nil, 100},
		{"a backwards range", rangeOf("2024-12-31", "2024-12-23"), nil, 100},
	} {
		if got := calendar.Completeness(calendar.NYSE, tc.r, tc.stored); got != tc.want {
			t.Errorf("%s: Completeness = %v, want %v", tc.name, got, tc.want)
		}
	}
	if got := calendar.Completeness(calendar.Weekdays, dec, datesOf("2024-12-25")); got != 100.0/7 {
		t.Errorf("Weekdays: Completeness = %v, want %v", got, 100.0/7)
	}
}

func TestGaps(t *testing.T) {
	t.Parallel()
	dec := rangeOf("2024-12-16", "2025-01-10")
	for _, tc := range []struct {
		name   string
		r      pricefill.Range
		stored []time.Time
		want   []pricefill.Range
	}{
		{"nothing stored", dec, nil, []pricefill.Range{dec}},
		{"nothing stored, range from and to non-trading days", rangeOf("2024-12-21", "2025-01-05"), nil,
			[]pricefill.Range{rangeOf("2024-12-23", "2025-01-03")}},
		{"all stored", rangeOf("2024-12-23", "2024-12-27"), datesOf("2024-12-27", "2024-12-23", "2024-12-24", "2024-12-26"), nil},
		{"a gap in the middle, across Christmas and a weekend", rangeOf("2024-12-19", "2025-01-02"),
			datesOf("2024-12-19", "2024-12-20", "2024-12-31", "2025-01-02"),
			[]pricefill.Range{rangeOf("2024-12-23", "2024-12-30")}},
		{"gaps at both ends", rangeOf("2024-12-19", "2025-01-02"),
			datesOf("2024-12-24", "2024-12-26", "2024-12-27"),
			[]pricefill.Range{rangeOf("2024-12-19", "2024-12-23"), rangeOf("2024-12-30", "2025-01-02")}},
		{"a holiday alone is no gap", rangeOf("2024-12-24", "2024-12-26"), datesOf("2024-12-24", "2024-12-26"), nil},
		{"no trading day", rangeOf("2024-12-28", "2024-12-29"), nil, nil},
		{"backwards", rangeOf("2024-12-29", "2024-12-20"), nil, nil},
	} {
		got := calendar.Gaps(calendar.NYSE, tc.r, tc.stored)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: Gaps = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestMerge(t *testing.T) {
	t.Parallel()
	// Stored: the trading days of 2024-12-19 .. 2024-12-20 (2), 2024-12-27
	// (1) and 2025-01-06 .. 2025-01-10 (4: the 9th, Carter's day of
	// mourning, had no session), so the gaps are apart by 2, 1 and 4
	// stored trading days.
	gaps := []pricefill.Range{
		rangeOf("2024-12-16", "2024-12-18"),
		rangeOf("2024-12-23", "2024-12-26"),
		rangeOf("2024-12-30", "2025-01-03"),
		rangeOf("2025-01-13", "2025-01-14"),
	}
	for _, tc := range []struct {
		maxStored int
		want      []pricefill.Range
	}{
		{-1, gaps},
		{0, gaps},
		{1, []pricefill.Range{gaps[0], rangeOf("2024-12-23", "2025-01-03"), gaps[3]}},
		{2, []pricefill.Range{rangeOf("2024-12-16", "2025-01-03"), gaps[3]}},
		{3, []pricefill.Range{rangeOf("2024-12-16", "2025-01-03"), gaps[3]}},
		{4, []pricefill.Range{rangeOf("2024-12-16", "2025-01-14")}},
	} {
		if got := calendar.Merge(calendar.NYSE, gaps, tc.maxStored); !slices.Equal(got, tc.want) {
			t.Errorf("Merge(%d) = %v, want %v", tc.maxStored, got, tc.want)
		}
	}
	if got := calendar.Merge(calendar.NYSE, nil, 5); got != nil {
		t.Errorf("Merge(nil) = %v, want none", got)
	}
	before := slices.Clone(gaps)
	calendar.Merge(calendar.NYSE, gaps, 5)
	if !slices.Equal(gaps, before) {
		t.Errorf("Merge changed its input")
	}
}

// storedDays draws a range and the dates stored for it: some trading days
// of the range, with repeats, non-trading days and dates outside it.
func storedDays(t *rapid.T) (calendar.Calendar, pricefill.Range, []time.Time) {
	cal := rapid.SampledFrom([]calendar.Calendar{calendar.NYSE, calendar.Weekdays}).Draw(t, "cal")
	from := date("1988-01-01").AddDate(0, 0, rapid.IntRange(0, 40*365).Draw(t, "from"))
	r := pricefill.Range{From: from, To: from.AddDate(0, 0, rapid.IntRange(-3, 800).Draw(t, "days"))}
	share := rapid.Float64Range(0, 1).Draw(t, "share stored")
	var stored []time.Time
	for d := r.From.AddDate(0, 0, -10); !d.After(r.To.AddDate(0, 0, 10)); d = d.AddDate(0, 0, 1) {
		if rapid.Float64Range(0, 1).Draw(t, "stored?") < share {
			stored = append(stored, d)
			if rapid.IntRange(0, 20).Draw(t, "repeat?") == 0 {
				stored = append(stored, d)
			}
		}
	}
	// Any order.
	for i := len(stored) - 1; i > 0; i-- {
		j := rapid.IntRange(0, i).Draw(t, "shuffle")
		stored[i], stored[j] = stored[j], stored[i]
	}
	return cal, r, stored
}

// expectedAndMissing returns the trading days of r and those stored lacks.
func expectedAndMissing(cal calendar.Calendar, r pricefill.Range, stored []time.Time) (expected, missing []time.Time) {
	have := make(map[time.Time]bool)
	for _, d := range stored {
		have[d] = true
	}
	for _, d := range cal.TradingDays(r.From, r.To) {
		expected = append(expected, d)
		if !have[d] {
			missing = append(missing, d)
		}
	}
	return expected, missing
}

func TestCompletenessIsExact(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		cal, r, stored := storedDays(t)
		expected, missing := expectedAndMissing(cal, r, stored)
		got := calendar.Completeness(cal, r, stored)
		want := 100.0
		if len(expected) > 0 {
			want = float64(100*(len(expected)-len(missing))) / float64(len(expected))
		}
		if got != want || got < 0 || got > 100 || math.IsNaN(got) {
			t.Fatalf("Completeness(%s) = %v, want %v (%d of %d days)", r, got, want, len(expected)-len(missing), len(expected))
		}
		if (got == 100) != (len(missing) == 0) {
			t.Fatalf("Completeness(%s) = %v with %d days missing", r, got, len(missing))
		}
	})
}

// TestGapsCoverExactlyTheMissingDays: the spans of Gaps and the stored
// dates together cover every trading day of the range once; after Merge
// the spans still cover every missing day, inside the range.
func TestGapsCoverExactlyTheMissingDays(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		cal, r, stored := storedDays(t)
		_, missing := expectedAndMissing(cal, r, stored)
		gaps := calendar.Gaps(cal, r, stored)
		checkSpans(t, "Gaps", cal, r, gaps)

		var inGaps []time.Time
		for _, g := range gaps {
			inGaps = append(inGaps, cal.TradingDays(g.From, g.To)...)
		}
		// Gap days are exactly the missing ones (so none is stored: no
		// overlap), and together with the stored days they are the range.
		if !slices.Equal(inGaps, missing) {
			t.Fatalf("Gaps(%s) = %v: their trading days %v, missing %v", r, gaps, dates(inGaps), dates(missing))
		}
		for i := 1; i < len(gaps); i++ {
			if len(cal.TradingDays(gaps[i-1].To.AddDate(0, 0, 1), gaps[i].From.AddDate(0, 0, -1))) == 0 {
				t.Fatalf("Gaps(%s): %s and %s are not apart by a stored day", r, gaps[i-1], gaps[i])
			}
		}

		maxStored := rapid.IntRange(-1, 30).Draw(t, "maxStored")
		merged := calendar.Merge(cal, gaps, maxStored)
		checkSpans(t, "Merge", cal, r, merged)
		if len(merged) > len(gaps) {
			t.Fatalf("Merge made %d spans of %d", len(merged), len(gaps))
		}
		covered := make(map[time.Time]bool)
		for _, g := range merged {
			for _, d := range cal.TradingDays(g.From, g.To) {
				covered[d] = true
			}
		}
		for _, d := range missing {
			if !covered[d] {
				t.Fatalf("Merge(%d) = %v leaves out %s", maxStored, merged, d.Format(time.DateOnly))
			}
		}
		for i := 1; i < len(merged); i++ {
			if n := len(cal.TradingDays(merged[i-1].To.AddDate(0, 0, 1), merged[i].From.AddDate(0, 0, -1))); n <= maxStored {
				t.Fatalf("Merge(%d): %s and %s are %d days apart, not joined", maxStored, merged[i-1], merged[i], n)
			}
		}
	})
}

// checkSpans checks that spans are in order, apart, inside r, and start
// and end on trading days.
func checkSpans(t *rapid.T, what string, cal calendar.Calendar, r pricefill.Range, spans []pricefill.Range) {
	for i, s := range spans {
		if err := s.Validate(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if s.From.Before(r.From) || s.To.After(r.To) {
			t.Fatalf("%s: span %s is not inside %s", what, s, r)
		}
		if !cal.IsTradingDay(s.From) || !cal.IsTradingDay(s.To) {
			t.Fatalf("%s: span %s does not start and end on trading days", what, s)
		}
		if i > 0 && !spans[i-1].To.Before(s.From) {
			t.Fatalf("%s: spans %s and %s overlap or are out of order", what, spans[i-1], s)
		}
	}
}
