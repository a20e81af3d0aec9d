package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"
	"modernc.org/sqlite"

	"github.com/pricefill/pricefill/store/internal/sqldialect"
)

// A connector opens connections of a registered driver and sets up each
// new one before the pool hands it out. The SQLite store uses it to turn
// WAL on and to create its TEMP staging table on every connection, so that
// a save need not, and statements that read the table can be prepared on
// any connection; a PostgreSQL store of [WithSchema], to set the
// connection's search_path.
type connector struct {
	base driver.Connector
	init func(ctx context.Context, conn driver.Conn) error
}

// newConnector returns a connector to dsn through the driver registered
// as driverName, which runs init, unless it is nil, on each new connection.
func newConnector(driverName, dsn string, init func(context.Context, driver.Conn) error) (driver.Connector, error) {
	db, err := sql.Open(driverName, "") // only to reach the registered driver
	if err != nil {
		return nil, err
	}
	drv := db.Driver()
	_ = db.Close()
	var base driver.Connector
	if dc, ok := drv.(driver.DriverContext); ok {
		if base, err = dc.OpenConnector(dsn); err != nil {
			return nil, err
		}
	} else {
		base = dsnConnector{drv: drv, dsn: dsn}
	}
	if init == nil {
		return base, nil
	}
	return &connector{base: base, init: init}, nil
}

// Connect opens a connection and runs init on it.
func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.base.Connect(ctx)
	if err != nil {
		return nil, err
	}
	if err := c.init(ctx, conn); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("set up a new connection: %w", err)
	}
	return conn, nil
}

// Driver returns the underlying driver.
func (c *connector) Driver() driver.Driver { return c.base.Driver() }

func execConn(ctx context.Context, conn driver.Conn, query string) error {
	if ex, ok := conn.(driver.ExecerContext); ok {
		_, err := ex.ExecContext(ctx, query, nil)
		return err
	}
	stmt, err := conn.Prepare(query)
	if err != nil {
		return err
	}
	defer stmt.Close()
	//lint:ignore SA1019 drivers without ExecerContext have only this
	_, err = stmt.Exec(nil)
	return err
}

// dsnConnector is the connector of a driver that has none of its own.
type dsnConnector struct {
	drv driver.Driver
	dsn string
}

func (c dsnConnector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }
func (c dsnConnector) Driver() driver.Driver                        { return c.drv }

// sqliteBusyCode is SQLite's SQLITE_BUSY, the low byte of its extended codes.
const sqliteBusyCode = 5

// sqliteSetup returns the set-up of a new SQLite connection: WAL mode
// (unless wal is false: the DSN chose a journal mode) and the staging
// table. Setting WAL mode needs the database to itself, and SQLite refuses
// at once, without waiting out the busy timeout, when another process is
// opening the same new file; so it retries for up to busyTimeout.
func sqliteSetup(wal bool, staging string, busyTimeout time.Duration) func(context.Context, driver.Conn) error {
	return func(ctx context.Context, conn driver.Conn) error {
		if wal {
			deadline := time.Now().Add(busyTimeout)
			for wait := time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
				err := execConn(ctx, conn, "PRAGMA journal_mode=WAL")
				var se *sqlite.Error
				if err == nil || !errors.As(err, &se) || se.Code()&0xff != sqliteBusyCode || time.Now().After(deadline) {
					if err != nil {
						return fmt.Errorf("turn WAL on: %w", err)
					}
					break
				}
				t := time.NewTimer(wait)
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
					return ctx.Err()
				}
			}
		}
		if err := execConn(ctx, conn, staging); err != nil {
			return fmt.Errorf("create %s: %w", sqldialect.StagingTable, err)
		}
		return nil
	}
}

// postgresSetup returns the set-up of a new PostgreSQL connection of a
// store of [WithSchema]: its search_path is schema alone, so that the
// store's statements, which name tables without a schema, find the
// schema's tables and create theirs there. The schema need not exist yet.
func postgresSetup(schema string) func(context.Context, driver.Conn) error {
	set := "SET search_path TO " + pq.QuoteIdentifier(schema)
	return func(ctx context.Context, conn driver.Conn) error {
		if err := execConn(ctx, conn, set); err != nil {
			return fmt.Errorf("set search_path: %w", err)
		}
		return nil
	}
}
