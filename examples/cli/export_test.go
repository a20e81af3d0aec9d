package main_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/export"
	"github.com/pricefill/pricefill/internal/clocktest"
	"github.com/pricefill/pricefill/store"
	"github.com/pricefill/pricefill/validate/calendar"
)

// csvBars reads the bars of an export's CSV file.
func csvBars(t *testing.T, path string) []pricefill.Bar {
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
	if len(records) == 0 || strings.Join(records[0], ",") != "symbol,date,open,high,low,close,adj_close,volume,source" {
		t.Fatalf("%s: header %v", path, records[:min(len(records), 1)])
	}
	var bars []pricefill.Bar
	for _, r := range records[1:] {
		b := pricefill.Bar{Symbol: r[0], Source: r[8]}
		b.Date, _ = pricefill.ParseDate(r[1])
		for i, p := range []*float64{&b.Open, &b.High, &b.Low, &b.Close, &b.AdjClose} {
			if r[2+i] != "" {
				*p, _ = strconv.ParseFloat(r[2+i], 64)
			}
		}
		b.Volume, _ = strconv.ParseInt(r[7], 10, 64)
		bars = append(bars, b)
	}
	return bars
}

// parquetBars reads the bars of an export's Parquet file with parquet-go.
func parquetBars(t *testing.T, path string) []pricefill.Bar {
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
	rows, err := parquet.Read[export.Row](f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	var bars []pricefill.Bar
	for _, r := range rows {
		bars = append(bars, r.Bar())
	}
	return bars
}

// fillForExport stores two years of weekdays up to yesterday for three
// symbols, one of them with unknown adjusted closes, and returns them in
// export order.
func fillForExport(t *testing.T, dsn string) []pricefill.Bar {
	t.Helper()
	db := openDB(t, dsn)
	today := pricefill.DateOf(time.Now().In(calendar.NYSE.Location()))
	var all []pricefill.Bar
	for i, sym := range []string{"AAPL", "BRK.B", "MSFT"} {
		var bars []pricefill.Bar
		for d := today.AddDate(-2, 0, 0); d.Before(today); d = d.AddDate(0, 0, 1) {
			if d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
				continue
			}
			p := 100 + float64(len(bars)%97)/8 + float64(i)
			b := pricefill.Bar{Symbol: sym, Date: d, Open: p, High: p + 1, Low: p - 1, Close: p + 0.25, AdjClose: p / 3, Volume: int64(len(bars)), Source: "yahoo"}
			if sym == "BRK.B" {
				b.AdjClose = 0
			}
			bars = append(bars, b)
		}
		if _, err := db.Save(context.Background(), backfill.SaveRequest{Series: &pricefill.Series{Asset: pricefill.Asset{Symbol: sym}, Bars: bars}}); err != nil {
			t.Fatal(err)
		}
		all = append(all, bars...)
	}
	return all
}

// TestExportWritesTheStoredBars: --export writes every stored bar, the
// default --days notwithstanding, in CSV or Parquet by the extension;
// --symbols, --from, --to and --days given cut it; the file appears whole
// under its name, with no PATH.tmp left, and one line says what it wrote.
func TestExportWritesTheStoredBars(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			dsn := d.dsn(t)
			all := fillForExport(t, dsn)
			dir := t.TempDir()
			today := pricefill.DateOf(time.Now().In(calendar.NYSE.Location()))
			from, to := today.AddDate(-1, 0, 0), today.AddDate(0, -6, 0)
			pick := func(keep func(b pricefill.Bar) bool) []pricefill.Bar {
				var out []pricefill.Bar
				for _, b := range all {
					if keep(b) {
						out = append(out, b)
					}
				}
				return out
			}
			for _, tc := range []struct {
				name string
				args []string
				want []pricefill.Bar
			}{
				{"all.csv", nil, all},
				{"all.parquet", nil, all},
				{"some.csv", []string{"--symbols", "MSFT,BRK.B,NONE", "--from", from.Format(time.DateOnly), "--to", to.Format(time.DateOnly)},
					pick(func(b pricefill.Bar) bool {
						return b.Symbol != "AAPL" && !b.Date.Before(from) && !b.Date.After(to)
					})},
				{"to.parquet", []string{"--to", to.Format(time.DateOnly)}, pick(func(b pricefill.Bar) bool { return !b.Date.After(to) })},
				{"days.csv", []string{"--days", "30"}, pick(func(b pricefill.Bar) bool { return !b.Date.Before(today.AddDate(0, 0, -30)) })},
			} {
				path := filepath.Join(dir, tc.name)
				res := runCLI(t, nil, append([]string{"--db", dsn, "--export", path}, tc.args...)...)
				syms := map[string]bool{}
				for _, b := range tc.want {
					syms[b.Symbol] = true
				}
				if want := fmt.Sprintf("exported %d bars of %d symbols to %s\n", len(tc.want), len(syms), path); res.code != 0 || res.stdout != want {
					t.Errorf("--export %s %v: exit %d, stdout %q; want 0 and %q\n%s", tc.name, tc.args, res.code, res.stdout, want, res.stderr)
					continue
				}
				got := csvBars
				if strings.HasSuffix(tc.name, ".parquet") {
					got = parquetBars
				}
				if diff := cmp.Diff(tc.want, got(t, path)); diff != "" {
					t.Errorf("--export %s %v (-stored +exported):\n%s", tc.name, tc.args, diff)
				}
				if _, err := os.Stat(path + ".tmp"); !os.IsNotExist(err) {
					t.Errorf("--export %s: %s.tmp left behind (%v)", tc.name, tc.name, err)
				}
			}
		})
	}
}

