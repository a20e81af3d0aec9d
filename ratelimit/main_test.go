package ratelimit_test

import (
	"testing"

	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/internal/testmain"
	"github.com/pricefill/pricefill/ratelimit"
)

func TestMain(m *testing.M) { testmain.Run(m) }

var (
	_ backfill.Limiter        = (*ratelimit.Limiter)(nil)
	_ backfill.Feedback       = (*ratelimit.Limiter)(nil)
	_ backfill.StatusReporter = (*ratelimit.Limiter)(nil)
	_ backfill.Forecaster     = (*ratelimit.Limiter)(nil)
)
