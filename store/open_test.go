package store_test

import (
	"errors"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pricefill/pricefill/internal/pgtest"
	"github.com/pricefill/pricefill/store"
)

func TestOpenSQLiteForms(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, dsn := range []string{
		filepath.Join(dir, "plain.db"),
		"sqlite:" + filepath.Join(dir, "prefixed.db"),
		"sqlite://" + filepath.Join(dir, "slashes.db"),
		filepath.Join(dir, "params.db") + "?_pragma=cache_size(-4000)",
	} {
		db := open(t, dsn)
		if db.Dialect() != "sqlite" {
			t.Errorf("Open(%q) dialect %s, want sqlite", dsn, db.Dialect())
		}
		var mode string
		var fk int
		if err := db.SQLX().GetContext(ctx, &mode, `PRAGMA journal_mode`); err != nil || mode != "wal" {
			t.Errorf("Open(%q): journal_mode %q, %v; want wal", dsn, mode, err)
		}
		if err := db.SQLX().GetContext(ctx, &fk, `PRAGMA foreign_keys`); err != nil || fk != 1 {
			t.Errorf("Open(%q): foreign_keys %d, %v; want 1", dsn, fk, err)
		}
	}
}

func TestOpenErrorsHideThePassword(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-pw"
	for _, dsn := range []string{
		"postgres://alice:" + secret + "@127.0.0.1:1/db?sslmode=disable&connect_timeout=2",
		"postgresql://alice:" + secret + "@127.0.0.1:1/db?sslmode=bogus",
		"postgres://alice:" + secret + "%zz@127.0.0.1/db",
		"mysql://alice:" + secret + "@127.0.0.1/db",
	} {
		db, err := store.Open(ctx, dsn)
		if err == nil {
			db.Close()
			t.Errorf("Open(%q) succeeded, want an error", dsn)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("Open error shows the password: %v", err)
		}
		if !strings.Contains(err.Error(), "alice") {
			t.Errorf("Open error does not name the database: %v", err)
		}
	}
}

func TestOpenRejectsBadOptions(t *testing.T) {
	t.Parallel()
	if db, err := store.Open(ctx, filepath.Join(t.TempDir(), "x.db"), store.WithMaxOpenConns(-1)); err == nil {
		db.Close()
		t.Errorf("WithMaxOpenConns(-1) accepted")
	}
}

// withPassword returns the PostgreSQL URL u with password in its userinfo.
func withPassword(t *testing.T, u, password string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	p.User = url.UserPassword(p.User.Username(), password)
	return p.String()
}

// noFileNamed fails t when the DSN dsn became a file in the working
// directory (or wherever a path dsn points).
func noFileNamed(t *testing.T, dsn string) {
	t.Helper()
	if _, err := os.Stat(dsn); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open(%q) left a file of that name (%v)", dsn, err)
		os.Remove(dsn)
	}
}

