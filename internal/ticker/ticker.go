// Package ticker tells the parts of a canonical symbol apart, so that each
// fetcher can spell it the way its provider does: a share class (BRK.B)
// is not an exchange suffix (OCDO.L), though both follow a dot.
package ticker

import "strings"

// marketLetters are the one-letter exchange suffixes of Yahoo: London,
// Tokyo, Frankfurt and the TSX Venture. A symbol ending in one of them is
// read as a listing on that exchange, not as a share class.
const marketLetters = "LTFV"

// ShareClass splits a US share-class symbol such as BRK.B into its base
// BRK and class B. ok is false for anything else: a symbol without a dot,
// an index, a suffix of two or more letters (BHP.AX), a one-letter
// exchange suffix (OCDO.L, 7203.T) or a base that holds digits.
//
// A few class letters are also exchange suffixes (.L, .T, .F, .V); such a
// symbol is read as the exchange listing.
func ShareClass(sym string) (base, class string, ok bool) {
	i := strings.LastIndexByte(sym, '.')
	if i <= 0 || i != len(sym)-2 || strings.IndexByte(sym[:i], '.') >= 0 || sym[0] == '^' {
		return "", "", false
	}
	c := sym[i+1]
	if c < 'A' || c > 'Z' || strings.IndexByte(marketLetters, c) >= 0 {
		return "", "", false
	}
	for j := 0; j < i; j++ {
		if b := sym[j]; b < 'A' || b > 'Z' {
			return "", "", false
		}
	}
	return sym[:i], sym[i+1:], true
}

// Suffix splits a symbol with an exchange suffix, such as OCDO.L or
// BHP.AX, into its base and suffix (without the dot). ok is false when the
// symbol has no dot or is a share class (see [ShareClass]).
func Suffix(sym string) (base, suffix string, ok bool) {
	i := strings.LastIndexByte(sym, '.')
	if i <= 0 || i == len(sym)-1 {
		return "", "", false
	}
	if _, _, class := ShareClass(sym); class {
		return "", "", false
	}
	return sym[:i], sym[i+1:], true
}

// IsShareClass reports whether sym is a share-class symbol (see [ShareClass]).
func IsShareClass(sym string) bool {
	_, _, ok := ShareClass(sym)
	return ok
}
