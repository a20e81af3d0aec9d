// Command gensp500 writes the embedded S&P 500 universe (sp500.json) from
// the constituents CSV of datasets/s-and-p-500-companies. Run it through
// go generate in package universe.
package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

type member struct {
	Symbol string `json:"symbol"`
	Name   string `json:"name"`
	Sector string `json:"sector,omitempty"`
}

type universe struct {
	Name        string   `json:"name"`
	LastUpdated string   `json:"last_updated"`
	Source      string   `json:"source"`
	Symbols     []member `json:"symbols"`
}

func main() {
	if len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: gensp500 CSV LAST_UPDATED SOURCE OUT.json")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2], os.Args[3], os.Args[4]); err != nil {
		fmt.Fprintln(os.Stderr, "gensp500:", err)
		os.Exit(1)
	}
}

func run(in, lastUpdated, source, out string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	if len(rows) < 2 || rows[0][0] != "Symbol" || rows[0][1] != "Security" || rows[0][2] != "GICS Sector" {
		return fmt.Errorf("%s: want the header Symbol,Security,GICS Sector,…", in)
	}
	u := universe{Name: "S&P 500", LastUpdated: lastUpdated, Source: source}
	for _, r := range rows[1:] {
		u.Symbols = append(u.Symbols, member{Symbol: r[0], Name: r[1], Sector: r[2]})
	}
	return os.WriteFile(out, encode(u), 0o644)
}

// encode writes u as JSON with one member a line, so diffs of the list
// read well.
func encode(u universe) []byte {
	var b bytes.Buffer
	str := func(s string) string {
		var sb bytes.Buffer
		e := json.NewEncoder(&sb)
		e.SetEscapeHTML(false)
		_ = e.Encode(s)
		return strings.TrimSuffix(sb.String(), "\n")
	}
	fmt.Fprintf(&b, "{\n  \"name\": %s,\n  \"last_updated\": %s,\n  \"source\": %s,\n  \"symbols\": [\n",
		str(u.Name), str(u.LastUpdated), str(u.Source))
	for i, m := range u.Symbols {
		fmt.Fprintf(&b, "    {\"symbol\": %s, \"name\": %s, \"sector\": %s}", str(m.Symbol), str(m.Name), str(m.Sector))
		if i < len(u.Symbols)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("  ]\n}\n")
	return b.Bytes()
}
