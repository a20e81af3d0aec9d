package stooq

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/internal/fetchhttp"
	"github.com/pricefill/pricefill/internal/fetchtest"
)

var d = pricefill.Date

func bar(sym string, date time.Time, o, h, l, c float64, v int64) pricefill.Bar {
	return pricefill.Bar{Symbol: sym, Date: date, Open: o, High: h, Low: l, Close: c, Volume: v, Source: Source}
}

// parseFixture parses the fixture name as the answer for sym over r.
func parseFixture(t *testing.T, name, sym string, r pricefill.Range) *pricefill.Series {
	t.Helper()
	return fetchtest.ParseFixture(t, "stooq", name, func(b []byte) (*pricefill.Series, error) { return parse(b, sym, r, fetchhttp.Redactor{}) })
}

// TestParseFixtures: the real downloads, with counts and the first and
// last rows read off the files.
func TestParseFixtures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file, sym   string
		r           pricefill.Range
		n           int
		first, last pricefill.Bar
	}{
		{"aapl_us_d_2024_slice.csv", "AAPL", pricefill.Range{From: d(2024, 1, 1), To: d(2024, 12, 31)}, 252,
			bar("AAPL", d(2024, 1, 2), 185.224, 186.503, 181.995, 183.731, 83345606),
			bar("AAPL", d(2024, 12, 31), 251.069, 251.905, 248.075, 249.059, 39696389)},
		{"qqq_us_d_2026-01-20_2026-06-18.csv", "QQQ", pricefill.Range{From: d(2026, 1, 20), To: d(2026, 6, 18)}, 105,
			bar("QQQ", d(2026, 1, 20), 610.53, 615.055, 607.05, 608.06, 81988898),
			bar("QQQ", d(2026, 6, 18), 737.2, 741.82, 732.51, 740.62, 50154595)},
		{"spy_us_d_2026-01-27_2026-06-18.csv", "SPY", pricefill.Range{From: d(2026, 1, 27), To: d(2026, 6, 18)}, 100,
			bar("SPY", d(2026, 1, 27), 694.18, 696.53, 693.57, 695.49, 55506147),
			bar("SPY", d(2026, 6, 18), 747.76, 748.23, 743.86, 746.48, 80706349)},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			s := parseFixture(t, tc.file, tc.sym, tc.r)
			fetchtest.CheckEnds(t, s.Bars, tc.n, tc.first, tc.last)
			fetchtest.CheckSeries(t, s, tc.sym, Source, tc.r)
		})
	}
	// None of the real downloads lists a day without prices.
	for _, tc := range tests {
		if s := parseFixture(t, tc.file, tc.sym, tc.r); s.Nulls != nil {
			t.Errorf("%s: nulls %v, want none", tc.file, s.Nulls)
		}
	}
	// A narrower range keeps its own rows.
	s := parseFixture(t, "aapl_us_d_2024_slice.csv", "AAPL", pricefill.Range{From: d(2024, 12, 24), To: d(2024, 12, 27)})
	if len(s.Bars) != 3 { // 24, 26, 27: Christmas is closed
		t.Errorf("%d bars in Christmas week, want 3: %v", len(s.Bars), s.Bars)
	}
}

