package clocktest

import (
	"testing"
	"time"

	"github.com/pricefill/pricefill"
)

// Date parses a date in the form 2006-01-02 as midnight UTC, and panics
// on any other text: it is for the dates a test writes, package-level
// variables among them.
func Date(s string) time.Time {
	d, err := pricefill.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// Zone loads the time zone name for a test, failing it when the system
// has none.
func Zone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("time zone %s: %v", name, err)
	}
	return loc
}
