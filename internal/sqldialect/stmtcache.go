package sqldialect

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// A StmtCache holds a fixed set of statements, prepared once when it is
// made: parsing (and, on PostgreSQL, planning) a statement costs more than
// running the small ones of the queue and the store. database/sql prepares
// a statement again on each further connection that runs it, and a
// transaction reuses the one of its connection.
//
// The statements are prepared up front, never lazily: on SQLite the
// database has one connection, and preparing on the database from inside
// a transaction would wait for that connection forever. It is safe for
// concurrent use.
type StmtCache struct {
	db *sqlx.DB
	m  map[string]*sqlx.Stmt
}

// NewStmtCache prepares queries on db.
func NewStmtCache(ctx context.Context, db *sqlx.DB, queries ...string) (*StmtCache, error) {
	c := &StmtCache{db: db, m: make(map[string]*sqlx.Stmt, len(queries))}
	for _, q := range queries {
		if _, ok := c.m[q]; ok {
			continue
		}
		s, err := db.PreparexContext(ctx, q)
		if err != nil {
			_ = c.Close()
			return nil, fmt.Errorf("prepare %.60q…: %w", q, err)
		}
		c.m[q] = s
	}
	return c, nil
}

// Stmt returns query, prepared, on the database, or in tx when tx is not
// nil.
func (c *StmtCache) Stmt(ctx context.Context, tx *sqlx.Tx, query string) (*sqlx.Stmt, error) {
	s, ok := c.m[query]
	if !ok {
		return nil, fmt.Errorf("statement %.60q… was not prepared", query)
	}
	if tx != nil {
		s = tx.StmtxContext(ctx, s)
	}
	return s, nil
}

// Exec runs query on the database, or in tx when tx is not nil.
func (c *StmtCache) Exec(ctx context.Context, tx *sqlx.Tx, query string, args ...any) (sql.Result, error) {
	s, err := c.Stmt(ctx, tx, query)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(ctx, args...)
}

// QueryRow runs query on the database, or in tx when tx is not nil, for
// its first row.
func (c *StmtCache) QueryRow(ctx context.Context, tx *sqlx.Tx, query string, args ...any) Row {
	s, err := c.Stmt(ctx, tx, query)
	if err != nil {
		return errRow{err}
	}
	return s.QueryRowxContext(ctx, args...)
}

// Query runs query on the database.
func (c *StmtCache) Query(ctx context.Context, query string, args ...any) (*sqlx.Rows, error) {
	s, err := c.Stmt(ctx, nil, query)
	if err != nil {
		return nil, err
	}
	return s.QueryxContext(ctx, args...)
}

// Close closes the prepared statements.
func (c *StmtCache) Close() error {
	var errs []error
	for _, s := range c.m {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}

// A Row is the row of [StmtCache.QueryRow]: an *sqlx.Row, or the error
// that kept the query from running.
type Row interface {
	Scan(dest ...any) error
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }
