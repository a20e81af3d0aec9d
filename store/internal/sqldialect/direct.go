package sqldialect

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/pricefill/pricefill"
)

// The direct path of a save: the bars written straight into prices, with
// no relation of bars in between, where nothing can be merged. On
// PostgreSQL it is [CopyPrices], one COPY, for a range of dates that holds
// no stored bar of the asset yet (COPY has no ON CONFLICT); on SQLite,
// [Dialect.InsertPrices], multi-row INSERTs into prices that skip a date
// stored already, for any save without force. Each bar is written once,
// where the merge writes it into the staging table (SQLite) or parses it
// out of array literals (PostgreSQL) first.

// PricesColumns are the columns the direct path writes, in order.
const PricesColumns = "asset_id, " + BarColumns

// CopyPrices writes bars of the asset assetID into prices with one COPY
// in tx, on PostgreSQL (lib/pq's COPY FROM STDIN: a statement whose
// executions buffer the rows), and returns how many it wrote. A bar's AdjClose
// of 0 becomes NULL. A date stored already fails the COPY with a unique
// violation, which leaves tx aborted: run it under a savepoint.
func CopyPrices(ctx context.Context, tx *sqlx.Tx, assetID int64, bars []pricefill.Bar) (int64, error) {
	stmt, err := tx.PrepareContext(ctx, "COPY prices ("+PricesColumns+") FROM STDIN")
	if err != nil {
		return 0, fmt.Errorf("copy into prices: %w", err)
	}
	defer stmt.Close()
	for _, b := range bars {
		if _, err := stmt.ExecContext(ctx, assetID, FormatDate(b.Date), b.Open, b.High, b.Low, b.Close,
			adjClose(b.AdjClose), b.Volume, b.Source); err != nil {
			return 0, fmt.Errorf("copy into prices: %w", err)
		}
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		return 0, fmt.Errorf("copy into prices: %w", err)
	}
	if err := stmt.Close(); err != nil {
		return 0, fmt.Errorf("copy into prices: %w", err)
	}
	return int64(len(bars)), nil
}

// PricesInserts returns the statements [Dialect.InsertPrices] runs, for a
// [StmtCache] to prepare: none on PostgreSQL.
func (d *Dialect) PricesInserts() []string {
	if d.IsPostgres() {
		return nil
	}
	qs := make([]string, len(stagingChunks))
	for i, n := range stagingChunks {
		qs[i] = insertPricesSQL(n)
	}
	return qs
}

// insertPricesSQL is the INSERT of rows bars into prices, on SQLite. A
// date stored already is skipped. Its parameters are anonymous, the asset
// in each row: modernc.org/sqlite looks up the name of each numbered
// parameter in a list as long as the statement's, which made a numbered
// ?1 shared by the rows cost more than the INSERT itself.
func insertPricesSQL(rows int) string {
	var q strings.Builder
	q.WriteString("INSERT INTO prices (" + PricesColumns + ") VALUES ")
	for i := range rows {
		if i > 0 {
			q.WriteByte(',')
		}
		q.WriteString("(?,?,?,?,?,?,?,?,?)")
	}
	q.WriteString(" ON CONFLICT (asset_id, date) DO NOTHING")
	return q.String()
}

// InsertPrices writes the bars of the asset assetID whose dates prices
// does not hold yet into prices in tx, on SQLite, with the multi-row
// INSERTs prepared in cache (the chunks of the staging table's load), and
// returns how many it wrote. A bar's AdjClose of 0 becomes NULL.
func (d *Dialect) InsertPrices(ctx context.Context, tx *sqlx.Tx, cache *StmtCache, assetID int64, bars []pricefill.Bar) (int64, error) {
	var inserted int64
	args := make([]any, 0, 9*min(len(bars), stagingChunks[0]))
	for _, n := range stagingChunks {
		q := insertPricesSQL(n)
		for len(bars) >= n {
			args = args[:0]
			for _, b := range bars[:n] {
				args = append(args, assetID, FormatDate(b.Date), b.Open, b.High, b.Low, b.Close, adjClose(b.AdjClose), b.Volume, b.Source)
			}
			r, err := cache.Exec(ctx, tx, q, args...)
			if err != nil {
				return inserted, fmt.Errorf("insert %d bars into prices: %w", n, err)
			}
			k, err := r.RowsAffected()
			if err != nil {
				return inserted, err
			}
			inserted += k
			bars = bars[n:]
		}
	}
	return inserted, nil
}

// InDates returns a condition that column is one of the dates in
// parameter number param, which takes the value of [Dialect.Dates].
func (d *Dialect) InDates(column string, param int) string {
	p := "$" + strconv.Itoa(param)
	if d.IsPostgres() {
		return column + " = ANY(" + p + "::date[])"
	}
	return column + " IN (SELECT value FROM json_each(" + p + "))"
}

// Dates encodes the dates of bars as the parameter of an
// [Dialect.InDates] condition: an array literal on PostgreSQL, a JSON
// array on SQLite.
func (d *Dialect) Dates(bars []pricefill.Bar) string {
	b := make([]byte, 0, 2+13*len(bars))
	if d.IsPostgres() {
		b = append(b, '{')
	} else {
		b = append(b, '[')
	}
	for i, bar := range bars {
		if i > 0 {
			b = append(b, ',')
		}
		if d.IsPostgres() {
			b = bar.Date.AppendFormat(b, pricefill.DateLayout)
		} else {
			b = append(b, '"')
			b = bar.Date.AppendFormat(b, pricefill.DateLayout)
			b = append(b, '"')
		}
	}
	if d.IsPostgres() {
		return string(append(b, '}'))
	}
	return string(append(b, ']'))
}
