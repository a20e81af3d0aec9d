// Package sqldialect is the one place where the SQL of PostgreSQL and of
// SQLite differ, for the prices, holes, queue and budgets of package store.
//
// Statements are written once, in PostgreSQL's form with numbered
// parameters ($1, $2, …), and [Dialect.Rebind] turns them into SQLite's
// (?1, ?2, …). What cannot be written once is a method of [Dialect]: a set
// of IDs as a parameter, the lock that
// serializes migrations, and how a save hands its bars and holes to SQL. Times and
// dates travel as text in both (see codec.go), which each database reads
// into its own column types.
package sqldialect

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/pricefill/pricefill"
)

// A Dialect holds what one database does its own way. Compare dialects by
// Name, or with the values [Postgres] and [SQLite].
type Dialect struct {
	// Name is "postgres" or "sqlite", as migrations' folders are named.
	Name string
	// Driver is the database/sql driver name: "postgres" (lib/pq) or
	// "sqlite" (modernc.org/sqlite).
	Driver string
}

// The dialects.
var (
	Postgres = &Dialect{Name: "postgres", Driver: "postgres"}
	SQLite   = &Dialect{Name: "sqlite", Driver: "sqlite"}
)

// IsPostgres reports whether d is PostgreSQL.
func (d *Dialect) IsPostgres() bool { return d.Name == Postgres.Name }

// Rebind turns the numbered parameters $1, $2, … of query into the
// dialect's: unchanged on PostgreSQL, ?1, ?2, … on SQLite, where a number
// may be used more than once, as in PostgreSQL. Statements must not hold a
// $ followed by a digit anywhere else (in a string literal, say).
func (d *Dialect) Rebind(query string) string {
	if d.IsPostgres() {
		return query
	}
	var b strings.Builder
	b.Grow(len(query))
	for i := 0; i < len(query); i++ {
		c := query[i]
		if c == '$' && i+1 < len(query) && query[i+1] >= '0' && query[i+1] <= '9' {
			c = '?'
		}
		b.WriteByte(c)
	}
	return b.String()
}

// InIDs returns a condition that column is one of the IDs in parameter
// number param, which takes the value of [Dialect.IDs].
func (d *Dialect) InIDs(column string, param int) string {
	p := strconv.Itoa(param)
	if d.IsPostgres() {
		return column + " = ANY($" + p + "::bigint[])"
	}
	return column + " IN (SELECT value FROM json_each($" + p + "))"
}

// IDs encodes ids as the parameter of an [Dialect.InIDs] condition: an
// array literal on PostgreSQL, a JSON array on SQLite. Neither driver needs
// an array type of its own for it.
func (d *Dialect) IDs(ids []int64) string {
	open, closing := byte('['), byte(']')
	if d.IsPostgres() {
		open, closing = '{', '}'
	}
	b := make([]byte, 0, 2+8*len(ids))
	b = append(b, open)
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(append(b, closing))
}

// TimeType is the column type of a time: timestamptz on PostgreSQL, TEXT
// in [TimeLayout] on SQLite.
func (d *Dialect) TimeType() string {
	if d.IsPostgres() {
		return "timestamptz"
	}
	return "TEXT"
}

// TimeOrClock returns an expression for the time in parameter number
// param: on PostgreSQL, when the parameter is NULL, the database's own
// clock instead (clock_timestamp(), read where the expression is
// evaluated, so that machines whose clocks disagree keep one time). SQLite
// has no clock in [TimeLayout]: there the parameter must hold a time.
func (d *Dialect) TimeOrClock(param int) string {
	p := "$" + strconv.Itoa(param)
	if d.IsPostgres() {
		return "coalesce(" + p + ", clock_timestamp())"
	}
	return p
}

// migrationLockKey is the first key of the advisory lock taken by
// migrations on PostgreSQL ("pfmg").
const migrationLockKey = 0x70666d67

