// Package export writes daily bars out of pricefill, to CSV or Parquet
// files that spreadsheets, pandas, DuckDB or Spark read, one row per
// symbol and date.
//
//	db, err := store.Open(ctx, dsn)
//	f, err := os.Create("prices.parquet")
//	format, err := export.FormatOf(f.Name())       // by the extension: .csv or .parquet
//	sum, err := export.Write(f, format, db.AllBars(ctx, store.BarQuery{}))
//	err = f.Close()
//
// # The flow
//
//	store.DB.AllBars ──iter.Seq2[pricefill.Bar, error]──> export.Write ──> io.Writer (a file)
//	(one query, read as the loop asks)                  (a bounded buffer, then out)
//
// Bars come in as an [iter.Seq2] of bars and errors, such as
// store.DB.AllBars gives, and go out as they come: memory stays the same
// however many bars there are (a CSV line, or a Parquet row group of at
// most [RowGroupRows] rows, at a time). The package reads no database and
// imports no store: any sequence of bars will do. An error from the
// sequence stops the write and is returned; what was written until then
// is no whole file, so write to a temporary name and rename it once Write
// returns nil (as the example program's --export does).
//
// # Columns
//
// Both formats have the same columns, in this order, and a row keeps the
// order of the sequence (store.DB.AllBars: by symbol, then date):
//
//	column     CSV                          Parquet
//	symbol     text                         BYTE_ARRAY STRING, dictionary-encoded
//	date       YYYY-MM-DD                   INT32 DATE (days since 1970-01-01)
//	open       shortest exact decimal       DOUBLE
//	high       shortest exact decimal       DOUBLE
//	low        shortest exact decimal       DOUBLE
//	close      shortest exact decimal       DOUBLE
//	adj_close  as open; empty when unknown  DOUBLE, optional: null when unknown
//	volume     integer                      INT64
//	source     text                         BYTE_ARRAY STRING, dictionary-encoded
//
// A price is written in the fewest digits that read back as the same
// float64 (strconv's 'g' format at precision -1: 187.35, 1e-05), so a
// CSV read back gives exactly the bars written, as a Parquet file does.
// An unknown adjusted close is 0 in a [pricefill.Bar], NULL in the store,
// and empty or null here. The CSV has a header line of the column names;
// a text is quoted where it must be, as encoding/csv quotes (RFC 4180:
// a comma, a quote or a line break in it). The Parquet file is
// compressed with Snappy (as pyarrow's and Spark's are by default), and
// [Row] is its schema: read it back with parquet-go's
// GenericReader[export.Row].
package export
