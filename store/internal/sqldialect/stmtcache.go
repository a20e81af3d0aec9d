package sqldialect

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// A StmtCache holds a fixed set of statements, prepared once when it is
// made, and runs them and any other statement (unprepared): parsing (and, on PostgreSQL, planning) a statement costs more than
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

// stmt returns query, prepared, on the database, or in tx when tx is not
// nil; or nil when query is not one of the cache's.
func (c *StmtCache) stmt(ctx context.Context, tx *sqlx.Tx, query string) *sqlx.Stmt {
	s, ok := c.m[query]
	if ok && tx != nil {
		s = tx.StmtxContext(ctx, s)
	}
	return s
}

// ext is tx, or the database when tx is nil.
func (c *StmtCache) ext(tx *sqlx.Tx) sqlx.ExtContext {
	if tx != nil {
		return tx
	}
	return c.db
}

// Exec runs query on the database, or in tx when tx is not nil: prepared
// when it is one of the cache's, else as it is.
func (c *StmtCache) Exec(ctx context.Context, tx *sqlx.Tx, query string, args ...any) (sql.Result, error) {
	if s := c.stmt(ctx, tx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return c.ext(tx).ExecContext(ctx, query, args...)
}

// QueryRow runs query as [StmtCache.Exec] does, for its first row.
func (c *StmtCache) QueryRow(ctx context.Context, tx *sqlx.Tx, query string, args ...any) *sqlx.Row {
	if s := c.stmt(ctx, tx, query); s != nil {
		return s.QueryRowxContext(ctx, args...)
	}
	return c.ext(tx).QueryRowxContext(ctx, query, args...)
}

// Query runs query on the database as [StmtCache.Exec] does.
func (c *StmtCache) Query(ctx context.Context, query string, args ...any) (*sqlx.Rows, error) {
	return c.QueryTx(ctx, nil, query, args...)
}

// QueryTx runs query as [StmtCache.Exec] does, in tx when tx is not nil,
// for all its rows.
func (c *StmtCache) QueryTx(ctx context.Context, tx *sqlx.Tx, query string, args ...any) (*sqlx.Rows, error) {
	if s := c.stmt(ctx, tx, query); s != nil {
		return s.QueryxContext(ctx, args...)
	}
	return c.ext(tx).QueryxContext(ctx, query, args...)
}

// Close closes the prepared statements.
func (c *StmtCache) Close() error {
	var errs []error
	for _, s := range c.m {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}