// TestOpenDSNForms: each form of DSN opens the database it names, with
// the dialect it says, and shows itself with its secrets hidden; the
// PostgreSQL ones keep their search_path.
func TestOpenDSNForms(t *testing.T) {
	t.Parallel()
	const secret = "hunter2-store"
	dir := t.TempDir()
	tests := []struct {
		name    string
		dsn     func(t *testing.T) string
		dialect string
		// shown is what String says, from the DSN.
		shown func(dsn string) string
	}{
		{"sqlite path", func(*testing.T) string { return filepath.Join(dir, "plain.db") }, "sqlite",
			func(dsn string) string { return dsn }},
		{"sqlite: prefix", func(*testing.T) string { return "sqlite:" + filepath.Join(dir, "prefixed.db") }, "sqlite",
			func(dsn string) string { return dsn }},
		{"URL with a password", func(t *testing.T) string { return withPassword(t, pgtest.DSN(t), secret) }, "postgres",
			func(dsn string) string { return strings.Replace(dsn, ":"+secret+"@", ":[REDACTED]@", 1) }},
		{"URL with ?password=", func(t *testing.T) string { return pgtest.DSN(t) + "&password=" + secret }, "postgres",
			func(dsn string) string { return strings.Replace(dsn, "password="+secret, "password=[REDACTED]", 1) }},
		{"key=value words", func(t *testing.T) string { return pgtest.KeyValueDSN(t, pgtest.DSN(t), secret) }, "postgres",
			func(dsn string) string { return strings.Replace(dsn, "password="+secret, "password=[REDACTED]", 1) }},
		{"key=value words, quoted, spaced", func(t *testing.T) string {
			return "  " + strings.Replace(pgtest.KeyValueDSN(t, pgtest.DSN(t), secret), "password="+secret, "password = '"+secret+" \\x'", 1)
		}, "postgres", func(dsn string) string {
			return strings.Replace(strings.TrimSpace(dsn), "password = '"+secret+" \\x'", "password=[REDACTED]", 1)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dsn := tc.dsn(t)
			db := open(t, dsn)
			if db.Dialect() != tc.dialect {
				t.Errorf("Open(%q): dialect %s, want %s", dsn, db.Dialect(), tc.dialect)
			}
			if got, want := db.String(), tc.shown(dsn); got != want {
				t.Errorf("String() = %q, want %q", got, want)
			}
			if strings.Contains(db.String(), secret) {
				t.Errorf("String() = %q shows the password", db.String())
			}
			if tc.dialect == "postgres" {
				noFileNamed(t, dsn)
				var schema string
				if err := db.SQLX().GetContext(ctx, &schema, `SELECT current_schema()`); err != nil || !strings.HasPrefix(schema, "t_") || !strings.Contains(dsn, "search_path="+schema) {
					t.Errorf("current_schema() = %q, %v; want the search_path of %q", schema, err, dsn)
				}
				if got := idleTimeout(t, db); got != "30s" {
					t.Errorf("idle_in_transaction_session_timeout = %s, want 30s (PostgresIdleInTransactionTimeout)", got)
				}
			}
		})
	}
}

// idleTimeout returns the session's idle_in_transaction_session_timeout.
func idleTimeout(t *testing.T, db *store.DB) string {
	t.Helper()
	var s string
	if err := db.SQLX().GetContext(ctx, &s, `SHOW idle_in_transaction_session_timeout`); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestOpenKeepsTheDSNsIdleTimeout: a DSN that sets the idle-in-transaction
// timeout itself keeps its value, in both PostgreSQL forms.
func TestOpenKeepsTheDSNsIdleTimeout(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, want string
		dsn        func(t *testing.T) string
	}{
		{"URL", "5s", func(t *testing.T) string { return pgtest.DSN(t) + "&idle_in_transaction_session_timeout=5000" }},
		{"key=value words", "7s", func(t *testing.T) string {
			return pgtest.KeyValueDSN(t, pgtest.DSN(t), "x") + " idle_in_transaction_session_timeout=7000"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := idleTimeout(t, open(t, tc.dsn(t))); got != tc.want {
				t.Errorf("idle_in_transaction_session_timeout = %s, want the DSN's %s", got, tc.want)
			}
		})
	}
}

// TestOpenKeyValueNeverAFile: what looks like key=value words is never
// taken for an SQLite file, even when it does not parse or names no
// server that answers; the error names no part of the password.
func TestOpenKeyValueNeverAFile(t *testing.T) {
	t.Parallel()
	const secret = "hunter2-file"
	for _, tc := range []struct{ dsn, want string }{
		{"host=127.0.0.1 port=1 user=u password=" + secret + " dbname=x sslmode=disable connect_timeout=2", "dial tcp 127.0.0.1:1"},
		{"host=127.0.0.1 password=hun ter2-file dbname=x", `word 3 has no "="`},
		{"host=127.0.0.1 password='" + secret, "the value of word 2 (password) has no closing quote"},
		{"prices.db password=" + secret, `word 1 has no "="`},
	} {
		db, err := store.Open(ctx, tc.dsn)
		if err == nil {
			db.Close()
			t.Errorf("Open(%q) succeeded, want an error", tc.dsn)
			continue
		}
		noFileNamed(t, tc.dsn)
		msg := err.Error()
		if !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") {
			t.Errorf("Open(%q) = %q, want one line saying %q", tc.dsn, msg, tc.want)
		}
		for _, part := range []string{secret, "hun", "ter2"} {
			if strings.Contains(msg, part) {
				t.Errorf("Open(%q) = %q: it shows %q, a part of the password", tc.dsn, msg, part)
			}
		}
	}
}
