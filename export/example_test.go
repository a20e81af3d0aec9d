package export_test

import (
	"bytes"
	"fmt"
	"os"

	"github.com/parquet-go/parquet-go"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/export"
)

// Bars to CSV. A store's bars come the same way:
// export.Write(f, format, db.AllBars(ctx, store.BarQuery{})).
func Example() {
	bars := []pricefill.Bar{
		{Symbol: "AAPL", Date: pricefill.Date(2025, 1, 2), Open: 248.93, High: 249.1, Low: 241.82, Close: 243.85, AdjClose: 243.26, Volume: 55740700, Source: "yahoo"},
		{Symbol: "MSFT", Date: pricefill.Date(2025, 1, 2), Open: 425.53, High: 426.07, Low: 414.85, Close: 418.58, Volume: 16896500, Source: "yahoo"},
	}
	format, err := export.FormatOf("prices.csv")
	if err != nil {
		panic(err)
	}
	sum, err := export.Write(os.Stdout, format, func(yield func(pricefill.Bar, error) bool) {
		for _, b := range bars {
			if !yield(b, nil) {
				return
			}
		}
	})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d bars of %d symbols\n", sum.Bars, sum.Symbols)
	// Output:
	// symbol,date,open,high,low,close,adj_close,volume,source
	// AAPL,2025-01-02,248.93,249.1,241.82,243.85,243.26,55740700,yahoo
	// MSFT,2025-01-02,425.53,426.07,414.85,418.58,,16896500,yahoo
	// 2 bars of 2 symbols
}

// A Parquet file, read back with parquet-go into export.Row.
func ExampleWriteParquet() {
	bars := func(yield func(pricefill.Bar, error) bool) {
		for i, d := range []int{2, 3, 6} {
			p := 100 + float64(i)
			b := pricefill.Bar{Symbol: "DEMO", Date: pricefill.Date(2025, 1, d), Open: p, High: p + 1, Low: p - 1, Close: p + 0.5, Volume: 1000, Source: "synthetic"}
			if !yield(b, nil) {
				return
			}
		}
	}
	var buf bytes.Buffer
	if _, err := export.WriteParquet(&buf, bars); err != nil {
		panic(err)
	}
	rows, err := parquet.Read[export.Row](bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		panic(err)
	}
	for _, r := range rows {
		b := r.Bar()
		fmt.Printf("%s %s (day %d) close %g\n", b.Symbol, b.Date.Format(pricefill.DateLayout), r.Date, b.Close)
	}
	// Output:
	// DEMO 2025-01-02 (day 20090) close 100.5
	// DEMO 2025-01-03 (day 20091) close 101.5
	// DEMO 2025-01-06 (day 20094) close 102.5
}
