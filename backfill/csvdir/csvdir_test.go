package csvdir

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/internal/csvbars"
	"github.com/pricefill/pricefill/internal/fetchtest"
	"github.com/pricefill/pricefill/internal/testmain"
)

func TestMain(m *testing.M) { testmain.Run(m) }

var d = pricefill.Date

func bar(sym string, date time.Time, o, h, l, c, adj float64, v int64) pricefill.Bar {
	return pricefill.Bar{Symbol: sym, Date: date, Open: o, High: h, Low: l, Close: c, AdjClose: adj, Volume: v, Source: SourceDefault}
}

// setup writes files (path → content) under a new directory and returns a
// Fetcher over it.
func setup(t *testing.T, files map[string]string, opts ...Option) *Fetcher {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := New(dir, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

var january = pricefill.Range{From: d(2024, 1, 1), To: d(2024, 1, 31)}

func TestFetchFormats(t *testing.T) {
	t.Parallel()
	fixture := fetchtest.Fixture(t, "stooq", "aapl_us_d_2024_slice.csv")
	f := setup(t, map[string]string{
		"AAPL.csv": string(fixture),
		// Yahoo's export: an adjusted close (missing on 01-03: AdjClose 0),
		// columns in another order and case.
		"sub/dir/MSFT.CSV": "date,VOLUME,Open,High,Low,Close,Adj Close\n2024-01-02,1000.5,10,11,9,10.5,10.4\n2024-01-03,2000,10.5,12,10,11,,\n",
		// Stooq's bulk download.
		"data/daily/us/nyse stocks/1/brk-b.us.txt": "<TICKER>,<PER>,<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<VOL>,<OPENINT>\n" +
			"BRK-B.US,D,20240102,000000,362.5,364.9,361.2,362.9,3524511,0\n" +
			"BRK-B.US,D,20240103,000000,361.9,363.4,359.8,362.2,3260045.6,0\n",
		"ocdo.uk.txt": "Date,Open,High,Low,Close,Volume\n2024-01-02,700,710,690,705,1\n",
		"notes.md":    "not a price file",
	})
	tests := []struct {
		sym  string
		n    int
		want []pricefill.Bar // the first and last bar
	}{
		{"AAPL", 21, []pricefill.Bar{bar("AAPL", d(2024, 1, 2), 185.224, 186.503, 181.995, 183.731, 0, 83345606), bar("AAPL", d(2024, 1, 31), 185.118, 185.171, 182.455, 182.503, 0, 56044027)}},
		{"msft", 2, []pricefill.Bar{bar("MSFT", d(2024, 1, 2), 10, 11, 9, 10.5, 10.4, 1001), bar("MSFT", d(2024, 1, 3), 10.5, 12, 10, 11, 0, 2000)}},
		{"BRK.B", 2, []pricefill.Bar{bar("BRK.B", d(2024, 1, 2), 362.5, 364.9, 361.2, 362.9, 0, 3524511), bar("BRK.B", d(2024, 1, 3), 361.9, 363.4, 359.8, 362.2, 0, 3260046)}},
		{"OCDO.L", 1, []pricefill.Bar{bar("OCDO.L", d(2024, 1, 2), 700, 710, 690, 705, 0, 1), bar("OCDO.L", d(2024, 1, 2), 700, 710, 690, 705, 0, 1)}},
	}
	for _, tc := range tests {
		s, err := f.Fetch(t.Context(), tc.sym, january)
		if err != nil {
			t.Errorf("%s: %v", tc.sym, err)
			continue
		}
		if len(s.Bars) != tc.n {
			t.Errorf("%s: %d bars, want %d", tc.sym, len(s.Bars), tc.n)
			continue
		}
		if diff := cmp.Diff(tc.want, []pricefill.Bar{s.Bars[0], s.Bars[len(s.Bars)-1]}); diff != "" {
			t.Errorf("%s: first and last (-want +got):\n%s", tc.sym, diff)
		}
		fetchtest.CheckSeries(t, s, strings.ToUpper(tc.sym), SourceDefault, january)
	}
}

func TestFetchWholeFixture(t *testing.T) {
	t.Parallel()
	fixture := fetchtest.Fixture(t, "stooq", "qqq_us_d_2026-01-20_2026-06-18.csv")
	f := setup(t, map[string]string{"qqq.us.txt": string(fixture)}, WithSource("stooq"))
	s, err := f.Fetch(t.Context(), "QQQ", pricefill.Range{From: d(2026, 1, 1), To: d(2026, 12, 31)})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Bars) != 105 {
		t.Fatalf("%d bars, want 105", len(s.Bars))
	}
	want := bar("QQQ", d(2026, 6, 18), 737.2, 741.82, 732.51, 740.62, 0, 50154595)
	want.Source = "stooq"
	if diff := cmp.Diff(want, s.Bars[104]); diff != "" {
		t.Errorf("last (-want +got):\n%s", diff)
	}
}

func TestFetchRows(t *testing.T) {
	t.Parallel()
	f := setup(t, map[string]string{"X.csv": "Date,Open,High,Low,Close,Volume\n" +
		"2024-01-05,1,2,0.5,1.5,5\n" + // unordered
		"2023-12-29,1,2,0.5,1.5,1\n" + // before the range
		"2024-01-03,1,2,0.5,1.5,3\n" +
		"2024-01-04,1,null,0.5,1.5,4\n" + // a missing value: skipped
		"2024-01-05,1,2,0.5,1.6,6\n" + // the same date again: this one wins
		"2024-02-01,1,2,0.5,1.5,7\n"})
	s, err := f.Fetch(t.Context(), "X", january)
	if err != nil {
		t.Fatal(err)
	}
	want := []pricefill.Bar{bar("X", d(2024, 1, 3), 1, 2, 0.5, 1.5, 0, 3), bar("X", d(2024, 1, 5), 1, 2, 0.5, 1.6, 0, 6)}
	if diff := cmp.Diff(want, s.Bars); diff != "" {
		t.Errorf("bars (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]time.Time{d(2024, 1, 4)}, s.Nulls); diff != "" {
		t.Errorf("nulls (-want +got):\n%s", diff)
	}
}

// TestFetchNullRows: the handcrafted Stooq file with rows without prices,
// as a Stooq bulk file and in Yahoo's export layout: its null days are
// reported, in order, once each, within the range, and never as bars.
func TestFetchNullRows(t *testing.T) {
	t.Parallel()
	fixture := string(fetchtest.Fixture(t, "stooq", "handmade_aapl_us_d_2024-01-02_2024-01-12_nulls.csv"))
	f := setup(t, map[string]string{
		"aapl.us.txt": fixture,
		"MSFT.csv": "Date,Open,High,Low,Close,Adj Close,Volume\n" +
			"2024-01-10,1,2,0.5,1.5,1.4,\n" + // no volume: null
			"2024-01-02,1,2,0.5,1.5,,3\n" + // no adjusted close: a bar
			"\n  \n" +
			"2024-01-05,N/A,N/A,N/A,N/A,N/A,N/A\n" +
			"2024-01-10,none,2,0.5,1.5,1.4,8\n" + // again: once
			"2024-02-01,,,,,,\n" + // outside the range
			"2023-12-29,NaN,2,0.5,1.5,1.4,8\n", // outside the range
	})
	for _, tc := range []struct {
		sym   string
		n     int
		nulls []time.Time
	}{
		{"AAPL", 6, []time.Time{d(2024, 1, 4), d(2024, 1, 5), d(2024, 1, 11)}},
		{"MSFT", 1, []time.Time{d(2024, 1, 5), d(2024, 1, 10)}},
	} {
		s, err := f.Fetch(t.Context(), tc.sym, january)
		if err != nil {
			t.Fatalf("%s: %v", tc.sym, err)
		}
		if len(s.Bars) != tc.n {
			t.Errorf("%s: %d bars, want %d: %v", tc.sym, len(s.Bars), tc.n, s.Bars)
		}
		if diff := cmp.Diff(tc.nulls, s.Nulls); diff != "" {
			t.Errorf("%s: nulls (-want +got):\n%s", tc.sym, diff)
		}
		fetchtest.CheckSeries(t, s, tc.sym, SourceDefault, january)
	}
}

func TestFetchErrors(t *testing.T) {
	t.Parallel()
	f := setup(t, map[string]string{
		"NOHEAD.csv": "2024-01-02,1,2,0.5,1.5,5\n",
		"BADROW.csv": "Date,Open,High,Low,Close,Volume\n2024-01-02,1,2,0.5,abc,5\n",
		"SHORT.csv":  "Date,Open,High,Low,Close,Volume\n2024-01-02,1,2\n",
		"INTRA.txt":  "<TICKER>,<PER>,<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<VOL>,<OPENINT>\nINTRA,5,20240102,093500,1,2,0.5,1.5,5,0\n",
		"EMPTY.csv":  "",
	})
	for sym, kind := range map[string]pricefill.Kind{
		"NOHEAD": pricefill.KindPermanent, "BADROW": pricefill.KindPermanent, "SHORT": pricefill.KindPermanent,
		"INTRA": pricefill.KindPermanent, "EMPTY": pricefill.KindPermanent, "MISSING": pricefill.KindNotFound,
		"a b": pricefill.KindPermanent,
	} {
		_, err := f.Fetch(t.Context(), sym, january)
		if got := pricefill.KindOf(err); err == nil || got != kind {
			t.Errorf("%s: error %v (%s), want %s", sym, err, got, kind)
		}
	}
	if _, err := New(filepath.Join(t.TempDir(), "nope")); err == nil {
		t.Error("New on a missing directory: no error")
	}
}

// TestLongLine: a line longer than 64 KiB is permanent, and the error
// names the file and the line.
func TestLongLine(t *testing.T) {
	t.Parallel()
	f := setup(t, map[string]string{
		"LONG.csv":    "Date,Open,High,Low,Close,Volume\n2024-01-02,1,2,0.5,1.5,5\n2024-01-03," + strings.Repeat("1", csvbars.MaxLine) + "\n",
		"NONL.csv":    strings.Repeat("x", 1<<20),
		"QUOTED.csv":  "Date,Open,High,Low,Close,Volume\n\"" + strings.Repeat("1\n", 1<<20),
		"LONGEST.csv": "Date,Open,High,Low,Close,Volume\n2024-01-02,1,2,0.5,1.5,5" + strings.Repeat(" ", csvbars.MaxLine-25) + "\n",
	})
	for sym, want := range map[string]string{
		"LONG":   "LONG.csv: line 3: longer than 64 KiB",
		"NONL":   "NONL.csv: not a bar CSV header: line 1: longer than 64 KiB",
		"QUOTED": "QUOTED.csv: line 3",
	} {
		_, err := f.Fetch(t.Context(), sym, january)
		if pricefill.KindOf(err) != pricefill.KindPermanent || !errors.Is(err, csvbars.ErrTooLong) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want a permanent one containing %q", sym, err, want)
		}
	}
	if s, err := f.Fetch(t.Context(), "LONGEST", january); err != nil || len(s.Bars) != 1 {
		t.Errorf("a line of 64 KiB: %v, %v; want its bar", s, err)
	}
}

// TestNoNewlineBoundedMemory: a 10 MB file without a newline fails having
// allocated a small part of it: the memory of a line, not of the file.
func TestNoNewlineBoundedMemory(t *testing.T) {
	// Not parallel: it reads the process's allocation counter.
	f := setup(t, map[string]string{"BIG.csv": strings.Repeat("1,", 5<<20)})
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := f.Fetch(t.Context(), "BIG", january)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, csvbars.ErrTooLong) {
		t.Fatalf("error %v, want a line too long", err)
	}
	got := after.TotalAlloc - before.TotalAlloc
	if most := uint64(1 << 20); got > most {
		t.Errorf("reading a 10 MB line allocated %d bytes, want at most %d", got, most)
	}
	t.Logf("a 10 MB file without a newline: %d bytes allocated before %v", got, err)
}

