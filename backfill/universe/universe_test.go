package universe_test

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill/universe"
)

// TestSP500MatchesTheSource checks the committed JSON against the CSV it
// was generated from (testdata/sp500_constituents.csv; testdata/SOURCE.md
// says where it came from).
func TestSP500MatchesTheSource(t *testing.T) {
	t.Parallel()
	f, err := os.Open("testdata/sp500_constituents.csv")
	if err != nil {
		t.Fatalf("the source CSV: %v", err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var want []universe.Member
	for _, r := range rows[1:] {
		want = append(want, universe.Member{Symbol: r[0], Name: r[1], Sector: r[2]})
	}
	u := universe.SP500()
	if diff := cmp.Diff(want, u.Symbols); diff != "" {
		t.Errorf("sp500.json differs from the CSV; run go generate ./universe (-csv +json):\n%s", diff)
	}
	if len(u.Symbols) != 503 || u.LastUpdated != "2026-08-08" {
		t.Errorf("%d symbols as of %s, want 503 as of 2026-08-08", len(u.Symbols), u.LastUpdated)
	}
	tickers := strings.Join(u.Tickers(), ",")
	for _, s := range []string{"BRK.B", "BF.B", "GOOGL", "GOOG"} {
		if !strings.Contains(","+tickers+",", ","+s+",") {
			t.Errorf("%s missing", s)
		}
	}
}

func TestSP500ReturnsACopy(t *testing.T) {
	t.Parallel()
	u := universe.SP500()
	u.Symbols[0].Symbol = "CHANGED"
	if got := universe.SP500().Symbols[0].Symbol; got == "CHANGED" {
		t.Errorf("changing one result changed the next")
	}
}

func TestParseRejectsBadFiles(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		json, want string
	}{
		{`{"symbols": []}`, "no symbols"},
		{`{"symbols": [{"symbol": "AAPL"}, {"symbol": "aapl"}]}`, "entry 2: symbol AAPL repeats entry 1"},
		{`{"symbols": [{"symbol": "AAPL"}, {"symbol": "1; DROP TABLE prices"}]}`, `entry 2: symbol "1; DROP TABLE prices"`},
		{`{"symbols": [{"symbol": ""}]}`, `entry 1: symbol "": empty`},
		{`{"tickers": ["AAPL"]}`, `unknown field "tickers"`},
		{`[`, "unexpected EOF"},
		{``, `universe: empty, want a JSON object {"symbols": [{"symbol": "AAPL"}, …]}`},
		{" \n\t", "universe: empty"},
		{`{"symbols": [{"symbol": "AAPL"}]} xyz`, "universe: after the JSON object (33 bytes): invalid character 'x' looking for beginning of value; want exactly one object"},
		{`{"symbols": [{"symbol": "AAPL"}]}{"symbols": [{"symbol": "MSFT"}]}`, "universe: after the JSON object (33 bytes): a second JSON value; want exactly one object"},
		{"{\"symbols\": [{\"symbol\": \"AAPL\"}]}\n\n[]\n", "(33 bytes): a second JSON value"},
		{`{"symbols": [{"symbol": "AAPL"}]}}`, "(33 bytes): invalid character '}'"},
	} {
		_, err := universe.Parse(strings.NewReader(tc.json))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%s) error %v, want one containing %q", tc.json, err, tc.want)
		}
	}
}

func TestParseTakesOneObject(t *testing.T) {
	t.Parallel()
	for _, in := range []string{`{"symbols": [{"symbol": "aapl"}]}`, "\n {\"symbols\": [{\"symbol\": \"AAPL\"}]}\r\n\t \n"} {
		u, err := universe.Parse(strings.NewReader(in))
		if err != nil {
			t.Errorf("Parse(%q): %v", in, err)
			continue
		}
		if diff := cmp.Diff([]string{"AAPL"}, u.Tickers()); diff != "" {
			t.Errorf("Parse(%q) tickers (-want +got):\n%s", in, diff)
		}
	}
}

func TestReadFileNamesTheFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "symbols.json")
	if err := os.WriteFile(path, []byte(`{"symbols": [{"symbol": "AAPL"}]} xyz`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := universe.ReadFile(path)
	if want := path + ": universe: after the JSON object (33 bytes): invalid character 'x'"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("ReadFile: %v, want an error starting %q", err, want)
	}
}

func TestReadFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "mine.json")
	if err := os.WriteFile(path, []byte(`{"name": "mine", "symbols": [{"symbol": " brk.b "}, {"symbol": "^GSPC"}, {"symbol": "7203.T"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	u, err := universe.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"BRK.B", "^GSPC", "7203.T"}, u.Tickers()); diff != "" {
		t.Errorf("tickers (-want +got):\n%s", diff)
	}
	if _, err := universe.ReadFile(filepath.Join(t.TempDir(), "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("ReadFile of a missing file: %v, want an error naming it", err)
	}
}

func ExampleSP500() {
	u := universe.SP500()
	fmt.Println(u.Name, "as of", u.LastUpdated+":", len(u.Symbols), "symbols, first", u.Symbols[0].Symbol, "("+u.Symbols[0].Name+")")
	// Output: S&P 500 as of 2026-08-08: 503 symbols, first MMM (3M)
}

func TestAssets(t *testing.T) {
	t.Parallel()
	u, err := universe.Parse(strings.NewReader(`{"symbols": [{"symbol": "MMM", "name": "3M", "sector": "Industrials"},
		{"symbol": "AAPL", "name": "Apple"}, {"symbol": "BARE"}, {"symbol": "MSFT", "name": "Microsoft"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	got := u.Assets([]string{"MSFT", "BARE", "MMM", "ZZZZ"})
	want := []pricefill.Asset{{Symbol: "MMM", Name: "3M", Sector: "Industrials"}, {Symbol: "MSFT", Name: "Microsoft"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Assets (-want +got):\n%s", diff)
	}
}
