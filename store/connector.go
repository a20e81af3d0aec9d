package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
)

// A connector opens connections of a registered driver and runs a
// statement on each new one before the pool hands it out. The store uses
// it to create its TEMP staging table on every connection, so that a save
// need not, and statements that read the table can be prepared on any
// connection.
type connector struct {
	base driver.Connector
	init string
}

// newConnector returns a connector to dsn through the driver registered
// as driverName, which runs init on each new connection.
func newConnector(driverName, dsn, init string) (driver.Connector, error) {
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
	return &connector{base: base, init: init}, nil
}

// Connect opens a connection and runs the init statement on it.
func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.base.Connect(ctx)
	if err != nil {
		return nil, err
	}
	if err := execConn(ctx, conn, c.init); err != nil {
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
	_, err = stmt.Exec(nil) //nolint:staticcheck // drivers without ExecerContext have only this
	return err
}

// dsnConnector is the connector of a driver that has none of its own.
type dsnConnector struct {
	drv driver.Driver
	dsn string
}

func (c dsnConnector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }
func (c dsnConnector) Driver() driver.Driver                        { return c.drv }
