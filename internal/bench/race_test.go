//go:build race

package main

// raceEnabled says the tests run with the race detector: the program that
// the fleet, pace and outage tests start is built with it too, reusing
// the packages compiled for the tests.
const raceEnabled = true
