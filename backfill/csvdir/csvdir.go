package csvdir

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/backfill/stooq"
	"github.com/pricefill/pricefill/internal/csvbars"
	"github.com/pricefill/pricefill/internal/series"
)

// SourceDefault is the Source of the bars unless [WithSource] says otherwise.
const SourceDefault = "csvdir"

type config struct {
	source string
}

// An Option configures a [Fetcher].
type Option func(*config)

// WithSource sets the Source of the bars, such as "stooq" for a Stooq bulk
// download. Default [SourceDefault]; an empty string means the default.
func WithSource(s string) Option {
	return func(c *config) { c.source = s }
}

// A Fetcher reads bars from a directory of CSV files, one file per symbol,
// found anywhere under the directory. It is safe for concurrent use; each
// Fetch streams its file, holding only the rows of the range.
type Fetcher struct {
	cfg   config
	dir   string
	files map[string]string // lower-case file name → path
}

var _ backfill.Fetcher = (*Fetcher)(nil)

// New indexes the CSV (.csv) and text (.txt) files under dir, recursively,
// and returns a Fetcher over them. Files added later are not seen. When
// two files have the same name, the first in lexical order wins. Whatever
// else is so named (a directory, a named pipe, a device) is indexed too,
// and Fetch refuses it.
func New(dir string, opts ...Option) (*Fetcher, error) {
	c := config{source: SourceDefault}
	for _, o := range opts {
		o(&c)
	}
	if c.source == "" {
		c.source = SourceDefault
	}
	f := &Fetcher{cfg: c, dir: dir, files: make(map[string]string)}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path == dir {
			return nil
		}
		// A directory, a pipe or a device named like a symbol's file
		// is indexed too, for Fetch to refuse it by name.
		name := strings.ToLower(d.Name())
		if ext := filepath.Ext(name); ext != ".csv" && ext != ".txt" {
			return nil
		}
		if _, ok := f.files[name]; !ok {
			f.files[name] = path
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("csvdir: indexing %s: %w", dir, err)
	}
	return f, nil
}

// Names returns the file names that Fetch looks for, in order, for a
// canonical symbol: the symbol itself (AAPL.csv, BRK.B.csv, OCDO.L.csv),
// then Stooq's form (aapl.us.txt, brk-b.us.txt, ocdo.uk.txt; see
// [stooq.Symbol]), each with .csv or .txt, in any case.
func Names(sym string) []string {
	bases := []string{strings.ToLower(sym)}
	if s, err := stooq.Symbol(sym); err == nil && s != bases[0] {
		bases = append(bases, s)
	}
	var names []string
	for _, b := range bases {
		names = append(names, b+".csv", b+".txt")
	}
	return names
}

// Fetch reads the file of symbol (see [Names]) and returns its rows dated
// in r, in date order, one per date (of two rows of a date, the later in
// the file wins). A row with an empty value has no bar: its date is among
// the series' Nulls (see [pricefill.Series.Nulls]), unless another row of
// the date has prices; fractional volumes are rounded. A file needs a header: Date,Open,High,Low,Close[,Adj
// Close],Volume in any case and order, or Stooq's bulk format
// <TICKER>,<PER>,<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<VOL>,<OPENINT>
// with daily rows.
//
// No file is not found; a file that cannot be read as such a CSV is
// permanent (reading it again will not help), as are a line longer than
// 64 KiB and a name that is not a regular file or a symbolic link to one (a named pipe, a device, a directory: never read);
// an I/O failure is transient.
func (f *Fetcher) Fetch(ctx context.Context, symbol string, r pricefill.Range) (*pricefill.Series, error) {
	sym, err := pricefill.NormalizeSymbol(symbol)
	if err != nil {
		return nil, pricefill.Permanent(fmt.Errorf("csvdir: %w", err))
	}
	if err := r.Validate(); err != nil {
		return nil, pricefill.Permanent(fmt.Errorf("csvdir %s: %w", sym, err))
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("csvdir %s: %w", sym, err)
	}
	for _, name := range Names(sym) {
		if path, ok := f.files[name]; ok {
			return f.read(ctx, path, sym, r)
		}
	}
	return nil, pricefill.NotFound(sym, fmt.Errorf("csvdir: no file %s under %s", strings.Join(Names(sym), ", "), f.dir))
}

// ctxCheckRows is how many rows are read between looks at the context.
const ctxCheckRows = 4096

func (f *Fetcher) read(ctx context.Context, path, sym string, r pricefill.Range) (*pricefill.Series, error) {
	file, err := openRegular(path)
	var irregular *notRegularError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, pricefill.NotFound(sym, fmt.Errorf("csvdir: %w", err))
	case errors.As(err, &irregular):
		return nil, pricefill.Permanent(fmt.Errorf("csvdir %s: %w", sym, err))
	case err != nil:
		return nil, fmt.Errorf("csvdir %s: %w", sym, err)
	}
	defer file.Close()
	s, err := parse(ctx, file, sym, r, f.cfg.source) // csvbars buffers it
	if err != nil {
		return nil, fmt.Errorf("csvdir %s: %s: %w", sym, path, err)
	}
	return s, nil
}

