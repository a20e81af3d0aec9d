package series

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/pricefill/pricefill"
)

func TestVolume(t *testing.T) {
	t.Parallel()
	for v, want := range map[float64]int64{0: 0, 1234.4: 1234, 1234.5: 1235, -0.4: 0, 3260045.6: 3260046} {
		if got, err := Volume(v); err != nil || got != want {
			t.Errorf("Volume(%v) = %d, %v; want %d", v, got, err, want)
		}
	}
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), 1e19, -1e19} {
		if _, err := Volume(v); err == nil {
			t.Errorf("Volume(%v): no error", v)
		}
	}
}

func TestNulls(t *testing.T) {
	t.Parallel()
	d := pricefill.Date
	bars := []pricefill.Bar{{Date: d(2024, 1, 3)}, {Date: d(2024, 1, 5)}}
	got := Nulls([]time.Time{d(2024, 1, 8), d(2024, 1, 3), d(2024, 1, 4), d(2024, 1, 8), d(2024, 1, 5), d(2024, 1, 2)}, bars)
	if diff := cmp.Diff([]time.Time{d(2024, 1, 2), d(2024, 1, 4), d(2024, 1, 8)}, got); diff != "" {
		t.Errorf("nulls (-want +got):\n%s", diff)
	}
	if got := Nulls([]time.Time{d(2024, 1, 5), d(2024, 1, 3)}, bars); got != nil {
		t.Errorf("nulls %v, want nil: every date has a bar", got)
	}
	if got := Nulls(nil, bars); got != nil {
		t.Errorf("nulls %v, want nil", got)
	}
}

// TestNullsProperty: for any dates and bars, Nulls holds exactly the
// dates without a bar, each once, in order.
func TestNullsProperty(t *testing.T) {
	t.Parallel()
	day := func(i int) time.Time { return pricefill.Date(2024, 1, 1).AddDate(0, 0, i) }
	rapid.Check(t, func(rt *rapid.T) {
		served := rapid.SliceOfDistinct(rapid.IntRange(0, 40), rapid.ID).Draw(rt, "served")
		slices.Sort(served)
		var bars []pricefill.Bar
		has := map[int]bool{}
		for _, i := range served {
			bars = append(bars, pricefill.Bar{Date: day(i)})
			has[i] = true
		}
		listed := rapid.SliceOf(rapid.IntRange(0, 40)).Draw(rt, "listed")
		var dates []time.Time
		want := map[int]bool{}
		for _, i := range listed {
			dates = append(dates, day(i))
			if !has[i] {
				want[i] = true
			}
		}
		got := Nulls(dates, bars)
		if len(got) != len(want) {
			rt.Fatalf("%d nulls %v, want %d", len(got), got, len(want))
		}
		for k, g := range got {
			if i := int(g.Sub(day(0)).Hours() / 24); !want[i] {
				rt.Errorf("null %s has a bar or was not listed", g.Format(time.DateOnly))
			}
			if k > 0 && !got[k-1].Before(g) {
				rt.Errorf("null %d: %s not after %s", k, g, got[k-1])
			}
		}
		if len(want) == 0 && got != nil {
			rt.Errorf("nulls %v, want nil", got)
		}
	})
}
