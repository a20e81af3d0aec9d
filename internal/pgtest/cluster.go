package pgtest

import (
	"os"
	"sync"
	"testing"
)

// A Cluster is a PostgreSQL server of one test's own, which the test may
// stop and start again while a program uses it: the shared server of
// [DSN] serves every test of the binary and must stay up. It costs an
// initdb, a second or two, so tests that only need a database use DSN.
//
// Unlike the shared server, a Cluster commits synchronously (its WAL is
// written before a commit returns; fsync stays off, since the machine does
// not crash, only the server), so a commit that returned survives
// [Cluster.Stop] as it would on a production server.
//
// A Cluster is safe for concurrent use.
type Cluster struct {
	c *localCluster

	mu      sync.Mutex
	running bool
}

// NewCluster initialises a cluster in a new temporary directory, starts
// it on a free port of 127.0.0.1 and returns it; it is stopped and
// removed when t ends. PRICEFILL_TEST_DATABASE_URL plays no part: that
// server cannot be stopped. When no cluster can be started (no PostgreSQL
// server binaries, say), NewCluster fails t when CI=true and skips it
// otherwise, with the reason.
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	c, err := initCluster()
	if err == nil {
		c.syncCommit = true
		if err = c.start(); err != nil {
			c.remove()
		}
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("pgtest: no PostgreSQL cluster for the test (CI=true, so this fails): %v", err)
		}
		t.Skipf("pgtest: no PostgreSQL cluster, skipping (install the PostgreSQL server): %v", err)
	}
	cl := &Cluster{c: c, running: true}
	t.Cleanup(func() { c.stop() })
	return cl
}

// URL returns the URL of the cluster's postgres database, as the
// superuser postgres. It stays the same across Stop and Start.
func (c *Cluster) URL() string { return c.c.url }

// Stop stops the server at once, as a crash would (pg_ctl stop -m
// immediate): open connections break, transactions in flight are lost,
// and the next Start recovers from the WAL. It fails t if the server does
// not stop; stopping a stopped cluster does nothing.
func (c *Cluster) Stop(t testing.TB) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.running {
		return
	}
	if err := c.c.halt(); err != nil {
		t.Fatalf("pgtest: stop the cluster: %v", err)
	}
	c.running = false
}

// Start starts the stopped server again, on the same port with the same
// data, and returns once it takes connections. It fails t if the server
// does not start (another program took the port meanwhile, say); starting
// a running cluster does nothing.
func (c *Cluster) Start(t testing.TB) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running {
		return
	}
	if err := c.c.start(); err != nil {
		t.Fatalf("pgtest: start the cluster again: %v", err)
	}
	c.running = true
}
