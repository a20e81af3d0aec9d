package e2e

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/csv"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/backfill/synthetic"
	"github.com/pricefill/pricefill/export"
	"github.com/pricefill/pricefill/internal/upstream"
)

var (
	exportSymbols  = flag.Int("e2e.export-symbols", 20, "TestExportMemoryIsFlat exports this many symbols of 10 years of bars, then a fifth of them (500 for the README's 1.26 M against 0.25 M bars)")
	exportRowGroup = flag.Int("e2e.export-row-group", 2048, "the rows of a Parquet row group in TestExportMemoryIsFlat's exports; 0 for the program's default (with -e2e.export-symbols 500)")
)

// A priceRow is a row of prices as SQL reads it, and as an export must
// write it: the date as YYYY-MM-DD, an unknown adjusted close nil.
type priceRow struct {
	Symbol, Date           string
	Open, High, Low, Close float64
	AdjClose               *float64
	Volume                 int64
	Source                 string
}

// byteOrder orders rows as an export does: by the symbol's bytes, then
// date.
func byteOrder(a, b priceRow) int {
	return cmp.Or(strings.Compare(a.Symbol, b.Symbol), strings.Compare(a.Date, b.Date))
}

// databaseRows reads every row of prices, with its symbol, with SQL on a
// connection of its own, in export order.
func databaseRows(t *testing.T, dsn string) []priceRow {
	t.Helper()
	rows, err := rawDB(t, dsn).QueryContext(context.Background(), `SELECT a.symbol, p.date, p.open, p.high, p.low, p.close,
		p.adj_close, p.volume, p.source FROM prices p JOIN assets a ON a.id = p.asset_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []priceRow
	for rows.Next() {
		var (
			r   priceRow
			d   any
			adj sql.NullFloat64
		)
		if err := rows.Scan(&r.Symbol, &d, &r.Open, &r.High, &r.Low, &r.Close, &adj, &r.Volume, &r.Source); err != nil {
			t.Fatal(err)
		}
		switch v := d.(type) {
		case time.Time: // PostgreSQL's date
			r.Date = v.Format(time.DateOnly)
		case string: // SQLite's text
			r.Date = v
		default:
			t.Fatalf("a date of %T", d)
		}
		if adj.Valid {
			r.AdjClose = &adj.Float64
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(out, byteOrder)
	return out
}

// csvRows reads the rows of an exported CSV file.
func csvRows(t *testing.T, path string) []priceRow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Join(export.Columns, ","); len(records) == 0 || strings.Join(records[0], ",") != want {
		t.Fatalf("%s: header %q, want %q", path, records[:min(len(records), 1)], want)
	}
	var out []priceRow
	for i, rec := range records[1:] {
		r := priceRow{Symbol: rec[0], Date: rec[1], Source: rec[8]}
		var errs []error
		for j, p := range []*float64{&r.Open, &r.High, &r.Low, &r.Close} {
			var err error
			*p, err = strconv.ParseFloat(rec[2+j], 64)
			errs = append(errs, err)
		}
		if rec[6] != "" {
			adj, err := strconv.ParseFloat(rec[6], 64)
			r.AdjClose, errs = &adj, append(errs, err)
		}
		var err error
		r.Volume, err = strconv.ParseInt(rec[7], 10, 64)
		if _, derr := time.Parse(time.DateOnly, r.Date); derr != nil || err != nil || slices.ContainsFunc(errs, func(e error) bool { return e != nil }) {
			t.Fatalf("%s line %d %q: %v %v %v", path, i+2, rec, derr, err, errs)
		}
		out = append(out, r)
	}
	return out
}

// parquetSchema is the schema of an exported Parquet file, as package
// export documents it.
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

// parquetRows reads the rows of an exported Parquet file with
// parquet-go, the adjusted close as an optional value, after checking its
// schema.
func parquetRows(t *testing.T, path string) []priceRow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	if diff := gocmp.Diff(parquetSchema, pf.Schema().String()); diff != "" {
		t.Errorf("%s: schema (-documented +written):\n%s", path, diff)
	}
	type row struct {
		Symbol   string   `parquet:"symbol"`
		Date     int32    `parquet:"date,date"`
		Open     float64  `parquet:"open"`
		High     float64  `parquet:"high"`
		Low      float64  `parquet:"low"`
		Close    float64  `parquet:"close"`
		AdjClose *float64 `parquet:"adj_close,optional"`
		Volume   int64    `parquet:"volume"`
		Source   string   `parquet:"source"`
	}
	rows, err := parquet.Read[row](f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	out := make([]priceRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, priceRow{Symbol: r.Symbol, Date: export.DateOfDays(r.Date).Format(time.DateOnly), Open: r.Open, High: r.High,
			Low: r.Low, Close: r.Close, AdjClose: r.AdjClose, Volume: r.Volume, Source: r.Source})
	}
	return out
}

// runExport runs the program's --export to path with args and returns
// the run, checking its one line of output. Its peak RSS is the one the
// program notes itself (see PRICEFILL_E2E_PEAK_FILE in examples/cli),
// where it can (Linux); else its rusage's, which has the test process's
// own peak as a floor.
func runExport(t *testing.T, ctx context.Context, dsn, path string, bars, syms int, env []string, args ...string) measuredRun {
	t.Helper()
	cmd, out := cliCommand(t, ctx, append([]string{"--db", dsn, "--export", path}, args...)...)
	peakFile := path + ".peak"
	cmd.Env = append(append(cmd.Env, env...), "PRICEFILL_E2E_PEAK_FILE="+peakFile)
	start := time.Now()
	err := cmd.Run()
	r := measuredRun{code: exitCode(t, err), out: out.String(), took: time.Since(start), maxRSS: peakRSS(cmd.ProcessState)}
	if want := fmt.Sprintf("exported %d bars of %d symbols to %s\n", bars, syms, path); r.code != 0 || r.out != want {
		t.Fatalf("--export %s %v: exit %d, output %q; want 0 and %q", filepath.Base(path), args, r.code, r.out, want)
	}
	if b, err := os.ReadFile(peakFile); err == nil {
		if r.maxRSS, err = strconv.ParseInt(string(b), 10, 64); err != nil {
			t.Fatalf("%s: %v", peakFile, err)
		}
	} else if runtime.GOOS == "linux" {
		t.Fatalf("the program noted no peak: %v", err)
	}
	return r
}

// TestExportHasTheDatabasesRows: after a run of the program against the
// fake provider (an adjusted close it serves negative stored as NULL),
// --export of everything writes exactly the database's rows, as SQL reads
// them: to CSV, and to Parquet, which parquet-go reads back with the
// documented schema and the same values. Exports make no request.
func TestExportHasTheDatabasesRows(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dsn string) {
		srv := upstream.ForTest(t)
		syms := append(symbols("EXP", 4), "BRK.B", "VOD.L", "7203.T", "^GSPC")
		now := time.Now()
		served := srv.ValidBars(syms[0], runRange(now, 90), now)
		served[3].AdjClose = -served[3].AdjClose // dropped: NULL
		srv.SetBars(syms[0], served)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd, out := cliCommand(t, ctx, "--db", dsn, "--base-url", srv.URL(), "--symbols", strings.Join(syms, ","),
			"--days", "90", "--rate", rateNoLimt, "--log-level", "warn")
		if code := exitCode(t, cmd.Run()); code != 0 {
			t.Fatalf("the run: exit %d, want 0:\n%s", code, out)
		}
		want := databaseRows(t, dsn)
		nulls := 0
		for _, r := range want {
			if r.AdjClose == nil {
				nulls++
			}
		}
		if len(want) < 8*50 || nulls != 1 {
			t.Fatalf("%d rows stored, %d with adj_close NULL; want 8 symbols of 90 days, and 1", len(want), nulls)
		}
		srv.Reset()
		dir := t.TempDir()
		for _, name := range []string{"all.csv", "all.parquet"} {
			path := filepath.Join(dir, name)
			run := runExport(t, ctx, dsn, path, len(want), len(syms), nil)
			t.Logf("--export %s: %s", name, run)
			read := csvRows
			if strings.HasSuffix(name, ".parquet") {
				read = parquetRows
			}
			if diff := gocmp.Diff(want, read(t, path)); diff != "" {
				t.Errorf("--export %s: the file's rows differ from the database's (-database +file):\n%s", name, diff)
			}
		}
		if n := len(srv.Requests()); n != 0 {
			t.Errorf("the exports made %d requests, want none", n)
		}
	})
}

// TestExportMemoryIsFlat: the program's peak RSS (VmHWM, as it notes it)
// exporting every bar of -e2e.export-symbols symbols over 10 years is at
// most 1.5 times that of exporting a fifth of them, to CSV and to
// Parquet: the export streams, its memory does not grow with the bars.
// The defaults keep it short, with row groups of 2,048 rows (a Parquet
// writer holds one); the README's figures are of -e2e.export-symbols 500
// -e2e.export-row-group 0 (1.26 M against 0.25 M bars, the program's own
// row groups) without -race, whose shadow memory the program's would
// otherwise include.
func TestExportMemoryIsFlat(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dsn string) {
		n := *exportSymbols
		if n < 5 {
			t.Fatalf("-e2e.export-symbols %d: want 5 or more", n)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		db := openStore(t, dsn)
		f, err := synthetic.New()
		if err != nil {
			t.Fatal(err)
		}
		r := pricefill.Range{From: pricefill.Date(2016, 1, 1), To: pricefill.Date(2025, 12, 31)}
		syms := symbols("MEM", n)
		total, few := 0, 0
		for i, s := range syms {
			series, err := f.Fetch(ctx, s, r)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Save(ctx, backfill.SaveRequest{Series: series, Range: r}); err != nil {
				t.Fatal(err)
			}
			total += len(series.Bars)
			if i < n/5 {
				few += len(series.Bars)
			}
		}
		var env []string
		if *exportRowGroup > 0 {
			env = append(env, "PRICEFILL_E2E_ROW_GROUP_ROWS="+strconv.Itoa(*exportRowGroup))
		}
		dir := t.TempDir()
		for _, format := range []string{"csv", "parquet"} {
			all := runExport(t, ctx, dsn, filepath.Join(dir, "all."+format), total, n, env)
			fifth := runExport(t, ctx, dsn, filepath.Join(dir, "fifth."+format), few, n/5, env,
				"--symbols", strings.Join(syms[:n/5], ","))
			ratio := float64(all.maxRSS) / float64(fifth.maxRSS)
			t.Logf("%s: %d bars: %s; %d bars: %s; ratio %.2f", format, total, all, few, fifth, ratio)
			if ratio > 1.5 {
				t.Errorf("%s: peak RSS %s exporting %d bars, %s exporting %d: %.2f times, want at most 1.5 (flat)",
					format, mib(all.maxRSS), total, mib(fifth.maxRSS), few, ratio)
			}
		}
	})
}
