// Package series shapes what fetchers return: corporate actions in date
// order, whole volumes and the null days of [pricefill.Series.Nulls]. One
// bar per date is pricefill.Series.Dedupe's.
package series

import (
	"fmt"
	"math"
	"slices"
	"time"

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

// Nulls returns dates, the days a provider listed without prices, as
// [pricefill.Series.Nulls] holds them: in date order, each once, none of
// them the date of one of bars (a day the provider also sent a bar for,
// such as Yahoo's current session stamped twice, is served, not null), and
// nil when none is left. bars must be in date order, as Dedupe leaves
// them; dates are midnight UTC, already within the range asked for. It
// reorders dates in place.
func Nulls(dates []time.Time, bars []pricefill.Bar) []time.Time {
	slices.SortFunc(dates, func(a, b time.Time) int { return a.Compare(b) })
	dates = slices.CompactFunc(dates, time.Time.Equal)
	out := dates[:0]
	for _, d := range dates {
		_, served := slices.BinarySearchFunc(bars, d, func(b pricefill.Bar, d time.Time) int { return b.Date.Compare(d) })
		if !served {
			out = append(out, d)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return slices.Clip(out)
}
