package store_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/export"
	"github.com/pricefill/pricefill/store"
	"github.com/pricefill/pricefill/validate/calendar"
)

// Getting the bars of many symbols out: AllBars streams them by symbol,
// then date, here into a CSV; Coverage says what each symbol has.
func ExampleDB_AllBars() {
	ctx := context.Background()
	db, cleanup := openTemp(ctx) // a store on an SQLite file in a new directory
	defer cleanup()
	for _, sym := range []string{"MSFT", "AAPL"} {
		var bars []pricefill.Bar
		for _, day := range []int{2, 3, 6} { // 2025-01-06 is a Monday
			bars = append(bars, pricefill.Bar{Symbol: sym, Date: pricefill.Date(2025, 1, day),
				Open: 10, High: 12, Low: 9, Close: float64(day), Volume: 100, Source: "example"})
		}
		if _, err := db.Save(ctx, backfill.SaveRequest{Series: &pricefill.Series{Asset: pricefill.Asset{Symbol: sym}, Bars: bars}}); err != nil {
			log.Fatal(err)
		}
	}

	q := store.BarQuery{Range: pricefill.Range{From: pricefill.Date(2025, 1, 3)}} // from the 3rd, every symbol
	if _, err := export.WriteCSV(os.Stdout, db.AllBars(ctx, q)); err != nil {
		log.Fatal(err)
	}

	cov, err := db.Coverage(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range cov {
		fmt.Printf("%s: %d bars, %s to %s, %.0f%% of %d NYSE sessions\n", c.Asset.Symbol, c.Bars,
			c.First.Format(pricefill.DateLayout), c.Last.Format(pricefill.DateLayout),
			c.Completeness(calendar.NYSE), c.Sessions(calendar.NYSE))
	}
	// Output:
	// symbol,date,open,high,low,close,adj_close,volume,source
	// AAPL,2025-01-03,10,12,9,3,,100,example
	// AAPL,2025-01-06,10,12,9,6,,100,example
	// MSFT,2025-01-03,10,12,9,3,,100,example
	// MSFT,2025-01-06,10,12,9,6,,100,example
	// AAPL: 3 bars, 2025-01-02 to 2025-01-06, 100% of 3 NYSE sessions
	// MSFT: 3 bars, 2025-01-02 to 2025-01-06, 100% of 3 NYSE sessions
}
