package export

import (
	"encoding/csv"
	"fmt"
	"io"
	"iter"
	"strconv"

	"github.com/pricefill/pricefill"
)

// WriteCSV writes bars to w as CSV: the header line of [Columns], then a
// line per bar, as they come (see the package documentation for the
// fields). It stops at the first error of bars, or of w, and returns it
// with what it wrote until then.
func WriteCSV(w io.Writer, bars iter.Seq2[pricefill.Bar, error]) (Summary, error) {
	cw := csv.NewWriter(w)
	if err := cw.Write(Columns); err != nil {
		return Summary{}, fmt.Errorf("export: csv: %w", err)
	}
	var (
		c      counter
		record = make([]string, len(Columns))
		buf    []byte
	)
	for b, err := range bars {
		if err != nil {
			return c.sum, fmt.Errorf("export: csv: after %d bars: %w", c.sum.Bars, err)
		}
		record[0] = b.Symbol
		buf = b.Date.AppendFormat(buf[:0], pricefill.DateLayout)
		record[1] = string(buf)
		for i, v := range [...]float64{b.Open, b.High, b.Low, b.Close} {
			record[2+i] = strconv.FormatFloat(v, 'g', -1, 64)
		}
		record[6] = ""
		if b.AdjClose != 0 {
			record[6] = strconv.FormatFloat(b.AdjClose, 'g', -1, 64)
		}
		record[7] = strconv.FormatInt(b.Volume, 10)
		record[8] = b.Source
		if err := cw.Write(record); err != nil {
			return c.sum, fmt.Errorf("export: csv: %w", err)
		}
		c.add(b)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return c.sum, fmt.Errorf("export: csv: %w", err)
	}
	return c.sum, nil
}
