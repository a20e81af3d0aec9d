package calendar_test

import (
	"testing"
	"time"

	"github.com/pricefill/pricefill/internal/clocktest"
	"github.com/pricefill/pricefill/internal/testmain"
	"github.com/pricefill/pricefill/validate/calendar"
)

func TestMain(m *testing.M) { testmain.Run(m) }

var (
	_ calendar.SessionCalendar = calendar.NYSE
	_ calendar.Calendar        = calendar.Weekdays
)

// date parses a date in the form 2006-01-02, as midnight UTC; zone loads
// a time zone for a test.
var (
	date = clocktest.Date
	zone = clocktest.Zone
)

func dates(ts []time.Time) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Format(time.DateOnly)
	}
	return out
}
