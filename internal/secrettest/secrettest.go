// Package secrettest checks, in tests, that an error keeps a secret out of
// its text, at every level of its chain.
package secrettest

import (
	"net/url"
	"strings"
)

// A T is what Check needs of a test: *testing.T and *rapid.T both are.
type T interface {
	Helper()
	Fatalf(format string, args ...any)
}

// Check fails t when the text of err, or of any error it wraps, holds
// secret as it is or URL-escaped, or when a *url.Error (whose URL may
// carry it) is in the chain. A nil err passes.
func Check(t T, err error, secret string) {
	t.Helper()
	forms := []string{secret, url.QueryEscape(secret), url.PathEscape(secret)}
	for _, e := range Chain(err) {
		for _, form := range forms {
			if strings.Contains(e.Error(), form) {
				t.Fatalf("error %T %q holds the secret as %q", e, e.Error(), form)
			}
		}
		if ue, ok := e.(*url.Error); ok {
			t.Fatalf("a *url.Error in the chain: %v", ue)
		}
	}
}

// Chain returns err and every error it wraps, depth first.
func Chain(err error) []error {
	if err == nil {
		return nil
	}
	out := []error{err}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		out = append(out, Chain(u.Unwrap())...)
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			out = append(out, Chain(e)...)
		}
	}
	return out
}