// openRegular opens path for reading if it is a regular file, or a
// symbolic link to one. Anything else (a named pipe, a device, a
// directory, a socket) is a *notRegularError, and never read: a pipe or a
// device could block or never end. The type is checked before the open
// and again on the open file, which was opened without blocking, so a
// pipe swapped in between cannot block either.
func openRegular(path string) (*os.File, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &notRegularError{path: path, mode: fi.Mode()}
	}
	file, err := os.OpenFile(path, openFlags, 0)
	if err != nil {
		return nil, err
	}
	if fi, err = file.Stat(); err != nil || !fi.Mode().IsRegular() {
		file.Close()
		if err == nil {
			err = &notRegularError{path: path, mode: fi.Mode()}
		}
		return nil, err
	}
	return file, nil
}

// A notRegularError says a symbol's file is not a regular file.
type notRegularError struct {
	path string
	mode fs.FileMode
}

func (e *notRegularError) Error() string {
	kind := "mode " + e.mode.String()
	switch t := e.mode.Type(); {
	case t&fs.ModeNamedPipe != 0:
		kind = "a named pipe"
	case t&fs.ModeSocket != 0:
		kind = "a socket"
	case t&fs.ModeDevice != 0:
		kind = "a device"
	case t&fs.ModeDir != 0:
		kind = "a directory"
	}
	return fmt.Sprintf("%s is not a regular file (%s)", e.path, kind)
}

// parse streams bars from a CSV, keeping the complete rows dated in r and
// the dates in r of the others as null days.
// A CSV that cannot be read is permanent, an I/O error transient.
func parse(ctx context.Context, in io.Reader, sym string, r pricefill.Range, source string) (*pricefill.Series, error) {
	ir := &ioErrReader{r: in}
	rd, err := csvbars.NewReader(ir)
	if err != nil {
		return nil, classify(ir, err)
	}
	s := &pricefill.Series{Asset: pricefill.Asset{Symbol: sym}}
	var nulls []time.Time
	for n := 1; ; n++ {
		row, complete, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, classify(ir, err)
		}
		if r.Contains(row.Date) {
			addActions(s, row)
		}
		switch {
		case !r.Contains(row.Date):
		case complete:
			s.Bars = append(s.Bars, row.Bar(sym, source))
		default:
			nulls = append(nulls, row.Date)
		}
		if n%ctxCheckRows == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	s.Dedupe() // one bar per date, the last sent (see pricefill.Series.Dedupe)
	s.Dividends, s.Splits = lastOfDate(s.Dividends, dividendDate), lastOfDate(s.Splits, splitDate)
	s.Nulls = series.Nulls(nulls, s.Bars)
	return s, nil
}

// addActions adds the dividend and split of row, if it has them, to s.
// A split ratio below 1 is a reverse split: 0.1 is 1 for 10.
func addActions(s *pricefill.Series, row csvbars.Row) {
	if row.Dividend > 0 {
		s.Dividends = append(s.Dividends, pricefill.Dividend{Date: row.Date, Amount: row.Dividend})
	}
	switch r := row.Split; {
	case r >= 1:
		s.Splits = append(s.Splits, pricefill.Split{Date: row.Date, Numerator: r, Denominator: 1})
	case r > 0:
		d := 1 / r
		if math.Abs(d-math.Round(d)) < 1e-9 {
			d = math.Round(d)
		}
		s.Splits = append(s.Splits, pricefill.Split{Date: row.Date, Numerator: 1, Denominator: d})
	}
}

func dividendDate(d pricefill.Dividend) time.Time { return d.Date }
func splitDate(s pricefill.Split) time.Time       { return s.Date }

// lastOfDate returns actions in date order, one per date: of those of a
// date, the last, as of bars.
func lastOfDate[T any](actions []T, date func(T) time.Time) []T {
	slices.SortStableFunc(actions, func(a, b T) int { return date(a).Compare(date(b)) })
	out := actions[:0]
	for _, a := range actions {
		if n := len(out); n > 0 && date(out[n-1]).Equal(date(a)) {
			out[n-1] = a
			continue
		}
		out = append(out, a)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// classify makes a reading error transient when the file failed to read,
// permanent when its content is wrong.
func classify(ir *ioErrReader, err error) error {
	if ir.err != nil {
		return ir.err
	}
	return pricefill.Permanent(err)
}

// ioErrReader remembers the error of its reader, other than io.EOF.
type ioErrReader struct {
	r   io.Reader
	err error
}

func (r *ioErrReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		r.err = err
	}
	return n, err
}
