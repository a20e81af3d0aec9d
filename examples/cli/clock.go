//go:build !pricefill_e2e

package main

import "github.com/pricefill/pricefill"

// processClock is the clock of the process: the system's.
func processClock() (pricefill.Clock, error) { return pricefill.SystemClock(), nil }
