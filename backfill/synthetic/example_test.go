package synthetic_test

import (
	"context"
	"fmt"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill/synthetic"
)

// A week of made-up bars: five weekdays, the same ones for any range that
// holds them.
func Example() {
	f, err := synthetic.New()
	if err != nil {
		panic(err)
	}
	s, err := f.Fetch(context.Background(), "DEMO", pricefill.Range{From: pricefill.Date(2024, 1, 6), To: pricefill.Date(2024, 1, 12)})
	if err != nil {
		panic(err)
	}
	fmt.Println(s.Asset.Name)
	for _, b := range s.Bars {
		fmt.Printf("%s %s low %.2f ≤ open %.2f, close %.2f ≤ high %.2f\n", b.Date.Format(time.DateOnly), b.Source, b.Low, b.Open, b.Close, b.High)
	}
	// Output:
	// Synthetic data for DEMO (not real prices)
	// 2024-01-08 synthetic low 32.81 ≤ open 33.90, close 33.11 ≤ high 34.10
	// 2024-01-09 synthetic low 33.93 ≤ open 34.76, close 34.23 ≤ high 34.87
	// 2024-01-10 synthetic low 33.85 ≤ open 34.17, close 34.89 ≤ high 35.10
	// 2024-01-11 synthetic low 33.84 ≤ open 34.36, close 34.01 ≤ high 34.76
	// 2024-01-12 synthetic low 33.93 ≤ open 34.25, close 34.72 ≤ high 34.74
}