// TestParseNullRows: the handcrafted fixture's rows without prices are
// null days, within the range asked for only; the date with a later row
// of prices is a bar, not null.
func TestParseNullRows(t *testing.T) {
	t.Parallel()
	const file = "handmade_aapl_us_d_2024-01-02_2024-01-12_nulls.csv"
	for _, tc := range []struct {
		r     pricefill.Range
		bars  []time.Time
		nulls []time.Time
	}{
		{pricefill.Range{From: d(2024, 1, 1), To: d(2024, 1, 31)},
			[]time.Time{d(2024, 1, 2), d(2024, 1, 3), d(2024, 1, 8), d(2024, 1, 9), d(2024, 1, 10), d(2024, 1, 12)},
			[]time.Time{d(2024, 1, 4), d(2024, 1, 5), d(2024, 1, 11)}},
		{pricefill.Range{From: d(2024, 1, 5), To: d(2024, 1, 10)},
			[]time.Time{d(2024, 1, 8), d(2024, 1, 9), d(2024, 1, 10)},
			[]time.Time{d(2024, 1, 5)}},
		{pricefill.Range{From: d(2024, 1, 8), To: d(2024, 1, 10)},
			[]time.Time{d(2024, 1, 8), d(2024, 1, 9), d(2024, 1, 10)}, nil},
	} {
		s := parseFixture(t, file, "AAPL", tc.r)
		fetchtest.CheckDates(t, s, tc.bars, tc.nulls, tc.r.String())
		fetchtest.CheckSeries(t, s, "AAPL", Source, tc.r)
	}
	// The later row of 01-09, with prices, is the bar.
	s := parseFixture(t, file, "AAPL", pricefill.Range{From: d(2024, 1, 9), To: d(2024, 1, 9)})
	if diff := cmp.Diff([]pricefill.Bar{bar("AAPL", d(2024, 1, 9), 182.03, 183.248, 180.851, 183.238, 43286869)}, s.Bars); diff != "" {
		t.Errorf("01-09 (-want +got):\n%s", diff)
	}
}

