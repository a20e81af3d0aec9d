package store_test

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/pricefill/pricefill/internal/pgtest"
	"github.com/pricefill/pricefill/store"
)

func TestWithoutCreatingRefusesANewSQLiteFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	missing := filepath.Join(dir, "mistyped.db")
	if _, err := store.Open(ctx, missing, store.WithoutCreating()); !errors.Is(err, store.ErrNoDatabase) {
		t.Errorf("Open(missing file, WithoutCreating) = %v, want ErrNoDatabase", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open left %s behind (%v)", missing, err)
	}

	foreign := filepath.Join(dir, "foreign.db")
	if err := os.WriteFile(foreign, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Open(ctx, "sqlite:"+foreign, store.WithoutCreating()); !errors.Is(err, store.ErrNoDatabase) {
		t.Errorf("Open(empty file, WithoutCreating) = %v, want ErrNoDatabase", err)
	}

	made := filepath.Join(dir, "backfill.db")
	open(t, made).Close()
	open(t, made, store.WithoutCreating())
}

func TestWithoutCreatingRefusesAPostgresDatabaseWithoutPricefill(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	if _, err := store.Open(ctx, dsn, store.WithoutCreating()); !errors.Is(err, store.ErrNoDatabase) {
		t.Errorf("Open(empty schema, WithoutCreating) = %v, want ErrNoDatabase", err)
	}
	if _, err := store.Open(ctx, dsn, store.WithoutCreating(), store.WithSchema("pricefill_nowhere")); !errors.Is(err, store.ErrNoDatabase) {
		t.Errorf("Open(missing schema, WithoutCreating) = %v, want ErrNoDatabase", err)
	}
	// The refusals created nothing: the schema still holds no table.
	db := open(t, dsn)
	var tables int
	if err := db.SQLX().GetContext(ctx, &tables, `SELECT count(*) FROM pg_tables WHERE schemaname = 'pricefill_nowhere'`); err != nil || tables != 0 {
		t.Errorf("tables in the missing schema: %d, %v; want 0", tables, err)
	}
	open(t, dsn, store.WithoutCreating())

	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/pricefill_no_such_database"
	if _, err := store.Open(ctx, u.String()); !errors.Is(err, store.ErrNoDatabase) {
		t.Errorf("Open(missing database) = %v, want ErrNoDatabase", err)
	}
}

func TestOpenSaysWhenTheServerIsUnreachable(t *testing.T) {
	t.Parallel()
	// A port that was free a moment ago: nothing listens there.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = store.Open(context.Background(), "postgres://u:secret@"+addr+"/db?sslmode=disable")
	if !errors.Is(err, store.ErrUnreachable) {
		t.Errorf("Open(closed port) = %v, want ErrUnreachable", err)
	}
	if errors.Is(err, store.ErrNoDatabase) {
		t.Errorf("Open(closed port) = %v: also ErrNoDatabase", err)
	}
	// A server that answers but refuses the login is not unreachable.
	u, err := url.Parse(pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User("pricefill_no_such_role")
	if _, err := store.Open(ctx, u.String()); err == nil || errors.Is(err, store.ErrUnreachable) {
		t.Errorf("Open(unknown role) = %v, want an error other than ErrUnreachable", err)
	}
}
