package validate_test

import (
	"testing"

	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/internal/clocktest"
	"github.com/pricefill/pricefill/internal/testmain"
	"github.com/pricefill/pricefill/validate"
)

func TestMain(m *testing.M) { testmain.Run(m) }

var _ backfill.Validator = (*validate.Validator)(nil)

// date parses a date in the form 2006-01-02, as midnight UTC; zone loads
// a time zone for a test.
var (
	date = clocktest.Date
	zone = clocktest.Zone
)
