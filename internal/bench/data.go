package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	_ "github.com/lib/pq"  // the "postgres" driver, to count rows
	_ "modernc.org/sqlite" // the "sqlite" driver, for the baseline and to count rows

	"github.com/pricefill/pricefill/backfill/universe"
	"github.com/pricefill/pricefill/queue"
)

// dialects are the databases the ingest and faults experiments run on, by
// their database/sql driver names.
var dialects = []string{"sqlite", "postgres"}

// skipped says why a run on dialect does not happen: "" when it does.
// PostgreSQL needs -pg.
func skipped(dialect, pgURL string) string {
	if dialect == "postgres" && pgURL == "" {
		return "skipped: no -pg"
	}
	return ""
}

// newDatabase returns the DSN of a new, empty database of dialect: the
// SQLite file sqlitePath, or a schema of its own on the PostgreSQL server
// of pgURL; and a function that drops the schema (and tells stderr if it
// cannot). The SQLite file goes with its directory.
func newDatabase(ctx context.Context, dialect, sqlitePath, pgURL string, stderr io.Writer) (string, func(), error) {
	switch dialect {
	case "sqlite":
		return sqlitePath, func() {}, nil
	case "postgres":
		dsn, drop, err := newSchema(ctx, pgURL)
		if err != nil {
			return "", nil, err
		}
		return dsn, func() {
			if err := drop(); err != nil {
				fmt.Fprintln(stderr, "bench: dropping the schema:", err)
			}
		}, nil
	}
	return "", nil, fmt.Errorf("unknown database %q (want sqlite or postgres)", dialect)
}

// newSchema creates an empty schema on the server of base and returns a
// URL whose search_path is that schema, and a function that drops it.
func newSchema(ctx context.Context, base string) (string, func() error, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", nil, fmt.Errorf("-pg: %w", err)
	}
	schema := "bench_" + strings.ToLower(rand.Text()[:12])
	admin := func(stmt string) error {
		db, err := sql.Open("postgres", base)
		if err != nil {
			return err
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_, err = db.ExecContext(ctx, stmt)
		return err
	}
	if err := admin("CREATE SCHEMA " + schema); err != nil {
		return "", nil, fmt.Errorf("-pg %s: create schema: %w", u.Redacted(), err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), func() error { return admin("DROP SCHEMA " + schema + " CASCADE") }, nil
}

// benchSymbols returns n symbols: the S&P 500's, in the order of its list,
// then made-up ones (SYN0504, …) beyond its 503.
func benchSymbols(n int) []string {
	out := universe.SP500().Tickers()
	if len(out) >= n {
		return out[:n]
	}
	for i := len(out); i < n; i++ {
		out = append(out, fmt.Sprintf("SYN%04d", i+1))
	}
	return out
}

// countPrices counts the rows of prices in the database that driver and
// dsn name, on a connection of its own.
func countPrices(ctx context.Context, driver, dsn string) (int64, error) {
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var n int64
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM prices`).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting the stored bars: %w", err)
	}
	return n, nil
}

// A taskRow is a task as the database holds it.
type taskRow struct {
	Status   queue.Status
	Attempts int
	Inserted int64 // records_inserted
}

// snapshotTasks returns the tasks of the database that driver and dsn
// name, by symbol, read on a connection of its own.
func snapshotTasks(ctx context.Context, driver, dsn string) (map[string]taskRow, error) {
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT symbol, status, attempts, records_inserted FROM backfill_queue`)
	if err != nil {
		return nil, fmt.Errorf("reading the queue: %w", err)
	}
	defer rows.Close()
	out := map[string]taskRow{}
	for rows.Next() {
		var (
			sym string
			r   taskRow
		)
		if err := rows.Scan(&sym, &r.Status, &r.Attempts, &r.Inserted); err != nil {
			return nil, fmt.Errorf("reading the queue: %w", err)
		}
		out[sym] = r
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading the queue: %w", err)
	}
	return out, nil
}
