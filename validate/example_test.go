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
		err := v.Validate(now, r, asset, b)
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

func ExampleNYSECalendar_TradingDays() {
	// Christmas week 2024, from Saturday to Sunday.
	for _, d := range validate.NYSE.TradingDays(pricefill.Date(2024, 12, 21), pricefill.Date(2024, 12, 29)) {
		fmt.Println(d.Format("2006-01-02 Mon"))
	}
	fmt.Println(validate.NYSE.IsTradingDay(pricefill.Date(2025, 1, 9)))   // Carter's day of mourning
	fmt.Println(validate.NYSE.IsTradingDay(pricefill.Date(2021, 12, 31))) // New Year's Day 2022 was a Saturday
	// Output:
	// 2024-12-23 Mon
	// 2024-12-24 Tue
	// 2024-12-26 Thu
	// 2024-12-27 Fri
	// false
	// true
}

func ExampleCalendarFor() {
	for _, a := range []pricefill.Asset{
		{Symbol: "BRK.B"},
		{Symbol: "OCDO.L"},
		{Symbol: "SHOP", Timezone: "America/Toronto"},
	} {
		switch validate.CalendarFor(a) {
		case validate.NYSE:
			fmt.Println(a.Symbol, "NYSE")
		case validate.Weekdays:
			fmt.Println(a.Symbol, "weekdays")
		}
	}
	// Output:
	// BRK.B NYSE
	// OCDO.L weekdays
	// SHOP weekdays
}

func ExampleGaps() {
	r := pricefill.Range{From: pricefill.Date(2024, 12, 16), To: pricefill.Date(2025, 1, 10)}
	stored := []time.Time{
		pricefill.Date(2024, 12, 16), pricefill.Date(2024, 12, 17), pricefill.Date(2024, 12, 18),
		pricefill.Date(2024, 12, 20), // the 19th is missing
		pricefill.Date(2024, 12, 30), pricefill.Date(2024, 12, 31),
		pricefill.Date(2025, 1, 6), pricefill.Date(2025, 1, 7), pricefill.Date(2025, 1, 8), pricefill.Date(2025, 1, 10),
	}
	fmt.Printf("complete: %.1f%%\n", validate.Completeness(validate.NYSE, r, stored))
	gaps := validate.Gaps(validate.NYSE, r, stored)
	fmt.Println("gaps:", gaps)
	// Refetch at most one stored trading day to save a request: the 20th
	// joins the first two gaps; the 30th and 31st keep the third apart.
	fmt.Println("merged:", validate.Merge(validate.NYSE, gaps, 1))
	// Output:
	// complete: 58.8%
	// gaps: [2024-12-19..2024-12-19 2024-12-23..2024-12-27 2025-01-02..2025-01-03]
	// merged: [2024-12-19..2024-12-27 2025-01-02..2025-01-03]
}
