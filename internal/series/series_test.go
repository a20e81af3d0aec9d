package series

import (
	"math"
	"testing"
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