// TestNotRegular: a directory, a device or a socket named like a symbol's
// file is permanent for that symbol and named as such; a symbolic link to
// a regular file is read.
func TestNotRegular(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := "Date,Open,High,Low,Close,Volume\n2024-01-02,1,2,0.5,1.5,5\n"
	if err := os.WriteFile(filepath.Join(dir, "real.data"), []byte(good), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "DIR.csv"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{"LINK.csv": "real.data", "DEV.csv": os.DevNull, "DIRLINK.txt": "DIR.csv"} {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	f, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	for sym, want := range map[string]string{
		"DIR":     "DIR.csv is not a regular file (a directory)",
		"DIRLINK": "DIRLINK.txt is not a regular file (a directory)",
		"DEV":     "DEV.csv is not a regular file (a device)",
	} {
		_, err := f.Fetch(t.Context(), sym, january)
		if pricefill.KindOf(err) != pricefill.KindPermanent || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want a permanent one containing %q", sym, err, want)
		}
	}
	if s, err := f.Fetch(t.Context(), "LINK", january); err != nil || len(s.Bars) != 1 {
		t.Errorf("a symbolic link to a regular file: %v, %v; want its bar", s, err)
	}
}

// TestReadFailureTransient: a file that fails to read is transient, not
// a bad file.
func TestReadFailureTransient(t *testing.T) {
	t.Parallel()
	in := iotest.TimeoutReader(strings.NewReader("Date,Open,High,Low,Close,Volume\n2024-01-02,1,2,0.5,1.5,5\n"))
	_, err := parse(t.Context(), iotest.OneByteReader(iotest.DataErrReader(in)), "X", january, SourceDefault)
	if err == nil || pricefill.KindOf(err) != pricefill.KindTransient {
		t.Errorf("error %v, want transient", err)
	}
}

func TestNames(t *testing.T) {
	t.Parallel()
	for sym, want := range map[string][]string{
		"AAPL":   {"aapl.csv", "aapl.txt", "aapl.us.csv", "aapl.us.txt"},
		"BRK.B":  {"brk.b.csv", "brk.b.txt", "brk-b.us.csv", "brk-b.us.txt"},
		"BHP.AX": {"bhp.ax.csv", "bhp.ax.txt"},
	} {
		if diff := cmp.Diff(want, Names(sym)); diff != "" {
			t.Errorf("Names(%s) (-want +got):\n%s", sym, diff)
		}
	}
}

// FuzzParseCSV: whatever the file, parse does not panic, and returns a
// well-formed series or an error, permanent (a bad file) or transient.
func FuzzParseCSV(f *testing.F) {
	r := pricefill.Range{From: d(1900, 1, 1), To: d(2100, 12, 31)}
	fetchtest.Fuzz(f, fetchtest.Parser{
		Parse: func(t *testing.T, body []byte) (*pricefill.Series, error) {
			return parse(t.Context(), bytes.NewReader(body), "X", r, SourceDefault)
		},
		Symbol: "X", Source: SourceDefault, Range: r,
		Kinds: []pricefill.Kind{pricefill.KindPermanent, pricefill.KindTransient},
		Seeds: append(fetchtest.FixtureSeeds(f, "stooq", "aapl_us_d_2024_slice.csv", "qqq_us_d_2026-01-20_2026-06-18.csv", "no_data.txt", "handmade_aapl_us_d_2024-01-02_2024-01-12_nulls.csv"),
			[]byte("<TICKER>,<PER>,<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<VOL>,<OPENINT>\nA,D,20240102,000000,1,2,0.5,1.5,5,0\n"),
			[]byte("date,close,high,low,open,volume,adj close\n2024-01-02,1,2,0.5,1,3,1\n")),
	})
}

// TestActionsOfAYfinanceExport: the Dividends and Stock Splits columns of
// a yfinance export (0 meaning none) are the series' actions, within the
// range, one per date (the later row wins); a ratio below 1 is a reverse
// split. A negative amount is a permanent error naming the line.
func TestActionsOfAYfinanceExport(t *testing.T) {
	t.Parallel()
	head := "Date,Open,High,Low,Close,Volume,Dividends,Stock Splits\n"
	f := setup(t, map[string]string{
		"AAPL.csv": head +
			"2023-12-29,10,11,9,10.5,100,0.5,0.0\n" + // before the range
			"2024-01-02,10,11,9,10.5,100,0.0,0.0\n" +
			"2024-01-03,10,11,9,10.5,100,0.24,0.0\n" +
			"2024-01-04,10,11,9,10.5,100,0.0,4.0\n" +
			"2024-01-05,,,,,,0.0,0.1\n" + // a null day keeps its split
			"2024-01-03,10,11,9,10.5,100,0.25,0\n", // the later row of 01-03
		"MSFT.csv": head + "2024-01-02,10,11,9,10.5,100,-0.1,0\n",
	})
	s, err := f.Fetch(t.Context(), "AAPL", january)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]pricefill.Dividend{{Date: d(2024, 1, 3), Amount: 0.25}}, s.Dividends); diff != "" {
		t.Errorf("dividends (-want +got):\n%s", diff)
	}
	want := []pricefill.Split{{Date: d(2024, 1, 4), Numerator: 4, Denominator: 1}, {Date: d(2024, 1, 5), Numerator: 1, Denominator: 10}}
	if diff := cmp.Diff(want, s.Splits); diff != "" {
		t.Errorf("splits (-want +got):\n%s", diff)
	}
	_, err = f.Fetch(t.Context(), "MSFT", january)
	if !errors.Is(err, pricefill.ErrPermanent) || !strings.Contains(err.Error(), "line 2: dividends") || strings.Contains(err.Error(), "\n") {
		t.Errorf("a negative dividend: %v; want one permanent line naming line 2 and the dividends", err)
	}
	// A file without the columns has no actions.
	plain := setup(t, map[string]string{"AAPL.csv": "Date,Open,High,Low,Close,Volume\n2024-01-02,10,11,9,10.5,100\n"})
	if s, err := plain.Fetch(t.Context(), "AAPL", january); err != nil || s.Dividends != nil || s.Splits != nil {
		t.Errorf("a file without action columns: %v, %v, %v; want no actions", s.Dividends, s.Splits, err)
	}
}
