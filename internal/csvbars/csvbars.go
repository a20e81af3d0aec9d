// Package csvbars reads daily bars from CSV, one row at a time, in the two
// layouts that the Stooq and csvdir fetchers meet:
//
//	Date,Open,High,Low,Close[,Adj Close],Volume               (Stooq's download, Yahoo's export, …)
//	<TICKER>,<PER>,<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<VOL>,<OPENINT>   (Stooq's bulk files)
//
// Columns are found by their header name, case-insensitively and in any
// order; unknown columns are ignored. Dates are 2006-01-02 or 20060102.
// Yahoo's export through yfinance has Dividends and Stock Splits columns
// too (an amount, a ratio such as 4.0; 0 when there is none): a Row has
// them.
// A row with a date and without a price or the volume is a null day, told
// apart by [Reader.Next]; blank lines are passed over.
//
// A line longer than [MaxLine] is an error naming its line, so a Reader's
// memory is bounded whatever its input: a file with no newline, one endless
// line or a quoted field that runs across lines cost at most a few times
// MaxLine before the error.
package csvbars

import (
	"bufio"
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
	// Dividend is the cash dividend of the row's date, Split its split
	// ratio (new shares for one old, 4 for 4:1, 0.1 for 1:10): 0 when
	// there is none or the file has no such column.
	Dividend, Split float64
}

// ErrHeader says the first line is not a header this package knows.
var ErrHeader = errors.New("not a bar CSV header")

// MaxLine is the longest line a [Reader] reads, in bytes, not counting its
// newline: 64 KiB. A row of daily bars is under 200 bytes, so a longer line is
// no such row, and reading it to its end could take any amount of memory.
const MaxLine = 64 << 10

// ErrTooLong says a line is longer than [MaxLine], or a row (a quoted field
// across lines, or blank lines before it) runs past MaxLine and a little.
var ErrTooLong = errors.New("longer than 64 KiB: not a CSV of daily bars")

const (
	colDate = iota
	colOpen
	colHigh
	colLow
	colClose
	colAdjClose
	colVolume
	colPeriod
	colDividends
	colSplits
	nCols
)

var colNames = [nCols]string{"date", "open", "high", "low", "close", "adj close", "volume", "<per>", "dividends", "stock splits"}

// headerCol maps a lower-case header name to its column.
var headerCol = map[string]int{
	"date": colDate, "<date>": colDate,
	"open": colOpen, "<open>": colOpen,
	"high": colHigh, "<high>": colHigh,
	"low": colLow, "<low>": colLow,
	"close": colClose, "<close>": colClose,
	"adj close": colAdjClose, "adj_close": colAdjClose, "adjclose": colAdjClose, "adjusted close": colAdjClose,
	"volume": colVolume, "vol": colVolume, "<vol>": colVolume,
	"<per>":     colPeriod,
	"dividends": colDividends, "stock splits": colSplits,
}

// A Reader reads rows from a CSV stream, holding one line at a time.
type Reader struct {
	cr   *csv.Reader
	lim  *limiter
	idx  [nCols]int // field index of each column, -1 when absent
	need int        // fields a row must have
}

// NewReader reads the header from r and returns a Reader for the rows
// that follow. The header must name date, open, high, low and close; an
// error matching [ErrHeader] says it does not.
func NewReader(r io.Reader) (*Reader, error) {
	rd := &Reader{lim: newLimiter(r)}
	// The csv.Reader reads through a buffer of bufSize: it holds at most
	// that much beyond the rows it returned.
	rd.cr = csv.NewReader(bufio.NewReaderSize(rd.lim, bufSize))
	rd.cr.FieldsPerRecord = -1
	rd.cr.ReuseRecord = true
	rd.cr.TrimLeadingSpace = true
	head, err := rd.read()
	if err == io.EOF {
		return nil, fmt.Errorf("%w: empty input", ErrHeader)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHeader, err)
	}
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

// Next returns the next row; blank lines, with spaces or without, are
// passed over. complete is false when the row lacks a price or the volume
// (an empty field, "null", "NaN"…): a null day, which the file lists
// (row.Date is its date) without serving it. Its other fields must not be
// read, and never as zero; a fetcher reports its date in
// [pricefill.Series.Nulls]. A missing adjusted close leaves AdjClose 0,
// which means none given, and the row complete. At the end it returns
// io.EOF; a line that cannot be read is an error naming its line number,
// one longer than [MaxLine] an error matching [ErrTooLong], which every
// later call returns too.
func (rd *Reader) Next() (row Row, complete bool, err error) {
	rec, err := rd.read()
	for err == nil && len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
		rec, err = rd.read() // a blank line with spaces
	}
	if err != nil {
		return Row{}, false, err
	}
	line, _ := rd.cr.FieldPos(0)
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
	for _, f := range []struct {
		col int
		dst *float64
	}{{colDividends, &row.Dividend}, {colSplits, &row.Split}} {
		i := rd.idx[f.col]
		if i < 0 {
			continue
		}
		v, _, err := parseFloat(rec[i]) // none is 0
		if err == nil && (v < 0 || math.IsInf(v, 0)) {
			err = fmt.Errorf("%v: want 0 (none) or a finite number above 0", v)
		}
		if err != nil {
			return Row{}, false, fmt.Errorf("line %d: %s: %w", line, colNames[f.col], err)
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

// read reads a record. A line or row too long is the error, whatever the
// csv.Reader made of the part it was given.
func (rd *Reader) read() ([]string, error) {
	rec, err := rd.cr.Read()
	if rd.lim.err != nil {
		return nil, rd.lim.err
	}
	if err != nil {
		return nil, err
	}
	rd.lim.end = rd.cr.InputOffset() + rowAllowance
	return rec, nil
}

const (
	// bufSize is the buffer between the limiter and the csv.Reader.
	bufSize = 4096
	// rowAllowance is how far past the end of the last row read the
	// limiter passes bytes on: a row may have MaxLine bytes beyond what
	// the buffer already holds.
	rowAllowance = MaxLine + bufSize
)

// A limiter passes lines from r on, a whole line at a time, until one is
// longer than MaxLine, or the bytes passed run rowAllowance past the end of
// the last row read (a quoted field across lines, which the csv.Reader
// would gather whole); then it fails with ErrTooLong naming the line, for
// good. The csv.Reader never sees a line too long, so never parses it
// into fields.
type limiter struct {
	br      *bufio.Reader // of MaxLine+1: a line too long fills it
	line    int           // lines started
	rest    []byte        // of the line being passed on
	pending error         // r's error after the line
	read    int64         // bytes passed on
	end     int64         // read may not pass it
	err     error
}

func newLimiter(r io.Reader) *limiter {
	return &limiter{br: bufio.NewReaderSize(r, MaxLine+1), end: rowAllowance}
}

func (l *limiter) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	if len(l.rest) == 0 {
		if err := l.pending; err != nil {
			l.pending = nil
			return 0, err
		}
		line, err := l.br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			l.err = fmt.Errorf("line %d: %w", l.line+1, ErrTooLong)
			return 0, l.err
		}
		if len(line) == 0 {
			return 0, err
		}
		l.line++
		l.rest, l.pending = line, err
	}
	n := min(len(p), len(l.rest))
	if l.read+int64(n) > l.end {
		l.err = fmt.Errorf("line %d: row %w", l.line, ErrTooLong)
		return 0, l.err
	}
	copy(p, l.rest[:n])
	l.rest = l.rest[n:]
	l.read += int64(n)
	return n, nil
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
