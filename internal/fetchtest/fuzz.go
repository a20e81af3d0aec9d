package fetchtest

import (
	"slices"
	"strings"
	"testing"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/internal/secrettest"
)

// A Parser is a fetcher's parser under [Fuzz]: how to call it and what its
// answers must be.
type Parser struct {
	// Parse parses body as the answer for Symbol over Range.
	Parse func(t *testing.T, body []byte) (*pricefill.Series, error)
	// Symbol, Source and Range are what a series must be of: bars of
	// Symbol from Source on dates in Range.
	Symbol, Source string
	Range          pricefill.Range
	// Seeds start the corpus: the provider's fixtures ([FixtureSeeds])
	// and bodies of its own.
	Seeds [][]byte
	// Kinds are the kinds an error may have. Default: transient, rate
	// limited, not found and permanent (not unavailable: a parser reaches
	// no one).
	Kinds []pricefill.Kind
	// Key is a secret that the parser's redactor removes and that no
	// error may hold; empty for none.
	Key string
	// Mention is a text every error holds, such as the provider's name;
	// empty for none.
	Mention string
}

// Fuzz is the body of a fetcher's fuzz target: whatever the body, Parse
// does not panic, and returns a well-formed series ([CheckSeries]) and no
// error, or no series and an error of one of p.Kinds that holds
// p.Mention and never p.Key. Call it from the target (func FuzzParse…),
// so that go test -list finds the target.
func Fuzz(f *testing.F, p Parser) {
	f.Helper()
	for _, s := range p.Seeds {
		f.Add(s)
	}
	kinds := p.Kinds
	if len(kinds) == 0 {
		kinds = []pricefill.Kind{pricefill.KindTransient, pricefill.KindRateLimited, pricefill.KindNotFound, pricefill.KindPermanent}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		s, err := p.Parse(t, body)
		if err != nil {
			if s != nil {
				t.Errorf("series %v with error %v", s, err)
			}
			if k := pricefill.KindOf(err); !slices.Contains(kinds, k) {
				t.Errorf("error %v of kind %s, want one of %v", err, k, kinds)
			}
			if !strings.Contains(err.Error(), p.Mention) {
				t.Errorf("error %q does not say %q", err, p.Mention)
			}
			if p.Key != "" {
				secrettest.Check(t, err, p.Key)
			}
			return
		}
		CheckSeries(t, s, p.Symbol, p.Source, p.Range)
	})
}

// FixtureSeeds returns the contents of provider's fixtures named names,
// or of all that end in one of the suffixes given as "*.json", "*.txt"…
func FixtureSeeds(t testing.TB, provider string, names ...string) [][]byte {
	t.Helper()
	var out [][]byte
	for _, n := range names {
		if suffix, ok := strings.CutPrefix(n, "*"); ok {
			for _, m := range Fixtures(t, provider, suffix) {
				out = append(out, Fixture(t, provider, m))
			}
			continue
		}
		out = append(out, Fixture(t, provider, n))
	}
	return out
}