// LockMigrations is the statement that starts a migration's transaction
// and holds off other processes migrating the same schema until it ends,
// or "" when the transaction itself does. On PostgreSQL it is a
// transaction-scoped advisory lock keyed by the current schema; SQLite
// begins every write transaction IMMEDIATE (see the store's DSN), which
// takes the database's one write lock at once.
func (d *Dialect) LockMigrations() string {
	if d.IsPostgres() {
		return fmt.Sprintf("SELECT pg_advisory_xact_lock(%d, hashtext(current_schema()))", migrationLockKey)
	}
	return ""
}

// How a save hands its bars to the statements that merge them into
// prices: as a relation named s with the columns of [BarColumns], which
// [Dialect.BarsSource] names and [Dialect.LoadBars] and [Dialect.BarsArgs]
// fill. On PostgreSQL it is unnest() over eight array parameters: one
// statement carries all the bars, in one round trip, with no temporary
// table to create or truncate (measured faster than COPY into a temporary
// table; see store/BENCHMARKS.md). On SQLite it is a TEMP table that
// prepared multi-row INSERTs load first: binding each float64 keeps it
// exact, where SQLite's own parsing of numbers in text need not.

// BarColumns are the columns of the bars relation, in order.
const BarColumns = "date, open, high, low, close, adj_close, volume, source"

// StagingTable is the SQLite TEMP table of bars.
const StagingTable = "prices_staging"

// CreateStaging returns the statement that creates the staging table of a
// connection unless it exists, or "" when the dialect needs none.
func (d *Dialect) CreateStaging() string {
	if d.IsPostgres() {
		return ""
	}
	return `CREATE TEMP TABLE IF NOT EXISTS ` + StagingTable + ` (
	date TEXT NOT NULL, open REAL NOT NULL, high REAL NOT NULL, low REAL NOT NULL,
	close REAL NOT NULL, adj_close REAL, volume INTEGER NOT NULL, source TEXT NOT NULL
)`
}

// ClearStaging returns the statement that empties the staging table at
// the end of a save, or "" when there is none.
func (d *Dialect) ClearStaging() string {
	if d.IsPostgres() {
		return ""
	}
	return "DELETE FROM " + StagingTable
}

// BarsSource returns the bars as a relation s, for a FROM clause, whose
// parameters (if any) are numbered from first on.
func (d *Dialect) BarsSource(first int) string {
	if !d.IsPostgres() {
		return StagingTable + " AS s"
	}
	p := func(i int, typ string) string { return "$" + strconv.Itoa(first+i) + "::" + typ + "[]" }
	return "unnest(" + p(0, "date") + ", " + p(1, "float8") + ", " + p(2, "float8") + ", " + p(3, "float8") + ", " +
		p(4, "float8") + ", " + p(5, "float8") + ", " + p(6, "bigint") + ", " + p(7, "text") + ") AS s(" + BarColumns + ")"
}

// BarsArgs returns the parameters of [Dialect.BarsSource] for bars: eight
// array literals on PostgreSQL (floats in their shortest exact form), none
// on SQLite.
func (d *Dialect) BarsArgs(bars []pricefill.Bar) []any {
	if !d.IsPostgres() {
		return nil
	}
	cols := make([][]byte, 8)
	for i := range cols {
		cols[i] = append(make([]byte, 0, 16*len(bars)+2), '{')
	}
	for j, b := range bars {
		if j > 0 {
			for i := range cols {
				cols[i] = append(cols[i], ',')
			}
		}
		cols[0] = b.Date.AppendFormat(cols[0], pricefill.DateLayout)
		for i, v := range [...]float64{b.Open, b.High, b.Low, b.Close} {
			cols[1+i] = strconv.AppendFloat(cols[1+i], v, 'g', -1, 64)
		}
		if b.AdjClose == 0 {
			cols[5] = append(cols[5], "NULL"...)
		} else {
			cols[5] = strconv.AppendFloat(cols[5], b.AdjClose, 'g', -1, 64)
		}
		cols[6] = strconv.AppendInt(cols[6], b.Volume, 10)
		cols[7] = appendArrayString(cols[7], b.Source)
	}
	args := make([]any, len(cols))
	for i := range cols {
		args[i] = string(append(cols[i], '}'))
	}
	return args
}

