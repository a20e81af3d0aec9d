package export_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"iter"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
	"pgregory.net/rapid"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/export"
)

// seq is bars as a sequence without error.
func seq(bars []pricefill.Bar) iter.Seq2[pricefill.Bar, error] {
	return func(yield func(pricefill.Bar, error) bool) {
		for _, b := range bars {
			if !yield(b, nil) {
				return
			}
		}
	}
}

// readCSV parses a CSV export back into bars, checking its header.
func readCSV(t rapid.TB, data []byte) []pricefill.Bar {
	t.Helper()
	records, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("reading the CSV: %v", err)
	}
	if len(records) == 0 || !slices.Equal(records[0], export.Columns) {
		t.Fatalf("CSV header %q, want %q", records[:min(1, len(records))], export.Columns)
	}
	var bars []pricefill.Bar
	for i, r := range records[1:] {
		b := pricefill.Bar{Symbol: r[0], Source: r[8]}
		var err error
		b.Date, err = pricefill.ParseDate(r[1])
		errs := []error{err}
		for j, p := range []*float64{&b.Open, &b.High, &b.Low, &b.Close, &b.AdjClose} {
			if j == 4 && r[6] == "" {
				continue
			}
			*p, err = strconv.ParseFloat(r[2+j], 64)
			errs = append(errs, err)
		}
		b.Volume, err = strconv.ParseInt(r[7], 10, 64)
		if err := errors.Join(append(errs, err)...); err != nil {
			t.Fatalf("CSV line %d: %v", i+2, err)
		}
		bars = append(bars, b)
	}
	return bars
}

// readParquet reads a Parquet export back into rows, with parquet-go.
func readParquet(t rapid.TB, data []byte) []export.Row {
	t.Helper()
	r := parquet.NewGenericReader[export.Row](bytes.NewReader(data))
	defer r.Close()
	rows := make([]export.Row, r.NumRows())
	n, err := r.Read(rows)
	if err != nil && err != io.EOF {
		t.Fatalf("reading the Parquet file: %v", err)
	}
	return rows[:n]
}

// barsOf returns the bars of rows.
func barsOf(rows []export.Row) []pricefill.Bar {
	var bars []pricefill.Bar
	for _, r := range rows {
		bars = append(bars, r.Bar())
	}
	return bars
}

var sample = []pricefill.Bar{
	{Symbol: "AAPL", Date: pricefill.Date(2025, 1, 2), Open: 248.93, High: 249.1, Low: 241.82, Close: 243.85, AdjClose: 243.26, Volume: 55740700, Source: "yahoo"},
	{Symbol: "AAPL", Date: pricefill.Date(2025, 1, 3), Open: 243.36, High: 244.18, Low: 241.89, Close: 243.36, Volume: 40244100, Source: "yahoo"},
	{Symbol: "BRK.B", Date: pricefill.Date(1969, 12, 31), Open: 0.1, High: 1e21, Low: 1e-05, Close: 5e-324, AdjClose: math.MaxFloat64, Volume: 0, Source: `a "quoted", source`},
}

// TestCSV: the header, then a line per bar in the order given, each
// price in its shortest exact form, an unknown adjusted close empty, and
// a field quoted only where it must be.
func TestCSV(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	sum, err := export.WriteCSV(&buf, seq(sample))
	if err != nil {
		t.Fatal(err)
	}
	want := `symbol,date,open,high,low,close,adj_close,volume,source
AAPL,2025-01-02,248.93,249.1,241.82,243.85,243.26,55740700,yahoo
AAPL,2025-01-03,243.36,244.18,241.89,243.36,,40244100,yahoo
BRK.B,1969-12-31,0.1,1e+21,1e-05,5e-324,1.7976931348623157e+308,0,"a ""quoted"", source"
`
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("CSV (-want +got):\n%s", diff)
	}
	if sum != (export.Summary{Bars: 3, Symbols: 2}) {
		t.Errorf("summary %+v, want 3 bars of 2 symbols", sum)
	}
	if diff := cmp.Diff(sample, readCSV(t, buf.Bytes())); diff != "" {
		t.Errorf("the CSV read back (-written +read):\n%s", diff)
	}
}

