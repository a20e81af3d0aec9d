package sqldialect

import (
	"context"
	"fmt"
	"strconv"

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

// pricesInsert writes bars into prices on SQLite, skipping a date stored
// already. Its parameters are anonymous, the asset in each row:
// modernc.org/sqlite looks up the name of each numbered parameter in a
// list as long as the statement's, which made a numbered ?1 shared by the
// rows cost more than the INSERT itself.
var pricesInsert = rowsInsert{into: "prices", head: "INSERT INTO prices (" + PricesColumns + ") VALUES ", columns: 9,
	tail: " ON CONFLICT (asset_id, date) DO NOTHING"}

// PricesInserts returns the statements [Dialect.InsertPrices] runs, for a
// [StmtCache] to prepare: none on PostgreSQL.
func (d *Dialect) PricesInserts() []string {
	if d.IsPostgres() {
		return nil
	}
	return pricesInsert.statements()
}

// InsertPrices writes the bars of the asset assetID whose dates prices
// does not hold yet into prices in tx, on SQLite, with the multi-row
// INSERTs prepared in cache (the chunks of the staging table's load), and
// returns how many it wrote. A bar's AdjClose of 0 becomes NULL.
func (d *Dialect) InsertPrices(ctx context.Context, tx *sqlx.Tx, cache *StmtCache, assetID int64, bars []pricefill.Bar) (int64, error) {
	return pricesInsert.run(ctx, tx, cache, bars, func(args []any, b pricefill.Bar) []any {
		return append(args, assetID, FormatDate(b.Date), b.Open, b.High, b.Low, b.Close, adjClose(b.AdjClose), b.Volume, b.Source)
	})
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
