package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"strings"
	"syscall"

	"github.com/jmoiron/sqlx"

	"github.com/pricefill/pricefill/store/internal/sqldialect"
)

// sqliteExists returns nil when the SQLite file path exists, and an
// error matching [ErrNoDatabase] when it does not.
func sqliteExists(path string) error {
	_, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%w: the file does not exist", ErrNoDatabase)
	case err != nil:
		return err
	}
	return nil
}

// checkPricefill returns nil when db records pricefill's migrations (of
// any version, the legacy record included), and an error matching
// [ErrNoDatabase] when it holds no pricefill tables.
func checkPricefill(ctx context.Context, db *sqlx.DB, d *sqldialect.Dialect) error {
	cols, err := columns(ctx, db, d, MigrationsTable)
	if err != nil || len(cols) > 0 {
		return err
	}
	ms, err := migrations(d)
	if err != nil {
		return err
	}
	legacy, err := isLegacyRecord(ctx, db, d, ms)
	switch {
	case err != nil:
		return err
	case !legacy:
		return fmt.Errorf("%w: it holds no pricefill tables", ErrNoDatabase)
	}
	return nil
}

// SQLSTATEs of a server that is there but takes no connection now.
var unreachableStates = map[string]bool{
	"57P01": true, // admin_shutdown
	"57P02": true, // crash_shutdown
	"57P03": true, // cannot_connect_now: starting up or shutting down
	"53300": true, // too_many_connections
}

// pingError returns err, the failure of the first connection, matching
// [ErrUnreachable] when the server could not be reached, or
// [ErrNoDatabase] when it says the database does not exist.
func pingError(err error) error {
	var state interface{ SQLState() string }
	if errors.As(err, &state) {
		switch s := state.SQLState(); {
		case s == "3D000": // invalid_catalog_name
			return fmt.Errorf("%w: %w", ErrNoDatabase, err)
		case unreachableStates[s], strings.HasPrefix(s, "08"): // connection_exception
			return fmt.Errorf("%w: %w", ErrUnreachable, err)
		}
		return err
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	return err
}
