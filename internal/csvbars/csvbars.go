// Package csvbars reads daily bars from CSV, one row at a time, in the two
// layouts that the Stooq and csvdir fetchers meet:
//
//	Date,Open,High,Low,Close[,Adj Close],Volume               (Stooq's download, Yahoo's export, …)
//	<TICKER>,<PER>,<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<VOL>,<OPENINT>   (Stooq's bulk files)
//
// Columns are found by their header name, case-insensitively and in any
// order; unknown columns are ignored. Dates are 2006-01-02 or 20060102.
package csvbars

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/internal/series"
)

// A Row is one line of bars. Volume is 0 when the file has no volume
// column (Stooq's currencies and some indices); AdjClose is 0 when it has
// no adjusted close.
type Row struct {
	Date     time.Time
	Open     float64
	High     float64
	Low      float64
	Close    float64
	AdjClose float64
	Volume   int64
}

// ErrHeader says the first line is not a header this package knows.
var ErrHeader = errors.New("not a bar CSV header")

const (
	colDate = iota
	colOpen
	colHigh
	colLow
	colClose
	colAdjClose
	colVolume
	colPeriod
	nCols
)

var colNames = [nCols]string{"date", "open", "high", "low", "close", "adj close", "volume", "<per>"}

// headerCol maps a lower-case header name to its column.
var headerCol = map[string]int{
	"date": colDate, "<date>": colDate,
	"open": colOpen, "<open>": colOpen,
	"high": colHigh, "<high>": colHigh,
	"low": colLow, "<low>": colLow,
	"close": colClose, "<close>": colClose,
	"adj close": colAdjClose, "adj_close": colAdjClose, "adjclose": colAdjClose, "adjusted close": colAdjClose,
	"volume": colVolume, "vol": colVolume, "<vol>": colVolume,
	"<per>": colPeriod,
}

// A Reader reads rows from a CSV stream, holding one line at a time.
type Reader struct {
	cr   *csv.Reader
	idx  [nCols]int // field index of each column, -1 when absent
	need int        // fields a row must have
}

// NewReader reads the header from r and returns a Reader for the rows
// that follow. The header must name date, open, high, low and close; an
// error matching [ErrHeader] says it does not.
func NewReader(r io.Reader) (*Reader, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true
	head, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("%w: empty input", ErrHeader)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHeader, err)
	}
	rd := &Reader{cr: cr}
	for i := range rd.idx {
		rd.idx[i] = -1
	}
	for i, name := range head {
		name = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(name, "\uFEFF")))
		c, ok := headerCol[name]
		if !ok {
			continue
		}
		if rd.idx[c] >= 0 {
			return nil, fmt.Errorf("%w: column %.40q twice", ErrHeader, name)
		}
		rd.idx[c] = i
		rd.need = max(rd.need, i+1)
	}
	for _, c := range []int{colDate, colOpen, colHigh, colLow, colClose} {
		if rd.idx[c] < 0 {
			return nil, fmt.Errorf("%w: no %s column in %.80q", ErrHeader, colNames[c], strings.Join(head, ","))
		}
	}
	return rd, nil
}

// Next returns the next row. complete is false when the row lacks a price
// or the volume (an empty field, "null", "NaN"…): such a day must be
// skipped, never read as zero. A missing adjusted close leaves AdjClose 0,
// which means none given. At the end it returns io.EOF; a line that cannot be read is an
// error naming its line number.
func (rd *Reader) Next() (row Row, complete bool, err error) {
	rec, err := rd.cr.Read()
	if err != nil {
		if err == io.EOF {
			return Row{}, false, io.EOF
		}
		return Row{}, false, err
	}
	line, _ := rd.cr.FieldPos(0)
	if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
		return Row{}, false, nil // a blank line with spaces
	}
	if len(rec) < rd.need {
		return Row{}, false, fmt.Errorf("line %d: %d fields, want %d", line, len(rec), rd.need)
	}
	if i := rd.idx[colPeriod]; i >= 0 && !strings.EqualFold(strings.TrimSpace(rec[i]), "D") {
		return Row{}, false, fmt.Errorf("line %d: period %.10q is not daily (D)", line, rec[i])
	}
	row.Date, err = parseDate(rec[rd.idx[colDate]])
	if err != nil {
		return Row{}, false, fmt.Errorf("line %d: %w", line, err)
	}
	complete = true
	for _, f := range []struct {
		col int
		dst *float64
	}{{colOpen, &row.Open}, {colHigh, &row.High}, {colLow, &row.Low}, {colClose, &row.Close}, {colAdjClose, &row.AdjClose}} {
		i := rd.idx[f.col]
		if i < 0 {
			continue
		}
		v, ok, err := parseFloat(rec[i])
		if err != nil {
			return Row{}, false, fmt.Errorf("line %d: %s: %w", line, colNames[f.col], err)
		}
		if !ok && f.col != colAdjClose { // no adjusted close is AdjClose 0: none given
			complete = false
		}
		*f.dst = v
	}
	if i := rd.idx[colVolume]; i >= 0 {
		v, ok, err := parseFloat(rec[i])
		if err == nil && ok {
			row.Volume, err = series.Volume(v)
		}
		if err != nil {
			return Row{}, false, fmt.Errorf("line %d: volume: %w", line, err)
		}
		if !ok {
			complete = false
		}
	}
	return row, complete, nil
}

// Bar returns row as a bar of symbol from source.
func (row Row) Bar(symbol, source string) pricefill.Bar {
	return pricefill.Bar{
		Symbol: symbol, Date: row.Date, Source: source,
		Open: row.Open, High: row.High, Low: row.Low, Close: row.Close,
		AdjClose: row.AdjClose, Volume: row.Volume,
	}
}

func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	layout := pricefill.DateLayout
	if len(s) == 8 {
		layout = "20060102"
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("date %.40q: want YYYY-MM-DD or YYYYMMDD", s)
	}
	return t, nil
}

// parseFloat parses a price or volume; ok is false for a missing value:
// empty, null, NaN, N/A or -.
func parseFloat(s string) (v float64, ok bool, err error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "", "null", "nan", "n/a", "na", "-", "none":
		return 0, false, nil
	}
	v, err = strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false, fmt.Errorf("%.40q is not a number", s)
	}
	if math.IsNaN(v) {
		return 0, false, nil
	}
	return v, true, nil
}
