package yahoo_test

import (
	"context"
	"fmt"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill/httpopt"
	"github.com/pricefill/pricefill/backfill/yahoo"
	"github.com/pricefill/pricefill/internal/upstream"
)

// The fetcher against a fake Yahoo: a share class is asked for as BRK-B
// and returned as BRK.B, a null day has no bar and is reported in Nulls.
func Example() {
	srv, err := upstream.New()
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	srv.SetBars("BRK.B", []pricefill.Bar{
		{Date: pricefill.Date(2024, 1, 8), Open: 358, High: 362.5, Low: 357.1, Close: 361.9, AdjClose: 361.9, Volume: 3_100_000},
		{Date: pricefill.Date(2024, 1, 9), Open: 361, High: 363, Low: 359.2, Close: 360.7, AdjClose: 360.7, Volume: 2_900_000},
		{Date: pricefill.Date(2024, 1, 10), Open: 360.1, High: 364.4, Low: 359.9, Close: 363.8, AdjClose: 363.8, Volume: 3_300_000},
	})
	srv.SetNullDays("BRK.B", pricefill.Date(2024, 1, 9))

	f, err := yahoo.New(httpopt.WithBaseURL(srv.URL()))
	if err != nil {
		panic(err)
	}
	s, err := f.Fetch(context.Background(), "BRK.B", pricefill.Range{From: pricefill.Date(2024, 1, 8), To: pricefill.Date(2024, 1, 12)})
	if err != nil {
		panic(err)
	}
	fmt.Println("asked for", srv.Requests()[0].Path)
	fmt.Println(s.Asset.Currency, s.Asset.Timezone)
	for _, b := range s.Bars {
		fmt.Println(b.Symbol, b.Date.Format(time.DateOnly), b.Close, b.Volume, b.Source)
	}
	for _, n := range s.Nulls {
		fmt.Println("null", n.Format(time.DateOnly))
	}
	// Output:
	// asked for /v8/finance/chart/BRK-B
	// USD America/New_York
	// BRK.B 2024-01-08 361.9 3100000 yahoo
	// BRK.B 2024-01-10 363.8 3300000 yahoo
	// null 2024-01-09
}
