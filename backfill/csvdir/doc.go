// Package csvdir reads daily bars from a local directory of CSV files, one
// file per symbol: a bulk download, an export, a test corpus. It makes no
// network request.
//
//	f, err := csvdir.New("/data/stooq/daily/us", csvdir.WithSource("stooq"))
//	series, err := f.Fetch(ctx, "AAPL", r)
//
// # Files
//
// [New] indexes the .csv and .txt files anywhere under the directory, by
// name, case aside. The file of a symbol is the first of [Names] found:
//
//	AAPL.csv, AAPL.txt       the canonical symbol (BRK.B.csv, OCDO.L.csv)
//	aapl.us.txt, aapl.us.csv Stooq's spelling (brk-b.us.txt, ocdo.uk.txt), as in its bulk download
//
// # Formats
//
// The header names the columns, in any order and case; unknown columns are
// ignored:
//
//	Date,Open,High,Low,Close[,Adj Close],Volume     dates 2006-01-02 or 20060102
//	<TICKER>,<PER>,<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<VOL>,<OPENINT>   Stooq's bulk files;
//	                                                <PER> must be D (daily)
//
// A yfinance export's Dividends and Stock Splits columns, where the header
// has them, are the series' dividends and splits ([pricefill.Series]): an
// amount and a ratio of new shares for one old (4.0 for 4:1, 0.1 for a
// 1:10 reverse split), 0 meaning none; one a date, the later row winning.
//
// A file is read as a stream (encoding/csv, one row at a time), keeping
// only the rows of the range: any size of history costs the memory of the
// range. A line may be 64 KiB long, its line ending included (a row of
// daily bars is under 200 bytes), so that a file without newlines costs no
// more. A row with an empty price or volume (or null, NaN, N/A) is a null
// day: reported in Series.Nulls, never read as zero, unless another row of
// the date has prices (an empty adjusted close is AdjClose 0, none given); fractional volumes are rounded; a file without a volume
// column gives volume 0. The bars come back in date order, one per date
// (the later row of a date wins), with the canonical symbol and Source
// "csvdir" (or [WithSource]).
//
// # Errors
//
// No file for the symbol is not found. A file that is not such a CSV (a
// header without date, open, high, low and close; a row that cannot be
// read; a line longer than 64 KiB) is permanent: reading it again will not
// help; the error names the file and the line. Only regular files are read,
// or symbolic links to them: a named pipe, a device, a directory or a
// socket named like a symbol's file is permanent for that symbol ("… is
// not a regular file"), and never read nor waited on, so it cannot block a
// run. A failure to read the file is transient.
package csvdir
