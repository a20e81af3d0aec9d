// Package fetchtest is the kit of the fetchers' tests, written once and
// run by every fetcher:
//
//   - the real provider responses in its testdata directory ([Fixture],
//     [Fixtures]; each provider's SOURCE.md says where each came from);
//   - [CheckSeries], what every successful fetch or parse returns: bars
//     and null days (Series.Nulls) in the range, in order, apart;
//   - the null days ([RunNulls]): left out of the bars, and reported
//     when the provider lists them;
//   - the fault table ([RunFaults], [RunTimeouts], [RunSecrets]): the
//     faults of the fake upstream ([Upstream]) that every HTTP fetcher
//     answers alike ([CommonFaults]) and the rows a [Provider] adds for
//     what it spells its own way;
//   - the fuzz body ([Fuzz]): seeded with the fixtures, whatever the body,
//     a parser returns a well-formed series or a classified error that
//     never holds the key.
//
// A fetcher's test names what differs and runs the kit:
//
//	fetchtest.RunFaults(t, provider)          // provider is a fetchtest.Provider
//	fetchtest.Fuzz(f, fetchtest.Parser{...})  // in FuzzParse…, so go test -list finds it
package fetchtest

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/internal/upstream"
)

// FixtureDir is the directory of the fixtures, one subdirectory per
// provider: this package's testdata, wherever the test that asks runs.
var FixtureDir = fixtureDir()

func fixtureDir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "testdata"
	}
	return filepath.Join(filepath.Dir(file), "testdata")
}

// Fixture returns the content of the fixture name of provider.
func Fixture(t testing.TB, provider, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(FixtureDir, provider, name))
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return b
}

// Fixtures returns the names of provider's fixtures that end in suffix.
func Fixtures(t testing.TB, provider, suffix string) []string {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(FixtureDir, provider, "*"+suffix))
	if err != nil || len(matches) == 0 {
		t.Fatalf("no fixtures %s/*%s under %s", provider, suffix, FixtureDir)
	}
	names := make([]string, len(matches))
	for i, m := range matches {
		names[i] = filepath.Base(m)
	}
	return names
}

// CheckSeries checks what every successful fetch returns: a series of the
// asset sym, with bars of sym from source on midnight-UTC dates in r,
// strictly ascending, dividends and splits in r, in order, and null days
// (Nulls) on midnight-UTC dates in r, strictly ascending, none of them the
// date of a bar.
func CheckSeries(t testing.TB, s *pricefill.Series, sym, source string, r pricefill.Range) {
	t.Helper()
	if s == nil {
		t.Fatal("nil series without an error")
	}
	if s.Asset.Symbol != sym {
		t.Errorf("asset symbol %q, want %q", s.Asset.Symbol, sym)
	}
	inRange := func(d time.Time) bool {
		return d.Location() == time.UTC && d.Equal(pricefill.DateOf(d)) && r.Contains(d)
	}
	for i, b := range s.Bars {
		if b.Symbol != sym || b.Source != source {
			t.Errorf("bar %d: symbol %q source %q, want %q %q", i, b.Symbol, b.Source, sym, source)
		}
		if !inRange(b.Date) {
			t.Errorf("bar %d: date %v not a midnight-UTC date in %s", i, b.Date, r)
		}
		if i > 0 && !s.Bars[i-1].Date.Before(b.Date) {
			t.Errorf("bar %d: %s not after %s", i, b.Date, s.Bars[i-1].Date)
		}
	}
	checkNulls(t, s, r)
	for i, d := range s.Dividends {
		if !inRange(d.Date) || (i > 0 && d.Date.Before(s.Dividends[i-1].Date)) {
			t.Errorf("dividend %d: %v out of range or order", i, d)
		}
	}
	for i, sp := range s.Splits {
		if !inRange(sp.Date) || (i > 0 && sp.Date.Before(s.Splits[i-1].Date)) {
			t.Errorf("split %d: %v out of range or order", i, sp)
		}
	}
}

// checkNulls checks the null days of s: midnight-UTC dates in r,
// strictly ascending, none the date of a bar; nil when there are none.
func checkNulls(t testing.TB, s *pricefill.Series, r pricefill.Range) {
	t.Helper()
	bars := make(map[int64]bool, len(s.Bars)) // by Unix time: == on time.Time compares zones too
	for _, b := range s.Bars {
		bars[b.Date.Unix()] = true
	}
	for i, d := range s.Nulls {
		if d.Location() != time.UTC || !d.Equal(pricefill.DateOf(d)) || !r.Contains(d) {
			t.Errorf("null %d: date %v not a midnight-UTC date in %s", i, d, r)
		}
		if i > 0 && !s.Nulls[i-1].Before(d) {
			t.Errorf("null %d: %s not after %s", i, d, s.Nulls[i-1])
		}
		if bars[d.Unix()] {
			t.Errorf("null %d: %s has a bar too", i, d.Format(time.DateOnly))
		}
	}
	if s.Nulls != nil && len(s.Nulls) == 0 {
		t.Error("nulls empty but not nil")
	}
}

// Upstream starts the fake upstream for the test, closed when it ends.
func Upstream(t testing.TB, opts ...upstream.Option) *upstream.Server {
	t.Helper()
	srv, err := upstream.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}
