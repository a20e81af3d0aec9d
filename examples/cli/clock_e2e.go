//go:build pricefill_e2e

package main

import (
	"fmt"
	"os"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/internal/clocktest"
)

// ClockOffsetEnv names the variable that, in the program the end-to-end
// tests build (with the tag pricefill_e2e), moves the process's clock by a
// duration: a machine whose clock is off, for the tests of a fleet whose
// clocks disagree. Builds without the tag have no such variable.
const ClockOffsetEnv = "PRICEFILL_E2E_CLOCK_OFFSET"

// processClock is the clock of the process: the system's, moved by
// $PRICEFILL_E2E_CLOCK_OFFSET.
func processClock() (pricefill.Clock, error) {
	s := os.Getenv(ClockOffsetEnv)
	if s == "" {
		return pricefill.SystemClock(), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return nil, fmt.Errorf("$%s: %w", ClockOffsetEnv, err)
	}
	return clocktest.Shifted(time.Now().Add(d)), nil
}