// parquetSchema is the schema of a Parquet export, as the package
// documentation has it.
const parquetSchema = `message Row {
	required binary symbol (STRING);
	required int32 date (DATE);
	required double open;
	required double high;
	required double low;
	required double close;
	optional double adj_close;
	required int64 volume (INT(64,true));
	required binary source (STRING);
}`

// TestParquet: the file has the documented schema (DATE days, DOUBLE
// prices, an optional adjusted close that is null when unknown, INT64
// volumes, STRING texts), Snappy-compressed columns, and reads back with
// parquet-go into the same rows, in the order given.
func TestParquet(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	sum, err := export.WriteParquet(&buf, seq(sample))
	if err != nil {
		t.Fatal(err)
	}
	if sum != (export.Summary{Bars: 3, Symbols: 2}) {
		t.Errorf("summary %+v, want 3 bars of 2 symbols", sum)
	}
	f, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(parquetSchema, f.Schema().String()); diff != "" {
		t.Errorf("schema (-want +got):\n%s", diff)
	}
	for _, rg := range f.Metadata().RowGroups {
		for _, c := range rg.Columns {
			if c.MetaData.Codec != format.Snappy {
				t.Errorf("column %s compressed with %s, want SNAPPY", strings.Join(c.MetaData.PathInSchema, "."), c.MetaData.Codec)
			}
		}
	}
	rows := readParquet(t, buf.Bytes())
	var want []export.Row
	for _, b := range sample {
		want = append(want, export.RowOf(b))
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("rows read back (-written +read):\n%s", diff)
	}
	if diff := cmp.Diff(sample, barsOf(rows)); diff != "" {
		t.Errorf("bars read back (-written +read):\n%s", diff)
	}
	// The dates are DATE's days since 1970-01-01, as other readers take
	// them; the adjusted close left unknown is null.
	if got := []int32{rows[0].Date, rows[2].Date}; !slices.Equal(got, []int32{20090, -1}) {
		t.Errorf("days of 2025-01-02 and 1969-12-31: %v, want [20090 -1]", got)
	}
	adj := f.Schema().Fields()[6]
	if adj.Name() != "adj_close" || !adj.Optional() {
		t.Fatalf("column 6: %s, optional %t; want adj_close, optional", adj.Name(), adj.Optional())
	}
	type adjOnly struct {
		AdjClose *float64 `parquet:"adj_close,optional"`
	}
	adjs, err := parquet.Read[adjOnly](bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var known []bool
	for _, a := range adjs {
		known = append(known, a.AdjClose != nil)
	}
	if want := []bool{true, false, true}; !slices.Equal(known, want) {
		t.Errorf("adj_close not null: %v, want %v", known, want)
	}
}

// TestParquetRowGroupsAreBounded: a file of more rows than
// RowGroupRowsDefault is written in row groups of at most that many, so a
// write holds no more in memory, however many bars there are;
// WithRowGroupRows sets another bound.
func TestParquetRowGroupsAreBounded(t *testing.T) {
	t.Parallel()
	n := 2*export.RowGroupRowsDefault + 5
	bars := func(yield func(pricefill.Bar, error) bool) {
		d := pricefill.Date(1990, 1, 1)
		for i := range n {
			if !yield(pricefill.Bar{Symbol: "S" + strconv.Itoa(i/5000), Date: d.AddDate(0, 0, i%5000), Open: 1, High: 2, Low: 0.5, Close: 1.5, Volume: int64(i), Source: "synthetic"}, nil) {
				return
			}
		}
	}
	var buf bytes.Buffer
	sum, err := export.WriteParquet(&buf, bars)
	if err != nil {
		t.Fatal(err)
	}
	if want := (export.Summary{Bars: int64(n), Symbols: (n + 4999) / 5000}); sum != want {
		t.Errorf("summary %+v, want %+v", sum, want)
	}
	f, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int64
	for _, rg := range f.RowGroups() {
		sizes = append(sizes, rg.NumRows())
	}
	if want := []int64{export.RowGroupRowsDefault, export.RowGroupRowsDefault, 5}; !slices.Equal(sizes, want) {
		t.Errorf("row groups of %v rows, want %v", sizes, want)
	}

	buf.Reset()
	if _, err := export.Write(&buf, export.Parquet, seq(sample), export.WithRowGroupRows(2)); err != nil {
		t.Fatal(err)
	}
	if f, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len())); err != nil || len(f.RowGroups()) != 2 {
		t.Errorf("3 rows in groups of 2: %v; want 2 row groups", err)
	}
	for _, f := range []export.Format{export.CSV, export.Parquet} {
		_, err := export.Write(io.Discard, f, seq(sample), export.WithRowGroupRows(-1))
		if want := "export: WithRowGroupRows(-1): want 1 or more, or 0 for the default"; err == nil || err.Error() != want {
			t.Errorf("%s with WithRowGroupRows(-1): %v, want %q", f, err, want)
		}
	}
}

