// Package pgtest gives tests a PostgreSQL database of their own.
//
// The server is the one that PRICEFILL_TEST_DATABASE_URL names (as .ci/run
// sets it); without it, pgtest starts a throw-away cluster with the
// PostgreSQL server binaries it finds (initdb and pg_ctl, run as the
// postgres user when the tests run as root) on a free port, once per test
// binary, and [Main] removes it at the end. Each call of [DSN] creates an
// empty schema and returns a URL whose search_path is that schema, so
// tests run in parallel without seeing each other's tables.
//
// A test that cannot have a database fails when CI=true or when
// PRICEFILL_TEST_DATABASE_URL is set (and its server does not answer);
// elsewhere it is skipped, with the reason.
//
// A test that stops and starts the server under a running program (to see
// what a crash of the database does to it) cannot do that to the shared
// server: [NewCluster] gives it a server of its own.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/lib/pq" // the "postgres" driver

	"github.com/pricefill/pricefill/internal/redact"
	"github.com/pricefill/pricefill/internal/testmain"
)

// EnvURL is the variable that names the test server: a URL such as
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable, of a role
// that may create schemas.
const EnvURL = "PRICEFILL_TEST_DATABASE_URL"

// Main runs the tests of m as [testmain.Run] does and then stops the
// cluster that pgtest started, if any. Use it as:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
func Main(m *testing.M) { MainWith(m) }

// MainWith is [Main] with options for [testmain.RunWith], such as
// testmain.WithRapidChecks.
func MainWith(m *testing.M, opts ...testmain.Option) {
	testmain.RunWith(m, append(opts, testmain.WithCleanup(stop))...)
}

var (
	once    sync.Once
	baseURL string // the server's URL, once known
	setup   error  // why there is no server
	cluster *localCluster
)

// DSN returns the URL of a new, empty schema on the test server, which is
// dropped when t ends. It fails t (CI=true) or skips it when no server can
// be had.
func DSN(t testing.TB) string {
	t.Helper()
	once.Do(func() { baseURL, setup = server() })
	if setup != nil {
		if os.Getenv("CI") == "true" || os.Getenv(EnvURL) != "" {
			t.Fatalf("pgtest: no PostgreSQL for the tests (CI=true or %s set, so this fails): %v", EnvURL, setup)
		}
		t.Skipf("pgtest: no PostgreSQL, skipping (set %s, or install the PostgreSQL server): %v", EnvURL, setup)
	}
	schema := "t_" + strings.ToLower(rand.Text()[:12])
	if err := admin(baseURL, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("pgtest: create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		if err := admin(baseURL, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("pgtest: drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(baseURL)
	if err != nil {
		t.Fatalf("pgtest: %s: %v", EnvURL, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// admin runs one statement on a connection of its own, which it closes:
// pgtest keeps no pool open, so the goroutine leak check stays clean.
func admin(dsn, stmt string) error {
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = db.ExecContext(ctx, stmt)
	return err
}

// server returns the URL of the test server: EnvURL's, or a cluster's that
// it starts.
func server() (string, error) {
	if u := os.Getenv(EnvURL); u != "" {
		if err := admin(u, "SELECT 1"); err != nil {
			return "", fmt.Errorf("%s is set but the server does not answer: %w", EnvURL, redact.New(redact.DSNSecrets(u)...).Error(err))
		}
		return u, nil
	}
	c, err := startCluster()
	if err != nil {
		return "", fmt.Errorf("%s is not set and no cluster could be started: %w", EnvURL, err)
	}
	cluster = c
	return c.url, nil
}

func stop() {
	if cluster != nil {
		cluster.stop()
	}
}

// A localCluster is a PostgreSQL cluster in a temporary directory.
type localCluster struct {
	dir, bin string
	asPG     []string // the command prefix that runs a command as postgres
	port     int
	url      string
	// syncCommit makes a commit wait for its WAL to be written. Without
	// it (the shared cluster, for speed) a crash loses the last commits.
	syncCommit bool
}

// binDir finds the directory of initdb and pg_ctl: the newest under
// /usr/lib/postgresql, or the one on PATH.
func binDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int {
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(a)))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(b)))
		return va - vb
	})
	for _, d := range slices.Backward(dirs) {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	p, err := exec.LookPath("initdb")
	if err != nil {
		return "", errors.New("no initdb under /usr/lib/postgresql/*/bin or on PATH")
	}
	return filepath.Dir(p), nil
}

func startCluster() (*localCluster, error) {
	c, err := initCluster()
	if err != nil {
		return nil, err
	}
	if err := c.start(); err != nil {
		c.remove()
		return nil, err
	}
	return c, nil
}

// initCluster creates a cluster in a new temporary directory and chooses
// a free port for it, without starting it.
func initCluster() (*localCluster, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pricefill-pgtest-")
	if err != nil {
		return nil, err
	}
	c := &localCluster{dir: dir, bin: bin}
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root.
		pg, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("running as root and no postgres user to run the server as: %w", err)
		}
		uid, _ := strconv.Atoi(pg.Uid)
		gid, _ := strconv.Atoi(pg.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		c.asPG = []string{"runuser", "-u", "postgres", "--"}
	}
	if err := c.run("initdb", "-D", filepath.Join(dir, "data"), "-A", "trust", "-U", "postgres", "--no-sync"); err != nil {
		c.remove()
		return nil, err
	}
	if c.port, err = freePort(); err != nil {
		c.remove()
		return nil, err
	}
	c.url = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
	return c, nil
}

// start starts the server on c's port and waits until it takes
// connections (after recovering from a crash, if it was stopped at once).
func (c *localCluster) start() error {
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=%s -c full_page_writes=off -c max_connections=200",
		c.port, c.dir, onOff(c.syncCommit))
	return c.run("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-l", filepath.Join(c.dir, "log"), "-w", "-o", opts, "start")
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func (c *localCluster) run(tool string, args ...string) error {
	argv := append(slices.Clone(c.asPG), append([]string{filepath.Join(c.bin, tool)}, args...)...)
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", tool, err, strings.TrimSpace(string(out)))
	}
	return nil
}

func (c *localCluster) stop() {
	_ = c.halt()
	c.remove()
}

// halt stops the server at once, as a crash would: pg_ctl stop -m
// immediate.
func (c *localCluster) halt() error {
	return c.run("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop")
}

func (c *localCluster) remove() { _ = os.RemoveAll(c.dir) }

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