func TestParseBodies(t *testing.T) {
	t.Parallel()
	r := pricefill.Range{From: d(2024, 1, 1), To: d(2024, 1, 31)}
	tests := []struct {
		name    string
		body    string
		kind    pricefill.Kind
		err     bool
		bars    []pricefill.Bar
		nulls   []time.Time
		mention string // in the error
	}{
		{name: "no data (fixture)", body: string(fetchtest.Fixture(t, "stooq", "no_data.txt")), err: true, kind: pricefill.KindNotFound},
		{name: "no data with a newline", body: "No data\r\n", err: true, kind: pricefill.KindNotFound},
		{name: "daily limit", body: "Exceeded the daily hits limit", err: true, kind: pricefill.KindRateLimited},
		{name: "API key page", body: "<!DOCTYPE html><html><body>Get your apikey: <a href='?get_apikey'>here</a></body></html>", err: true, kind: pricefill.KindPermanent, mention: "API key"},
		{name: "proof-of-work page", body: "<html><head><script>sha256 proof-of-work; fetch('/__verify',{method:'POST'})</script></head></html>", err: true, kind: pricefill.KindPermanent, mention: "proof-of-work"},
		{name: "other HTML page", body: "<html><body>Maintenance</body></html>", err: true, kind: pricefill.KindPermanent, mention: "HTML"},
		{name: "empty", body: "", err: true, kind: pricefill.KindTransient},
		{name: "text", body: "Service temporarily unavailable", err: true, kind: pricefill.KindTransient},
		{name: "bad row", body: "Date,Open,High,Low,Close,Volume\n2024-01-02,x,2,3,4,5\n", err: true, kind: pricefill.KindTransient},
		{name: "short row", body: "Date,Open,High,Low,Close,Volume\n2024-01-02,1,2\n", err: true, kind: pricefill.KindTransient},
		{name: "bad date", body: "Date,Open,High,Low,Close,Volume\n02/01/2024,1,2,0.5,1.5,10\n", err: true, kind: pricefill.KindTransient},
		{name: "no close column", body: "Date,Open,High,Low,Volume\n2024-01-02,1,2,0.5,10\n", err: true, kind: pricefill.KindTransient},
		{
			name:  "fractional volume rounded, empty value skipped, BOM and CRLF",
			body:  "\uFEFFDate,Open,High,Low,Close,Volume\r\n2024-01-02,1,2,0.5,1.5,1234.6\r\n2024-01-03,1,,0.5,1.5,10\r\n2024-01-04,1,2,0.5,1.5,0.4\r\n",
			bars:  []pricefill.Bar{bar("X", d(2024, 1, 2), 1, 2, 0.5, 1.5, 1235), bar("X", d(2024, 1, 4), 1, 2, 0.5, 1.5, 0)},
			nulls: []time.Time{d(2024, 1, 3)},
		},
		{
			name: "no volume column (currencies)",
			body: "Date,Open,High,Low,Close\n2024-01-02,1.1,1.2,1.0,1.15\n",
			bars: []pricefill.Bar{bar("X", d(2024, 1, 2), 1.1, 1.2, 1.0, 1.15, 0)},
		},
		{
			name: "out of range, duplicate and unordered rows",
			body: "Date,Open,High,Low,Close,Volume\n2024-01-05,1,2,0.5,1.5,5\n2023-12-29,1,2,0.5,1.5,1\n2024-01-03,1,2,0.5,1.5,3\n2024-01-05,1,2,0.5,1.6,6\n",
			bars: []pricefill.Bar{bar("X", d(2024, 1, 3), 1, 2, 0.5, 1.5, 3), bar("X", d(2024, 1, 5), 1, 2, 0.5, 1.6, 6)},
		},
		{name: "header only", body: "Date,Open,High,Low,Close,Volume\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := parse([]byte(tc.body), "X", r, fetchhttp.Redactor{})
			if tc.err {
				if err == nil {
					t.Fatalf("no error, want %s; bars %v", tc.kind, s.Bars)
				}
				if got := pricefill.KindOf(err); got != tc.kind {
					t.Errorf("kind %s, want %s: %v", got, tc.kind, err)
				}
				if !strings.Contains(err.Error(), tc.mention) {
					t.Errorf("error %q does not mention %q", err, tc.mention)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.bars, s.Bars); diff != "" {
				t.Errorf("bars (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.nulls, s.Nulls); diff != "" {
				t.Errorf("nulls (-want +got):\n%s", diff)
			}
			fetchtest.CheckSeries(t, s, "X", Source, r)
		})
	}
}

// FuzzParseCSV: whatever the body, parse does not panic, and returns a
// well-formed series or a classified error that never holds the key.
func FuzzParseCSV(f *testing.F) {
	const key = "SECRETKEY1234"
	red := fetchhttp.NewRedactor(key)
	r := pricefill.Range{From: d(1900, 1, 1), To: d(2100, 12, 31)}
	fetchtest.Fuzz(f, fetchtest.Parser{
		Parse:  func(_ *testing.T, body []byte) (*pricefill.Series, error) { return parse(body, "AAPL", r, red) },
		Symbol: "AAPL", Source: Source, Range: r, Key: key, Mention: "stooq",
		Seeds: append(fetchtest.FixtureSeeds(f, "stooq", "*.csv", "no_data.txt"),
			[]byte("Exceeded the daily hits limit"),
			[]byte("<html>apikey</html>"),
			[]byte("Date,Open,High,Low,Close,Volume\n2024-01-02,1,2,0.5,1.5,1e300\n"),
			[]byte("Date,Open,High,Low,Close,Volume\n"+key+",1,2,0.5,1.5,1\n")),
	})
}

func TestSymbol(t *testing.T) {
	t.Parallel()
	ok := map[string]string{
		"AAPL": "aapl.us", "BRK.B": "brk-b.us", "BF-B": "bf-b.us", "LBRD.K": "lbrd-k.us",
		"OCDO.L": "ocdo.uk", "7203.T": "7203.jp", "SAP.DE": "sap.de", "OTP.BD": "otp.hu",
		"AAPL.US": "aapl.us", "TSCO.UK": "tsco.uk", "0700.HK": "0700.hk",
		"^GSPC": "^spx", "^DJI": "^dji", "^IXIC": "^ndq", "^FTSE": "^ukx", "^SPX": "^spx", "^XYZ": "^xyz",
		"EURUSD=X": "eurusd",
	}
	for in, want := range ok {
		if got, err := Symbol(in); err != nil || got != want {
			t.Errorf("Symbol(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"BHP.AX", "SHOP.TO", "CL=F", "NOVO-B.CO"} {
		if got, err := Symbol(in); err == nil {
			t.Errorf("Symbol(%q) = %q, want an error", in, got)
		}
	}
}
