package main

import (
	"testing"
	"time"

	"pgregory.net/rapid"
)

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestAtIsTheNextTimeOfDay: --at's next run is the first instant after
// now whose wall clock in the zone reads HH:MM, across month ends and the
// changes to and from summer time, and never more than a day and an hour
// away.
func TestAtIsTheNextTimeOfDay(t *testing.T) {
	zones := []*time.Location{mustZone(t, "America/New_York"), mustZone(t, "Europe/London"), mustZone(t, "Australia/Sydney"), time.UTC}
	rapid.Check(t, func(t *rapid.T) {
		at := &timeOfDay{hour: rapid.IntRange(0, 23).Draw(t, "hour"), minute: rapid.IntRange(0, 59).Draw(t, "minute"),
			loc: zones[rapid.IntRange(0, len(zones)-1).Draw(t, "zone")]}
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rapid.Int64Range(0, 2*365*24*3600).Draw(t, "s")) * time.Second)
		next := schedule{at: at}.next(now.Add(-time.Hour), now)
		if !next.After(now) || next.Sub(now) > 25*time.Hour {
			t.Fatalf("next %s for now %s: want within (0, 25h]", next, now)
		}
		wall := next.In(at.loc)
		// A time of day that summer time skips comes an hour later.
		if wall.Minute() != at.minute || (wall.Hour() != at.hour && wall.Hour() != (at.hour+1)%24) {
			t.Fatalf("next %s reads %s in %s, want %02d:%02d", next, wall.Format("15:04"), at.loc, at.hour, at.minute)
		}
		// No earlier minute between now and next reads HH:MM.
		for m := now.Truncate(time.Minute).Add(time.Minute); m.Before(next); m = m.Add(time.Minute) {
			if w := m.In(at.loc); w.Hour() == at.hour && w.Minute() == at.minute {
				t.Fatalf("next %s for now %s, but %s reads %02d:%02d already", next, now, m, at.hour, at.minute)
			}
		}
	})
}

func TestEveryCountsFromTheRunsStart(t *testing.T) {
	began := time.Date(2026, 12, 3, 18, 0, 0, 0, time.UTC)
	s := schedule{every: 6 * time.Hour}
	if got, want := s.next(began, began.Add(time.Hour)), began.Add(6*time.Hour); !got.Equal(want) {
		t.Errorf("next after a 1h run = %s, want %s", got, want)
	}
	// A run longer than the interval is followed at once.
	if late := began.Add(7 * time.Hour); !s.next(began, late).Equal(late) {
		t.Errorf("next after a 7h run = %s, want now (%s)", s.next(began, late), late)
	}
}

func TestAtZoneDefaultsToTheExchanges(t *testing.T) {
	for _, tc := range []struct {
		symbols []string
		want    string
	}{
		{[]string{"AAPL", "MSFT"}, "America/New_York"},
		{[]string{"VOD.L", "BP.L"}, "Europe/London"},
		{[]string{"7203.T"}, "Asia/Tokyo"},
		{[]string{"VOD.L", "AAPL"}, "America/New_York"}, // they differ
		{[]string{"EURUSD=X"}, "America/New_York"},      // no exchange calendar
	} {
		at, err := parseAt("18:30", tc.symbols)
		if err != nil {
			t.Fatal(err)
		}
		if at.loc.String() != tc.want || at.hour != 18 || at.minute != 30 {
			t.Errorf("--at 18:30 for %v: %02d:%02d %s, want 18:30 %s", tc.symbols, at.hour, at.minute, at.loc, tc.want)
		}
	}
	at, err := parseAt("07:05 Europe/Paris", []string{"AAPL"})
	if err != nil || at.loc.String() != "Europe/Paris" || at.hour != 7 || at.minute != 5 {
		t.Errorf("--at '07:05 Europe/Paris' = %+v, %v", at, err)
	}
	for _, bad := range []string{"7:05", "24:00", "18:30:00", "18h30", "18:30 Nowhere/Land"} {
		if _, err := parseAt(bad, nil); err == nil {
			t.Errorf("--at %q: no error", bad)
		}
	}
}
