package main

import (
	"strings"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/validate/calendar"
)

// A schedule says when --scheduled runs next: every interval after a
// run's start, or each day at a time of day in a zone.
type schedule struct {
	every time.Duration // --every; 0 when at is set
	at    *timeOfDay
}

// A timeOfDay is --at: a time of day in a zone.
type timeOfDay struct {
	hour, minute int
	loc          *time.Location
}

// next returns when the run after the one that started at began runs, at
// now. With --every it is began + every (or now, if that has passed: a run
// longer than the interval is followed at once); with --at it is the next
// such time of day after now.
func (s schedule) next(began, now time.Time) time.Time {
	if s.at == nil {
		return later(began.Add(s.every), now)
	}
	t := now.In(s.at.loc)
	y, m, d := t.Date()
	for day := d; ; day++ {
		// time.Date normalizes day+1 across months, and a time of day
		// that a change to summer time skips moves on by the hour.
		if n := time.Date(y, m, day, s.at.hour, s.at.minute, 0, 0, s.at.loc); n.After(now) {
			return n
		}
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// parseAt reads --at: "HH:MM", in the zone of the symbols' exchange when
// they all share one (else New York's), or "HH:MM ZONE" with an IANA zone
// name such as Europe/London (or Local, UTC).
func parseAt(s string, symbols []string) (*timeOfDay, error) {
	clock, zone, _ := strings.Cut(strings.TrimSpace(s), " ")
	t, err := time.Parse("15:04", clock)
	if err != nil || len(clock) != len("15:04") {
		return nil, usagef("--at %q: want a time of day HH:MM, with a zone if not the exchange's: 18:30 or '18:30 Europe/London'", s)
	}
	at := &timeOfDay{hour: t.Hour(), minute: t.Minute(), loc: exchangeZone(symbols)}
	if zone = strings.TrimSpace(zone); zone != "" {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			return nil, usagef("--at %q: unknown time zone %q (want an IANA name such as America/New_York)", s, zone)
		}
		at.loc = loc
	}
	return at, nil
}

// exchangeZone is the time zone of the exchange every symbol is listed
// on, by its calendar, or New York's when they differ or one has none.
func exchangeZone(symbols []string) *time.Location {
	ny := calendar.NYSE.Location()
	var zone *time.Location
	for _, sym := range symbols {
		c, ok := calendar.For(pricefill.Asset{Symbol: sym}).(interface{ Location() *time.Location })
		switch {
		case !ok:
			return ny
		case zone == nil:
			zone = c.Location()
		case c.Location().String() != zone.String():
			return ny
		}
	}
	if zone == nil {
		return ny
	}
	return zone
}

// String says the schedule, for the logs: "every 24h0m0s" or "daily at
// 18:30 America/New_York".
func (s schedule) String() string {
	if s.at == nil {
		return "every " + s.every.String()
	}
	return "daily at " + time.Date(2000, 1, 1, s.at.hour, s.at.minute, 0, 0, time.UTC).Format("15:04") + " " + s.at.loc.String()
}
