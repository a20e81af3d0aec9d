package series

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill"
)

func TestNormalize(t *testing.T) {
	t.Parallel()
	d := pricefill.Date
	bars := []pricefill.Bar{
		{Date: d(2024, 1, 3), Close: 3},
		{Date: d(2024, 1, 2), Close: 2},
		{Date: d(2024, 1, 3), Close: 33},
		{Date: d(2024, 1, 1), Close: 1},
		{Date: d(2024, 1, 3), Close: 333},
	}
	want := []pricefill.Bar{{Date: d(2024, 1, 1), Close: 1}, {Date: d(2024, 1, 2), Close: 2}, {Date: d(2024, 1, 3), Close: 333}}
	if diff := cmp.Diff(want, Normalize(bars)); diff != "" {
		t.Errorf("Normalize (-want +got):\n%s", diff)
	}
	if got := Normalize(nil); got != nil {
		t.Errorf("Normalize(nil) = %v", got)
	}
}

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