// The first and last days a range may hold, as DATEs.
var firstDay, lastDay = export.DaysOf(pricefill.Date(pricefill.MinYear, 1, 1)), export.DaysOf(pricefill.Date(pricefill.MaxYear, 12, 31))

// barGen draws any bar the store could hold, and more: any date a range
// may hold, finite prices of any magnitude, subnormals included, an
// adjusted close known or not, any volume, and texts with the characters
// CSV must quote.
var barGen = rapid.Custom(func(t *rapid.T) pricefill.Bar {
	text := rapid.StringOfN(rapid.SampledFrom([]rune(`AZaz09.^=-_ ,"'`+"\né€")), 0, 8, -1)
	price := rapid.OneOf(
		rapid.Float64Range(-math.MaxFloat64, math.MaxFloat64),
		rapid.Float64Range(0.0001, 10000),
		rapid.SampledFrom([]float64{5e-324, 2.2250738585072014e-308, 0.1, 1e21, 1e-7, math.MaxFloat64}),
	)
	b := pricefill.Bar{
		Symbol: text.Draw(t, "symbol"),
		Date:   export.DateOfDays(rapid.Int32Range(firstDay, lastDay).Draw(t, "day")),
		Open:   price.Draw(t, "open"), High: price.Draw(t, "high"), Low: price.Draw(t, "low"), Close: price.Draw(t, "close"),
		Volume: rapid.Int64().Draw(t, "volume"),
		Source: text.Draw(t, "source"),
	}
	if rapid.Bool().Draw(t, "adjusted") {
		b.AdjClose = price.Draw(t, "adj")
	}
	return b
})

// TestRoundTrip: whatever bars are written, CSV and Parquet both read
// back exactly the same bars, in the same order, and count them and
// their symbols.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		bars := rapid.SliceOfN(barGen, 0, 50).Draw(t, "bars")
		syms := map[string]bool{}
		for _, b := range bars {
			syms[b.Symbol] = true
		}
		want := export.Summary{Bars: int64(len(bars)), Symbols: len(syms)}
		for _, f := range []export.Format{export.CSV, export.Parquet} {
			var buf bytes.Buffer
			sum, err := export.Write(&buf, f, seq(bars))
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if sum != want {
				t.Fatalf("%s: summary %+v, want %+v", f, sum, want)
			}
			var got []pricefill.Bar
			if f == export.CSV {
				got = readCSV(t, buf.Bytes())
			} else {
				got = barsOf(readParquet(t, buf.Bytes()))
			}
			if diff := cmp.Diff(bars, got, cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("%s read back (-written +read):\n%s", f, diff)
			}
		}
	})
}

// TestWriteStopsAtTheFirstError: an error of the sequence stops the
// write, which returns it, wrapped, with the bars taken before it; no
// later bar is asked for.
func TestWriteStopsAtTheFirstError(t *testing.T) {
	t.Parallel()
	boom := errors.New("connection lost")
	for _, f := range []export.Format{export.CSV, export.Parquet} {
		asked := 0
		bars := func(yield func(pricefill.Bar, error) bool) {
			for _, b := range sample[:2] {
				asked++
				if !yield(b, nil) {
					return
				}
			}
			asked++
			if !yield(pricefill.Bar{}, boom) {
				return
			}
			asked++
			yield(sample[2], nil)
		}
		sum, err := export.Write(io.Discard, f, bars)
		if !errors.Is(err, boom) {
			t.Errorf("%s: error %v, want %v", f, err, boom)
		}
		if want := "export: " + string(f) + ": after 2 bars: connection lost"; err == nil || err.Error() != want {
			t.Errorf("%s: error %q, want %q", f, err, want)
		}
		if sum.Bars != 2 || asked != 3 {
			t.Errorf("%s: %d bars counted, %d asked for; want 2 and 3", f, sum.Bars, asked)
		}
	}
}

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// TestWriteFailsWithItsWriter: a writer's error is the write's.
func TestWriteFailsWithItsWriter(t *testing.T) {
	t.Parallel()
	many := slices.Repeat(sample, 5000) // past every buffer
	for _, f := range []export.Format{export.CSV, export.Parquet} {
		if _, err := export.Write(failingWriter{}, f, seq(many)); err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("%s: error %v, want disk full", f, err)
		}
	}
}

