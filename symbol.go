package pricefill

import (
	"fmt"
	"strings"
)

// SymbolMaxLen is the longest symbol accepted, in bytes. Real tickers with
// an exchange suffix (7203.T, BRK.B, EURUSD=X) are far shorter.
const SymbolMaxLen = 20

// NormalizeSymbol returns the canonical form of a ticker symbol, upper case
// with surrounding space removed, or an error naming what is wrong with it.
//
// A symbol is 1 to [SymbolMaxLen] characters: letters, digits and the marks
// providers use for share classes, indices, exchanges and currencies
// (. - ^ =), starting with a letter, a digit or ^. So BRK.B, BF-B, ^GSPC,
// 7203.T and EURUSD=X are valid; an empty string, inner spaces, quotes or
// semicolons are not.
func NormalizeSymbol(s string) (string, error) {
	sym := strings.ToUpper(strings.TrimSpace(s))
	switch {
	case sym == "":
		return "", fmt.Errorf("symbol %q: empty", s)
	case len(sym) > SymbolMaxLen:
		return "", fmt.Errorf("symbol %.24q…: longer than %d characters", s, SymbolMaxLen)
	}
	for i, c := range []byte(sym) {
		switch {
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '^' && i == 0:
		case (c == '.' || c == '-' || c == '=' || c == '^') && i > 0:
		default:
			return "", fmt.Errorf("symbol %q: character %q not allowed (letters, digits and . - ^ = only)", s, c)
		}
	}
	return sym, nil
}
