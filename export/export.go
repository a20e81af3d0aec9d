package export

import (
	"fmt"
	"io"
	"iter"
	"path/filepath"
	"strings"

	"github.com/pricefill/pricefill"
)

// A Format is a file format bars can be written in.
type Format string

// The formats, by the extension of their files.
const (
	// CSV is comma-separated text with a header line (extension .csv).
	CSV Format = "csv"
	// Parquet is Apache Parquet, columnar and compressed (extension
	// .parquet).
	Parquet Format = "parquet"
)

// Columns are the names of the columns of both formats, in order.
var Columns = []string{"symbol", "date", "open", "high", "low", "close", "adj_close", "volume", "source"}

// FormatOf returns the format of a file named path, by its extension, in
// any letter case: .csv or .parquet. Any other extension, or none, is an
// error naming path.
func FormatOf(path string) (Format, error) {
	switch ext := filepath.Ext(path); strings.ToLower(ext) {
	case ".csv":
		return CSV, nil
	case ".parquet":
		return Parquet, nil
	case "":
		return "", fmt.Errorf("%q has no extension; want .csv or .parquet", path)
	default:
		return "", fmt.Errorf("%q: unknown extension %q; want .csv or .parquet", path, ext)
	}
}

// A Summary is what a write wrote.
type Summary struct {
	// Bars is the number of rows written, one a bar.
	Bars int64
	// Symbols is the number of different symbols among them.
	Symbols int
}

// counter counts the bars and symbols of a write.
type counter struct {
	sum  Summary
	seen map[string]struct{}
	last string
}

func (c *counter) add(b pricefill.Bar) {
	c.sum.Bars++
	if c.sum.Bars > 1 && b.Symbol == c.last {
		return // the sequence is usually by symbol: no look-up
	}
	if c.seen == nil {
		c.seen = map[string]struct{}{}
	}
	if _, ok := c.seen[b.Symbol]; !ok {
		c.seen[b.Symbol] = struct{}{}
		c.sum.Symbols++
	}
	c.last = b.Symbol
}

// An Option changes how [Write] and [WriteParquet] write.
type Option func(*config)

type config struct {
	rowGroupRows int
}

// WithRowGroupRows sets the most rows of a row group of a Parquet file.
// A writer holds a row group in memory until it is full, so larger ones
// cost more memory while writing, and some readers (DuckDB, Spark) read
// large ones faster. The default is [RowGroupRowsDefault]; 0 means the
// default. CSV has no row groups and ignores it.
func WithRowGroupRows(n int) Option {
	return func(c *config) { c.rowGroupRows = n }
}

func newConfig(opts []Option) (config, error) {
	var c config
	for _, o := range opts {
		o(&c)
	}
	switch {
	case c.rowGroupRows < 0:
		return c, fmt.Errorf("export: WithRowGroupRows(%d): want 1 or more, or 0 for the default", c.rowGroupRows)
	case c.rowGroupRows == 0:
		c.rowGroupRows = RowGroupRowsDefault
	}
	return c, nil
}

// Write writes bars to w in format f, as [WriteCSV] or [WriteParquet]
// does, and says how many it wrote.
func Write(w io.Writer, f Format, bars iter.Seq2[pricefill.Bar, error], opts ...Option) (Summary, error) {
	switch f {
	case CSV:
		if _, err := newConfig(opts); err != nil {
			return Summary{}, err
		}
		return WriteCSV(w, bars)
	case Parquet:
		return WriteParquet(w, bars, opts...)
	}
	return Summary{}, fmt.Errorf("export: format %q: want %s or %s", f, CSV, Parquet)
}