// TestExportFailureLeavesTheFileAlone: an export that cannot write exits 1
// with one line, and the file already at PATH is as it was.
func TestExportFailureLeavesTheFileAlone(t *testing.T) {
	t.Parallel()
	dsn := dialects[0].dsn(t)
	fillForExport(t, dsn)
	path := filepath.Join(t.TempDir(), "prices.csv")
	if err := os.WriteFile(path, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(path+".tmp", 0o755); err != nil { // where the export writes first
		t.Fatal(err)
	}
	res := runCLI(t, nil, "--db", dsn, "--export", path)
	lines := strings.Split(strings.TrimRight(res.stderr, "\n"), "\n")
	if res.code != 1 || len(lines) != 1 || !strings.HasPrefix(lines[0], "pricefill: --export: ") || res.stdout != "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 1 and one line on --export", res.code, res.stdout, res.stderr)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "old\n" {
		t.Errorf("the file at PATH: %q, %v; want it as it was", b, err)
	}
	res = runCLI(t, nil, "--db", dsn, "--export", filepath.Join(t.TempDir(), "no", "such", "dir.parquet"))
	if res.code != 1 || !strings.Contains(res.stderr, "no such file or directory") {
		t.Errorf("--export into a missing directory: exit %d, stderr %q; want 1 and no such file", res.code, res.stderr)
	}
}

// TestExportBadUsageExitsTwo: a bad --export or --coverage is one line and
// exit 2, before the database is opened.
func TestExportBadUsageExitsTwo(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "never.db")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--export", "prices.xlsx"}, `pricefill: --export: "prices.xlsx": unknown extension ".xlsx"; want .csv or .parquet`},
		{[]string{"--export", "prices"}, `pricefill: --export: "prices" has no extension; want .csv or .parquet`},
		{[]string{"--export", "p.csv", "--status"}, "pricefill: --export writes the stored bars and exits: not with --status, --plan or --scheduled"},
		{[]string{"--export", "p.csv", "--scheduled"}, "pricefill: --export writes the stored bars and exits: not with --status, --plan or --scheduled"},
		{[]string{"--coverage"}, "pricefill: --coverage is a view of --status: give --status --coverage"},
	} {
		res := runCLI(t, nil, append([]string{"--db", db}, tc.args...)...)
		if res.code != 2 || res.stderr != tc.want+"\n" {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, res.code, res.stderr, tc.want)
		}
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("bad usage made the database %s (%v)", db, err)
	}
}

// TestStatusCoverage: --status --coverage shows per symbol, in order, the
// span and number of the bars stored, their completeness by the
// listing's calendar, the holes known by reason and the last save; with
// --symbols only those, and the ones not stored said so.
func TestStatusCoverage(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			dsn := d.dsn(t)
			at := time.Date(2025, 6, 10, 22, 0, 0, 0, time.UTC)
			db, err := store.Open(context.Background(), dsn, store.WithClock(clocktest.NewFake(at)))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			// June 2025: the NYSE closes on the 19th (Juneteenth), London
			// does not; VOD.L misses the 9th, a hole, and has 20 of 21.
			june := pricefill.Range{From: pricefill.Date(2025, 6, 2), To: pricefill.Date(2025, 6, 30)}
			for _, a := range []pricefill.Asset{{Symbol: "VOD.L", Timezone: "Europe/London"}, {Symbol: "AAPL", Timezone: "America/New_York"}} {
				var bars []pricefill.Bar
				var holes []backfill.Hole
				for _, day := range calendar.For(a).TradingDays(june.From, june.To) {
					if a.Symbol == "VOD.L" && day.Day() == 9 {
						holes = append(holes, backfill.Hole{Date: day, Reason: backfill.HoleNull, Asks: 1, LastAsked: at})
						continue
					}
					bars = append(bars, pricefill.Bar{Symbol: a.Symbol, Date: day, Open: 2, High: 3, Low: 1, Close: 2, Volume: 5, Source: "yahoo"})
				}
				if a.Symbol == "AAPL" {
					holes = append(holes, backfill.Hole{Date: pricefill.Date(2025, 7, 1), Reason: backfill.HoleLate, Asks: 1, LastAsked: at})
				}
				if _, err := db.Save(context.Background(), backfill.SaveRequest{Series: &pricefill.Series{Asset: a, Bars: bars}, Holes: holes}); err != nil {
					t.Fatal(err)
				}
			}
			if err := db.PutAssets(context.Background(), []pricefill.Asset{{Symbol: "MSFT"}}); err != nil {
				t.Fatal(err)
			}

			res := runCLI(t, nil, "--db", dsn, "--status", "--coverage")
			body := `symbol  first       last        bars  complete  holes       last update
AAPL    2025-06-02  2025-06-30  20    100.0%    1 (1 late)  2025-06-10T22:00:00Z
MSFT    -           -           0     0.0%      0           never
VOD.L   2025-06-02  2025-06-30  20    95.2%     1 (1 null)  2025-06-10T22:00:00Z
`
			want := "coverage of " + db.String() + ": 3 symbols\n" + body
			if res.code != 0 || res.stdout != want {
				t.Errorf("--status --coverage: exit %d (-want +got):\n%s%s", res.code, cmp.Diff(want, res.stdout), res.stderr)
			}
			res = runCLI(t, nil, "--db", dsn, "--status", "--coverage", "--symbols", "VOD.L,TSLA")
			if !strings.HasSuffix(res.stdout, "\nVOD.L   2025-06-02  2025-06-30  20    95.2%     1 (1 null)  2025-06-10T22:00:00Z\nnot stored: TSLA\n") {
				t.Errorf("--status --coverage --symbols VOD.L,TSLA: exit %d:\n%s%s", res.code, res.stdout, res.stderr)
			}
		})
	}
}
