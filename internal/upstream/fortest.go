package upstream

import "testing"

// ForTest starts a server with opts for the test t, which it fails if the
// server cannot start, and closes the server when t ends.
func ForTest(t testing.TB, opts ...Option) *Server {
	t.Helper()
	srv, err := New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}