// appendArrayString appends s to an array literal, quoted, with " and \
// escaped.
func appendArrayString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b = append(b, '\\')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

// stagingChunks are the numbers of rows of the multi-row INSERTs that load
// the staging table on SQLite, largest first: a load of n bars runs the
// largest that fit, then smaller ones for the rest, at most three of each
// size below the largest. Each is prepared once (see [StmtCache]), since
// parsing an INSERT of hundreds of rows costs more than running it. At 8
// parameters a row, the largest stays far below SQLite's limit of 32,766.
var stagingChunks = []int{256, 64, 16, 4, 1}

// stagingInsert loads bars into the staging table on SQLite.
var stagingInsert = rowsInsert{into: StagingTable, head: "INSERT INTO " + StagingTable + " (" + BarColumns + ") VALUES ", columns: 8}

// StagingInserts returns the statements [Dialect.LoadBars] runs, for a
// [StmtCache] to prepare.
func (d *Dialect) StagingInserts() []string {
	if d.IsPostgres() {
		return nil
	}
	return stagingInsert.statements()
}

// LoadBars loads bars into the staging table in tx, on SQLite, with the
// multi-row INSERTs prepared in cache; on PostgreSQL, where the bars are
// parameters of the statements themselves, it does nothing.
func (d *Dialect) LoadBars(ctx context.Context, tx *sqlx.Tx, cache *StmtCache, bars []pricefill.Bar) error {
	if d.IsPostgres() {
		return nil
	}
	_, err := stagingInsert.run(ctx, tx, cache, bars, func(args []any, b pricefill.Bar) []any {
		return append(args, FormatDate(b.Date), b.Open, b.High, b.Low, b.Close, adjClose(b.AdjClose), b.Volume, b.Source)
	})
	return err
}

// A rowsInsert is a multi-row INSERT of bars on SQLite, run in chunks of
// the sizes of stagingChunks.
type rowsInsert struct {
	into    string // the table, for errors
	head    string // the statement up to its rows
	columns int    // the parameters of a row, all anonymous
	tail    string // what follows the rows
}

// sql returns the statement of rows rows.
func (ri rowsInsert) sql(rows int) string {
	row := "(" + strings.Repeat("?,", ri.columns-1) + "?)"
	var q strings.Builder
	q.WriteString(ri.head)
	for i := range rows {
		if i > 0 {
			q.WriteByte(',')
		}
		q.WriteString(row)
	}
	q.WriteString(ri.tail)
	return q.String()
}

// statements returns the statements of every chunk size, for a
// [StmtCache] to prepare.
func (ri rowsInsert) statements() []string {
	qs := make([]string, len(stagingChunks))
	for i, n := range stagingChunks {
		qs[i] = ri.sql(n)
	}
	return qs
}

// run inserts bars in tx, with the statements prepared in cache, each
// bar's parameters appended by row, and returns the rows affected.
func (ri rowsInsert) run(ctx context.Context, tx *sqlx.Tx, cache *StmtCache, bars []pricefill.Bar,
	row func(args []any, b pricefill.Bar) []any) (int64, error) {
	var affected int64
	args := make([]any, 0, ri.columns*min(len(bars), stagingChunks[0]))
	for _, n := range stagingChunks {
		q := ri.sql(n)
		for len(bars) >= n {
			args = args[:0]
			for _, b := range bars[:n] {
				args = row(args, b)
			}
			r, err := cache.Exec(ctx, tx, q, args...)
			if err != nil {
				return affected, fmt.Errorf("insert %d bars into %s: %w", n, ri.into, err)
			}
			k, err := r.RowsAffected()
			if err != nil {
				return affected, err
			}
			affected += k
			bars = bars[n:]
		}
	}
	return affected, nil
}

func adjClose(v float64) any {
	if v == 0 {
		return nil
	}
	return v
}
