//go:build race

package e2e

// raceEnabled says the tests run with the race detector: the program they
// start is built with it too.
const raceEnabled = true
