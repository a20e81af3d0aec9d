package pgtest

import (
	"net/url"
	"strings"
	"testing"
)

// KeyValueDSN returns the PostgreSQL URL u (DSN's: a schema of its own as
// search_path) as lib/pq's key=value words, with password added, which a
// server that trusts its clients never asks for. The URL's query
// parameters, search_path among them, are kept as words.
func KeyValueDSN(t testing.TB, u, password string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	words := []string{"host=" + p.Hostname(), "port=" + p.Port(), "user=" + p.User.Username(),
		"password=" + password, "dbname=" + strings.TrimPrefix(p.Path, "/")}
	for k, vs := range p.Query() {
		words = append(words, k+"="+vs[0])
	}
	return strings.Join(words, " ")
}