func TestFormatOf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		path, want, err string
	}{
		{"prices.csv", "csv", ""},
		{"/tmp/out/PRICES.CSV", "csv", ""},
		{"prices.parquet", "parquet", ""},
		{"dir.v2/prices.Parquet", "parquet", ""},
		{"prices.txt", "", `"prices.txt": unknown extension ".txt"; want .csv or .parquet`},
		{"prices.csv.gz", "", `"prices.csv.gz": unknown extension ".gz"; want .csv or .parquet`},
		{"prices", "", `"prices" has no extension; want .csv or .parquet`},
	} {
		f, err := export.FormatOf(tc.path)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if string(f) != tc.want || got != tc.err {
			t.Errorf("FormatOf(%q) = %q, %q; want %q, %q", tc.path, f, got, tc.want, tc.err)
		}
	}
	if _, err := export.Write(io.Discard, "xlsx", seq(sample)); err == nil || err.Error() != `export: format "xlsx": want csv or parquet` {
		t.Errorf("Write of format xlsx: %v", err)
	}
}

// TestDays: DaysOf and DateOfDays are inverses over every date a range
// may hold.
func TestDays(t *testing.T) {
	t.Parallel()
	for d := pricefill.Date(pricefill.MinYear, 1, 1); d.Year() <= pricefill.MaxYear; d = d.AddDate(0, 0, 97) {
		if back := export.DateOfDays(export.DaysOf(d)); !back.Equal(d) || back.Location() != time.UTC {
			t.Fatalf("DateOfDays(DaysOf(%s)) = %s", d.Format(time.DateOnly), back)
		}
	}
	if got := export.DaysOf(pricefill.Date(9999, 12, 31)); got != 2932896 {
		t.Errorf("DaysOf(9999-12-31) = %d, want 2932896", got)
	}
}

// TestWriteHoldsBoundedMemory: the live heap while writing 40 row groups
// of bars grows by less than 2 MiB after the first few, to CSV and to
// Parquet: a write holds a row group at most, never the bars written (a
// Parquet writer in one row group grows by some 4 MiB here). Not
// parallel: other tests' garbage would blur the heap it reads.
func TestWriteHoldsBoundedMemory(t *testing.T) {
	const group, groups = 4096, 40
	for _, f := range []export.Format{export.CSV, export.Parquet} {
		var live []uint64
		bars := func(yield func(pricefill.Bar, error) bool) {
			d := pricefill.Date(1990, 1, 1)
			for i := range group * groups {
				if i%(4*group) == 0 {
					var ms runtime.MemStats
					runtime.GC()
					runtime.ReadMemStats(&ms)
					live = append(live, ms.HeapAlloc)
				}
				p := 100 + float64(i%977)/7
				b := pricefill.Bar{Symbol: "S" + strconv.Itoa(i/2500), Date: d.AddDate(0, 0, i%2500), Open: p, High: p + 1, Low: p - 1,
					Close: p + 0.5, AdjClose: p / 3, Volume: int64(i), Source: "synthetic"}
				if !yield(b, nil) {
					return
				}
			}
		}
		if _, err := export.Write(io.Discard, f, bars, export.WithRowGroupRows(group)); err != nil {
			t.Fatal(err)
		}
		base := live[1] // after 4 row groups
		if grown := int64(slices.Max(live[1:])) - int64(base); grown > 2<<20 {
			t.Errorf("%s: the live heap grew by %.1f MiB over %d bars (samples %v), want under 2 MiB", f, float64(grown)/(1<<20), group*groups, live)
		}
	}
}
