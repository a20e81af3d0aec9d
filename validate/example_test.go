package validate_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/validate"
)

func ExampleValidator_Validate() {
	v, err := validate.New()
	if err != nil {
		panic(err)
	}
	asset := pricefill.Asset{Symbol: "AAPL", Timezone: "America/New_York"}
	r := pricefill.Range{From: pricefill.Date(2024, 7, 1), To: pricefill.Date(2024, 7, 5)}
	// 11:00 in New York on Friday 2024-07-05: that day's session is open.
	now := time.Date(2024, 7, 5, 15, 0, 0, 0, time.UTC)

	bars := []pricefill.Bar{
		{Symbol: "AAPL", Date: pricefill.Date(2024, 7, 3), Open: 220.0, High: 221.6, Low: 219.0, Close: 221.6, Volume: 37e6},
		{Symbol: "AAPL", Date: pricefill.Date(2024, 7, 4), Open: 221.6, High: 221.6, Low: 221.6, Close: 221.6},
		{Symbol: "AAPL", Date: pricefill.Date(2024, 7, 5), Open: 221.7, High: 226.5, Low: 221.7, Close: 225.9, Volume: 41e6},
		{Symbol: "AAPL", Date: pricefill.Date(2024, 7, 2), Open: 216.2, High: 215.0, Low: 216.1, Close: 0, Volume: -1},
	}
	for _, b := range bars {
		err := v.Validate(now, r, asset, nil, b)
		var invalid *pricefill.InvalidBarError
		switch {
		case err == nil:
			fmt.Println(b.Date.Format(time.DateOnly), "ok")
		case errors.As(err, &invalid):
			for _, vi := range invalid.Violations {
				fmt.Println(b.Date.Format(time.DateOnly), vi.Rule, vi.Field, vi.Value)
			}
		}
	}
	// Output:
	// 2024-07-03 ok
	// 2024-07-04 not_trading_day date 2024-07-04
	// 2024-07-05 session_not_over date 2024-07-05
	// 2024-07-02 price_not_positive close 0
	// 2024-07-02 volume_negative volume -1
}
