// Package series shapes what fetchers return: corporate actions in date
// order and whole volumes. One bar per date is pricefill.Series.Dedupe's.
package series

import (
	"fmt"
	"math"
	"slices"

	"github.com/pricefill/pricefill"
)

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
