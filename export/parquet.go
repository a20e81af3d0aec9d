package export

import (
	"fmt"
	"io"
	"iter"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/pricefill/pricefill"
)

// RowGroupRowsDefault is the most rows a row group of a Parquet file
// holds unless [WithRowGroupRows] says otherwise. A writer keeps a row
// group in memory until it is full: about 10 MiB at this size, whatever
// the size of the file.
const RowGroupRowsDefault = 1 << 17

// A Row is a row of a Parquet file: the file's schema, and what to read
// it back into with parquet-go's GenericReader[Row].
type Row struct {
	Symbol string `parquet:"symbol,dict"`
	// Date is the bar's date as DATE's days since 1970-01-01 (negative
	// before): see [DaysOf] and [Row.Bar]. (parquet-go v0.32.1 writes a
	// time.Time field tagged date as nanoseconds, which a DATE's 32 bits
	// do not hold, so the row keeps the days themselves.)
	Date  int32   `parquet:"date,date"`
	Open  float64 `parquet:"open"`
	High  float64 `parquet:"high"`
	Low   float64 `parquet:"low"`
	Close float64 `parquet:"close"`
	// AdjClose is null in the file when it is 0: unknown.
	AdjClose float64 `parquet:"adj_close,optional"`
	Volume   int64   `parquet:"volume"`
	Source   string  `parquet:"source,dict"`
}

// DaysOf returns the calendar date of d as a Parquet DATE: the days since
// 1970-01-01, negative before. Every date of a [pricefill.Range] fits.
func DaysOf(d time.Time) int32 {
	return int32(pricefill.DateOf(d).Unix() / secondsPerDay) // midnight: no remainder
}

// DateOfDays returns the date of a Parquet DATE, as midnight UTC.
func DateOfDays(days int32) time.Time { return time.Unix(int64(days)*secondsPerDay, 0).UTC() }

const secondsPerDay = 24 * 60 * 60

// RowOf returns the row of b.
func RowOf(b pricefill.Bar) Row {
	return Row{Symbol: b.Symbol, Date: DaysOf(b.Date), Open: b.Open, High: b.High, Low: b.Low, Close: b.Close,
		AdjClose: b.AdjClose, Volume: b.Volume, Source: b.Source}
}

// Bar returns the bar of r, its date as midnight UTC.
func (r Row) Bar() pricefill.Bar {
	return pricefill.Bar{Symbol: r.Symbol, Date: DateOfDays(r.Date), Open: r.Open, High: r.High, Low: r.Low,
		Close: r.Close, AdjClose: r.AdjClose, Volume: r.Volume, Source: r.Source}
}

// batchRows is how many rows WriteParquet hands the writer at a time.
const batchRows = 1024

// WriteParquet writes bars to w as a Parquet file of [Row]s, compressed
// with Snappy, in row groups of at most [RowGroupRowsDefault] rows (or
// as many as [WithRowGroupRows] says), as they come (see the package
// documentation for the columns). It stops at the first
// error of bars, or of w, and returns it with the count of the bars it
// took until then; the file is whole only once it returns nil, since
// Parquet's footer comes last.
func WriteParquet(w io.Writer, bars iter.Seq2[pricefill.Bar, error], opts ...Option) (Summary, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return Summary{}, err
	}
	// Snappy rather than zstd: zstd's encoder keeps a history window of
	// 16 MiB, four times the rest of the writer, for files a third smaller.
	pw := parquet.NewGenericWriter[Row](w, parquet.Compression(&parquet.Snappy), parquet.MaxRowsPerRowGroup(int64(cfg.rowGroupRows)))
	var (
		c     counter
		batch = make([]Row, 0, batchRows)
	)
	flush := func() error {
		if _, err := pw.Write(batch); err != nil {
			return fmt.Errorf("export: parquet: %w", err)
		}
		batch = batch[:0]
		return nil
	}
	for b, err := range bars {
		if err != nil {
			return c.sum, fmt.Errorf("export: parquet: after %d bars: %w", c.sum.Bars, err)
		}
		batch = append(batch, RowOf(b))
		c.add(b)
		if len(batch) == cap(batch) {
			if err := flush(); err != nil {
				return c.sum, err
			}
		}
	}
	if err := flush(); err != nil {
		return c.sum, err
	}
	if err := pw.Close(); err != nil {
		return c.sum, fmt.Errorf("export: parquet: %w", err)
	}
	return c.sum, nil
}
