package calendar

import (
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pricefill/pricefill"
)

// Bounds for an exchange in an unknown time zone: a date has begun on it
// once it has begun anywhere (UTC+14) and is over only once it is over
// everywhere (UTC-12).
var (
	earliestZone = time.FixedZone("UTC+14", 14*60*60)
	latestZone   = time.FixedZone("UTC-12", -12*60*60)
)

// zones caches the time zones that assets name.
var zones zoneCache

// Session returns the time zone in which the exchange of asset a, by
// calendar cal, tells "today", and the instant at which its session of the
// calendar date of d is over. A [SessionCalendar] tells both itself. For
// another calendar the zone is the asset's (a.Timezone) and the session is
// over when its date is over there, as the closing time is not known; when
// the asset names no zone, or an unknown one, "today" has begun once it has
// begun anywhere on earth (UTC+14) and is over once it is over everywhere
// (UTC-12). It allocates nothing once a zone name has been seen.
func Session(cal Calendar, a pricefill.Asset, d time.Time) (loc *time.Location, end time.Time) {
	return session(cal, a.Timezone, DayOf(d))
}

func session(cal Calendar, tz string, d Day) (*time.Location, time.Time) {
	if sc, ok := cal.(SessionCalendar); ok {
		return sc.Location(), sc.SessionEnd(d.Time())
	}
	y, m, dd := (d + 1).civil()
	if loc := zones.load(tz); loc != nil {
		return loc, time.Date(y, m, dd, 0, 0, 0, 0, loc)
	}
	return earliestZone, time.Date(y, m, dd, 0, 0, 0, 0, latestZone)
}

// LastSessionOver returns the latest date whose session is over at now, on
// the exchange of asset a by calendar cal (see [Session]): bars up to that
// date are final. The date need not be a trading day. Gap-aware backfill
// uses it so as not to ask for a session still in progress.
func LastSessionOver(cal Calendar, a pricefill.Asset, now time.Time) time.Time {
	// The latest date that can have begun anywhere is today in UTC+14.
	for d := DayOf(now.In(earliestZone)); ; d-- {
		if _, end := session(cal, a.Timezone, d); !now.Before(end) {
			return d.Time()
		}
	}
}

// zoneCacheMax bounds the names a zoneCache keeps, so that a provider
// sending ever new bad names cannot grow it without end. There are some
// 600 IANA zone names.
const zoneCacheMax = 1024

// A zoneCache loads time zones by IANA name once each. Reads take no lock
// and allocate nothing: the map is copied on write, which is rare.
type zoneCache struct {
	m  atomic.Pointer[map[string]*time.Location]
	mu sync.Mutex
}

// load returns the zone of the name, or nil for an empty, "Local" or
// unknown name.
func (c *zoneCache) load(name string) *time.Location {
	if name == "" || name == "Local" {
		return nil
	}
	if m := c.m.Load(); m != nil {
		if loc, ok := (*m)[name]; ok {
			return loc
		}
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		loc = nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var m map[string]*time.Location
	if old := c.m.Load(); old != nil {
		if len(*old) >= zoneCacheMax {
			return loc
		}
		m = maps.Clone(*old)
	} else {
		m = make(map[string]*time.Location)
	}
	m[name] = loc
	c.m.Store(&m)
	return loc
}
