package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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
	// engineSeconds, on SQLite, is the time of the same load by the
	// store's own engine, modernc.org/sqlite, in process (see rawEngine);
	// 0 elsewhere.
	engineSeconds float64
}

func (r rawResult) barsPerSecond() float64 { return float64(r.rows) / r.seconds }

// engineBarsPerSecond is the rows over engineSeconds, or 0 without them.
func (r rawResult) engineBarsPerSecond() float64 {
	if r.engineSeconds == 0 {
		return 0
	}
	return float64(r.rows) / r.engineSeconds
}

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
	if res.engineSeconds > 0 {
		var engine int64
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM `+rawTable+`_engine`).Scan(&engine); err != nil || engine != stored {
			return res, fmt.Errorf("raw load by modernc.org/sqlite: %d rows loaded (%v), want the %d of prices", engine, err, stored)
		}
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
	if err != nil {
		return res, err
	}
	ed, err := rawEngine(ctx, path, csv, create)
	res.engineSeconds = ed.Seconds()
	return res, err
}

// engineRows is the number of rows of one INSERT of rawEngine: the
// store's own (see store/internal/sqldialect).
const engineRows = 256

// rawEngine loads csv, as rawSQLite wrote it, into a new table of prices'
// schema (create is its definition after the name) with modernc.org/sqlite
// in this process, as fast as that engine goes: the connection set up as
// the store's (WAL, synchronous=NORMAL, foreign keys on), one transaction,
// a prepared INSERT of engineRows rows at a time. It returns the time from
// opening the database to the commit, the CSV read and parsed included,
// as sqlite3's .import reads and parses its own.
func rawEngine(ctx context.Context, path, csvPath, create string) (time.Duration, error) {
	const table = rawTable + "_engine"
	start := time.Now()
	db, err := sql.Open("sqlite", path+"?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `CREATE TABLE `+table+create); err != nil {
		return 0, err
	}
	f, err := os.Open(csvPath)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReaderSize(f, 1<<20))
	r.ReuseRecord = true
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	insert := func(rows int) (*sql.Stmt, error) {
		values := strings.TrimSuffix(strings.Repeat("(?,?,?,?,?,?,?,?,?),", rows), ",")
		return tx.PrepareContext(ctx, `INSERT INTO `+table+` VALUES `+values)
	}
	full, err := insert(engineRows)
	if err != nil {
		return 0, err
	}
	args := make([]any, 0, 9*engineRows)
	flush := func(stmt *sql.Stmt) error {
		_, err := stmt.ExecContext(ctx, args...)
		args = args[:0]
		return err
	}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, err
		}
		if args, err = appendRow(args, rec); err != nil {
			return 0, err
		}
		if len(args) == cap(args) {
			if err := flush(full); err != nil {
				return 0, err
			}
		}
	}
	if len(args) > 0 {
		last, err := insert(len(args) / 9)
		if err != nil {
			return 0, err
		}
		if err := flush(last); err != nil {
			return 0, err
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// appendRow appends the values of one CSV row of prices (asset_id, date,
// open, high, low, close, adj_close, volume, source) to args, typed as the
// STRICT table wants them: an empty field is NULL.
func appendRow(args []any, rec []string) ([]any, error) {
	if len(rec) != 9 {
		return args, fmt.Errorf("a row of %d fields, want 9", len(rec))
	}
	for i, f := range rec {
		switch {
		case f == "":
			args = append(args, nil)
		case i == 0 || i == 7:
			n, err := strconv.ParseInt(f, 10, 64)
			if err != nil {
				return args, err
			}
			args = append(args, n)
		case i == 1 || i == 8:
			args = append(args, strings.Clone(f))
		default:
			x, err := strconv.ParseFloat(f, 64)
			if err != nil {
				return args, err
			}
			args = append(args, x)
		}
	}
	return args, nil
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
