package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// rawTable is the table a raw load fills, next to prices.
const rawTable = "raw_prices"

// rawResult is one raw load: the database's own bulk loader filling a
// new table of prices' schema with the bars a child stored.
type rawResult struct {
	rows    int64
	seconds float64
	// tool is what loaded them, as the report names it.
	tool string
}

func (r rawResult) barsPerSecond() float64 { return float64(r.rows) / r.seconds }

// rawLoad exports the prices the child stored in the database of dsn to a
// CSV file in dir, makes a table of prices' schema (its primary key,
// checks and foreign key to assets; on SQLite STRICT and WITHOUT ROWID, as
// prices) and times the load of the file into it by the database's own
// tool, run as a process: psql's \copy (one COPY FROM STDIN) or sqlite3's
// .import --csv (one transaction, foreign keys on). Only the load is
// timed, the tool's start and connection included. It needs psql or
// sqlite3 on the PATH.
func rawLoad(ctx context.Context, dialect, dsn, dir string) (rawResult, error) {
	csv := filepath.Join(dir, "raw-prices.csv")
	defer os.Remove(csv)
	var res rawResult
	var err error
	switch dialect {
	case "postgres":
		res, err = rawPostgres(ctx, dsn, csv)
	case "sqlite":
		res, err = rawSQLite(ctx, dsn, csv)
	default:
		return res, fmt.Errorf("unknown database %q", dialect)
	}
	if err != nil {
		return res, fmt.Errorf("raw load (%s): %w", res.tool, err)
	}
	db, err := sql.Open(dialect, dsn)
	if err != nil {
		return res, err
	}
	defer db.Close()
	var stored int64
	if err := db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM `+rawTable+`), (SELECT count(*) FROM prices)`).Scan(&res.rows, &stored); err != nil {
		return res, fmt.Errorf("raw load: counting the rows: %w", err)
	}
	if res.rows != stored || res.rows == 0 {
		return res, fmt.Errorf("raw load: %d rows loaded, want the %d of prices", res.rows, stored)
	}
	return res, nil
}

// rawPostgres loads csv with psql on the schema of dsn's search_path.
func rawPostgres(ctx context.Context, dsn, csv string) (rawResult, error) {
	res := rawResult{tool: "psql \\copy"}
	u, err := url.Parse(dsn)
	if err != nil {
		return res, err
	}
	q := u.Query()
	schema := q.Get("search_path")
	q.Del("search_path") // libpq does not know it; PGOPTIONS sets it
	u.RawQuery = q.Encode()
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return res, err
	}
	defer db.Close()
	for _, stmt := range []string{
		`CREATE TABLE ` + rawTable + ` (LIKE prices INCLUDING ALL)`, // keys, checks, defaults
		`ALTER TABLE ` + rawTable + ` ADD FOREIGN KEY (asset_id) REFERENCES assets (id)`,
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return res, err
		}
	}
	psql := func(command string) (time.Duration, error) {
		cmd := exec.CommandContext(ctx, "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", u.String(), "-c", command)
		cmd.Env = append(os.Environ(), "PGOPTIONS=-c search_path="+schema)
		return runTool(cmd)
	}
	cols := "asset_id, date, open, high, low, close, adj_close, volume, source"
	if _, err := psql(`\copy (SELECT ` + cols + ` FROM prices) TO '` + csv + `' CSV`); err != nil {
		return res, err
	}
	d, err := psql(`\copy ` + rawTable + ` (` + cols + `) FROM '` + csv + `' CSV`)
	res.seconds = d.Seconds()
	return res, err
}

// rawSQLite loads csv with sqlite3 into the database file path.
func rawSQLite(ctx context.Context, path, csv string) (rawResult, error) {
	res := rawResult{tool: "sqlite3 .import"}
	sqlite3 := func(script string) (time.Duration, error) {
		cmd := exec.CommandContext(ctx, "sqlite3", "-batch", "-bail", path)
		cmd.Stdin = strings.NewReader(script)
		return runTool(cmd)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return res, err
	}
	var ddl string
	err = db.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'prices'`).Scan(&ddl)
	_ = db.Close()
	if err != nil {
		return res, fmt.Errorf("the schema of prices: %w", err)
	}
	create, ok := strings.CutPrefix(ddl, "CREATE TABLE prices")
	if !ok {
		return res, fmt.Errorf("the schema of prices: unexpected %.40q", ddl)
	}
	if _, err := sqlite3("CREATE TABLE " + rawTable + create + ";\n.mode csv\n.once " + csv + "\nSELECT * FROM prices;\n"); err != nil {
		return res, err
	}
	d, err := sqlite3("PRAGMA foreign_keys = ON;\n.import --csv " + csv + " " + rawTable + "\n")
	res.seconds = d.Seconds()
	return res, err
}

// runTool runs cmd and returns its wall time, or an error with what it
// wrote to stderr.
func runTool(cmd *exec.Cmd) (time.Duration, error) {
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err == nil && stderr.Len() > 0 { // sqlite3 -bail reports some errors only there
		err = errors.New("it wrote to stderr")
	}
	if err != nil {
		return d, fmt.Errorf("%s: %w: %s", filepath.Base(cmd.Path), err, strings.TrimSpace(stderr.String()))
	}
	return d, nil
}
