package validate_test

import (
	"testing"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/internal/testmain"
	"github.com/pricefill/pricefill/validate"
)

func TestMain(m *testing.M) { testmain.Run(m) }

var _ backfill.Validator = (*validate.Validator)(nil)

// date parses a date in the form 2006-01-02, as midnight UTC.
func date(s string) time.Time {
	d, err := pricefill.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// zone loads a time zone for a test, failing it when the system has none.
func zone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("time zone %s: %v", name, err)
	}
	return loc
}
