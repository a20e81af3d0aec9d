// Package universe holds the lists of symbols a backfill runs over: the
// S&P 500, embedded in the module, and config files in the same JSON form:
//
//	{
//	  "name": "S&P 500",
//	  "last_updated": "2026-08-08",
//	  "source": "…",
//	  "symbols": [
//	    {"symbol": "MMM", "name": "3M", "sector": "Industrials"},
//	    …
//	  ]
//	}
//
// Only "symbols" and each entry's "symbol" are required.
package universe

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/pricefill/pricefill"
)

//go:generate go run ./internal/gensp500 testdata/sp500_constituents.csv 2026-08-08 "datasets/s-and-p-500-companies data/constituents.csv@56509dd (from Wikipedia's List of S&P 500 companies), ODC-PDDL-1.0" sp500.json

//go:embed sp500.json
var sp500JSON []byte

// A Universe is a named list of symbols.
type Universe struct {
	Name string `json:"name,omitempty"`
	// LastUpdated is the date of the list, YYYY-MM-DD.
	LastUpdated string   `json:"last_updated,omitempty"`
	Source      string   `json:"source,omitempty"`
	Symbols     []Member `json:"symbols"`
}

// A Member is one symbol of a universe.
type Member struct {
	Symbol string `json:"symbol"`
	Name   string `json:"name,omitempty"`
	Sector string `json:"sector,omitempty"`
}

var sp500 = sync.OnceValue(func() *Universe {
	u, err := Parse(bytes.NewReader(sp500JSON))
	if err != nil {
		panic("universe: embedded sp500.json: " + err.Error())
	}
	return u
})

// SP500 returns the S&P 500 constituents as of their LastUpdated date: 503
// symbols, as several companies list two share classes. It is today's
// membership, so a backfill of past years over it has survivorship bias.
// The caller may modify the result.
func SP500() *Universe {
	u := *sp500()
	u.Symbols = append([]Member(nil), u.Symbols...)
	return &u
}

// Parse reads a universe in JSON: exactly one object, nothing after it
// but white space. It rejects empty input, unknown fields, an empty list,
// malformed symbols and duplicates, naming each, and returns symbols in
// their canonical form.
func Parse(r io.Reader) (*Universe, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var u Universe
	if err := dec.Decode(&u); err != nil {
		if err == io.EOF {
			return nil, errors.New(`universe: empty, want a JSON object {"symbols": [{"symbol": "AAPL"}, …]}`)
		}
		return nil, fmt.Errorf("universe: %w", err)
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		what := "a second JSON value"
		if err != nil {
			what = err.Error()
		}
		return nil, fmt.Errorf("universe: after the JSON object (%d bytes): %s; want exactly one object", end, what)
	}
	if len(u.Symbols) == 0 {
		return nil, errors.New(`universe: no symbols (want {"symbols": [{"symbol": "AAPL"}, …]})`)
	}
	var errs []error
	seen := make(map[string]int, len(u.Symbols))
	for i := range u.Symbols {
		m := &u.Symbols[i]
		sym, err := pricefill.NormalizeSymbol(m.Symbol)
		if err != nil {
			errs = append(errs, fmt.Errorf("entry %d: %w", i+1, err))
			continue
		}
		if j, dup := seen[sym]; dup {
			errs = append(errs, fmt.Errorf("entry %d: symbol %s repeats entry %d", i+1, sym, j))
			continue
		}
		seen[sym] = i + 1
		m.Symbol = sym
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("universe: %w", err)
	}
	return &u, nil
}

// ReadFile reads a universe from a JSON file.
func ReadFile(path string) (*Universe, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("universe: %w", err)
	}
	defer f.Close()
	u, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return u, nil
}

// Tickers returns the symbols of u, in order.
func (u *Universe) Tickers() []string {
	out := make([]string, len(u.Symbols))
	for i, m := range u.Symbols {
		out[i] = m.Symbol
	}
	return out
}

// Assets returns what u knows of the members whose symbols are among
// symbols, as assets with a name and a sector, in u's order: for a store
// to keep them (package store's DB.PutAssets). Members with neither are
// left out.
func (u *Universe) Assets(symbols []string) []pricefill.Asset {
	want := make(map[string]bool, len(symbols))
	for _, s := range symbols {
		want[s] = true
	}
	var out []pricefill.Asset
	for _, m := range u.Symbols {
		if want[m.Symbol] && (m.Name != "" || m.Sector != "") {
			out = append(out, pricefill.Asset{Symbol: m.Symbol, Name: m.Name, Sector: m.Sector})
		}
	}
	return out
}
