package store_test

import (
	"path/filepath"
	"strings"
	"testing"

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
