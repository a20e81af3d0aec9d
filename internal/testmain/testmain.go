// Package testmain is the TestMain of every package whose tests start
// goroutines or run property tests: it fails the package when a test leaks
// a goroutine, and raises rapid's number of checks to 1,000 on CI.
//
// A package whose every check is slow (an end-to-end property that starts
// processes, say) sets its own number instead, with [WithRapidChecks].
package testmain

import (
	"flag"
	"fmt"
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
func Run(m *testing.M, cleanups ...func()) { RunWith(m, WithCleanup(cleanups...)) }

// An Option changes what [RunWith] does.
type Option func(*config)

type config struct {
	cleanups    []func()
	rapidChecks int  // with checksSet; else CIChecks on CI, rapid's default elsewhere
	checksSet   bool // WithRapidChecks was given
}

// WithCleanup adds functions to run after the tests and the goroutine
// check, before the exit, in order.
func WithCleanup(fs ...func()) Option {
	return func(c *config) { c.cleanups = append(c.cleanups, fs...) }
}

// WithRapidChecks makes every rapid property of the package run n checks,
// on CI and elsewhere, unless -rapid.checks is given. It is for packages
// whose every check is expensive: at seconds a check, [CIChecks] would
// take an hour and rapid's default of 100 several minutes. rapid reads
// its number of checks from a flag shared by the whole test binary, so
// this is per package, not per property. n must be at least 1.
func WithRapidChecks(n int) Option {
	return func(c *config) { c.rapidChecks, c.checksSet = n, true }
}

// RunWith is [Run] configured by opts. Use it as:
//
//	func TestMain(m *testing.M) { testmain.RunWith(m, testmain.WithRapidChecks(6)) }
func RunWith(m *testing.M, opts ...Option) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.checksSet && cfg.rapidChecks < 1 {
		panic(fmt.Sprintf("testmain.WithRapidChecks(%d): want 1 or more", cfg.rapidChecks))
	}
	flag.Parse()
	checks := cfg.rapidChecks
	if !cfg.checksSet && os.Getenv("CI") == "true" {
		checks = CIChecks
	}
	if checks > 0 && !flagSet("rapid.checks") && flag.Lookup("rapid.checks") != nil {
		if err := flag.Set("rapid.checks", strconv.Itoa(checks)); err != nil {
			panic(err)
		}
	}
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		for _, c := range cfg.cleanups {
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
