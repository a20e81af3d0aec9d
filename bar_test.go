package pricefill_test

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill"
)

func TestSeriesDedupe(t *testing.T) {
	t.Parallel()
	d := pricefill.Date
	s := pricefill.Series{Bars: []pricefill.Bar{
		{Date: d(2024, 1, 3), Close: 3},
		{Date: d(2024, 1, 2), Close: 2},
		{Date: d(2024, 1, 3), Close: 33},
		{Date: d(2024, 1, 1), Close: 1},
		{Date: d(2024, 1, 3), Close: 333},
	}}
	dups := s.Dedupe()
	want := []pricefill.Bar{{Date: d(2024, 1, 1), Close: 1}, {Date: d(2024, 1, 2), Close: 2}, {Date: d(2024, 1, 3), Close: 333}}
	if diff := cmp.Diff(want, s.Bars); diff != "" {
		t.Errorf("Dedupe: bars (-want +got):\n%s", diff)
	}
	wantDups := []pricefill.Bar{{Date: d(2024, 1, 3), Close: 3}, {Date: d(2024, 1, 3), Close: 33}}
	if diff := cmp.Diff(wantDups, dups); diff != "" {
		t.Errorf("Dedupe: duplicates (-want +got):\n%s", diff)
	}
	if !s.Ordered() {
		t.Errorf("Ordered after Dedupe: false, want true")
	}
	if dups := s.Dedupe(); dups != nil || len(s.Bars) != 3 {
		t.Errorf("Dedupe again: %v removed, %d bars left; want none, 3", dups, len(s.Bars))
	}
	var empty pricefill.Series
	if dups := empty.Dedupe(); dups != nil || empty.Bars != nil {
		t.Errorf("Dedupe of no bars: %v, %v", dups, empty.Bars)
	}
}

func TestSeriesOrdered(t *testing.T) {
	t.Parallel()
	d := pricefill.Date
	for _, tc := range []struct {
		days []int
		want bool
	}{{nil, true}, {[]int{1}, true}, {[]int{1, 2, 5}, true}, {[]int{1, 1}, false}, {[]int{2, 1}, false}, {[]int{1, 3, 2}, false}} {
		var s pricefill.Series
		for _, day := range tc.days {
			s.Bars = append(s.Bars, pricefill.Bar{Date: d(2024, 1, day)})
		}
		if got := s.Ordered(); got != tc.want {
			t.Errorf("Ordered of days %v = %v, want %v", tc.days, got, tc.want)
		}
	}
}

func ExampleSeries_Dedupe() {
	s := pricefill.Series{Bars: []pricefill.Bar{
		{Date: pricefill.Date(2025, 10, 29), Close: 11}, // the session, at the open
		{Date: pricefill.Date(2025, 10, 28), Close: 10},
		{Date: pricefill.Date(2025, 10, 29), Close: 12}, // the same session, later
	}}
	for _, b := range s.Dedupe() {
		fmt.Println("removed", b.Date.Format(pricefill.DateLayout), b.Close)
	}
	for _, b := range s.Bars {
		fmt.Println("kept", b.Date.Format(pricefill.DateLayout), b.Close)
	}
	// Output:
	// removed 2025-10-29 11
	// kept 2025-10-28 10
	// kept 2025-10-29 12
}
