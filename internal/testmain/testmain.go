// Package testmain is the TestMain of every package whose tests start
// goroutines or run property tests: it fails the package when a test leaks
// a goroutine, and raises rapid's number of checks to 1,000 on CI.
package testmain

import (
	"flag"
	"os"
	"strconv"
	"testing"

	"go.uber.org/goleak"
)

// CIChecks is the number of rapid checks per property when CI=true and
// -rapid.checks is not given.
const CIChecks = 1000

// Run runs the tests of m, then checks for leaked goroutines, then runs
// cleanups (such as stopping a database server the tests started), and
// exits. Use it as:
//
//	func TestMain(m *testing.M) { testmain.Run(m) }
func Run(m *testing.M, cleanups ...func()) {
	flag.Parse()
	if os.Getenv("CI") == "true" && !flagSet("rapid.checks") && flag.Lookup("rapid.checks") != nil {
		if err := flag.Set("rapid.checks", strconv.Itoa(CIChecks)); err != nil {
			panic(err)
		}
	}
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		for _, c := range cleanups {
			c()
		}
		os.Exit(code)
	}))
}

func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
