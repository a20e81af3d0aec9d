// Package series shapes the bars that fetchers return: in date order, one
// per date, with whole volumes.
package series

import (
	"fmt"
	"math"
	"slices"

	"github.com/pricefill/pricefill"
)

// Normalize sorts bars by date and keeps one bar per date: of bars with the
// same date, the one that came last in bars (a provider that sends a day
// twice sends its newer values last). It reorders bars in place and
// returns the shortened slice.
func Normalize(bars []pricefill.Bar) []pricefill.Bar {
	// Stable, so equal dates keep their order and the last one wins.
	slices.SortStableFunc(bars, func(a, b pricefill.Bar) int { return a.Date.Compare(b.Date) })
	out := bars[:0]
	for _, b := range bars {
		if n := len(out); n > 0 && out[n-1].Date.Equal(b.Date) {
			out[n-1] = b
			continue
		}
		out = append(out, b)
	}
	clear(bars[len(out):])
	return out
}

// SortDividends sorts dividends by date.
func SortDividends(ds []pricefill.Dividend) {
	slices.SortStableFunc(ds, func(a, b pricefill.Dividend) int { return a.Date.Compare(b.Date) })
}

// SortSplits sorts splits by date.
func SortSplits(ss []pricefill.Split) {
	slices.SortStableFunc(ss, func(a, b pricefill.Split) int { return a.Date.Compare(b.Date) })
}

// Volume rounds a volume, which some providers report with a fraction, to
// the nearest share. A volume that is not finite or does not fit an int64
// is an error.
func Volume(v float64) (int64, error) {
	r := math.Round(v)
	if math.IsNaN(r) || r >= math.MaxInt64 || r < math.MinInt64 {
		return 0, fmt.Errorf("volume %g out of range", v)
	}
	return int64(r), nil
}
