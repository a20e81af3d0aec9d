package calendar_test

import (
	"fmt"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/validate/calendar"
)

func ExampleNYSECalendar_TradingDays() {
	// Christmas week 2024, from Saturday to Sunday.
	for _, d := range calendar.NYSE.TradingDays(pricefill.Date(2024, 12, 21), pricefill.Date(2024, 12, 29)) {
		fmt.Println(d.Format("2006-01-02 Mon"))
	}
	fmt.Println(calendar.NYSE.IsTradingDay(pricefill.Date(2025, 1, 9)))   // Carter's day of mourning
	fmt.Println(calendar.NYSE.IsTradingDay(pricefill.Date(2021, 12, 31))) // New Year's Day 2022 was a Saturday
	// Output:
	// 2024-12-23 Mon
	// 2024-12-24 Tue
	// 2024-12-26 Thu
	// 2024-12-27 Fri
	// false
	// true
}

func ExampleFor() {
	for _, a := range []pricefill.Asset{
		{Symbol: "BRK.B"},
		{Symbol: "OCDO.L"},
		{Symbol: "SHOP", Timezone: "America/Toronto"},
		{Symbol: "ENI.MI"},
	} {
		switch c := calendar.For(a).(type) {
		case calendar.NYSECalendar:
			fmt.Println(a.Symbol, "NYSE")
		case calendar.ExchangeCalendar:
			fmt.Println(a.Symbol, c.MIC(), c.Name())
		case calendar.WeekdayCalendar:
			fmt.Println(a.Symbol, "weekdays: no calendar of its exchange here")
		}
	}
	// Output:
	// BRK.B NYSE
	// OCDO.L XLON London Stock Exchange
	// SHOP XTSE Toronto Stock Exchange
	// ENI.MI weekdays: no calendar of its exchange here
}

func ExampleGaps() {
	r := pricefill.Range{From: pricefill.Date(2024, 12, 16), To: pricefill.Date(2025, 1, 10)}
	stored := []time.Time{
		pricefill.Date(2024, 12, 16), pricefill.Date(2024, 12, 17), pricefill.Date(2024, 12, 18),
		pricefill.Date(2024, 12, 20), // the 19th is missing
		pricefill.Date(2024, 12, 30), pricefill.Date(2024, 12, 31),
		pricefill.Date(2025, 1, 6), pricefill.Date(2025, 1, 7), pricefill.Date(2025, 1, 8), pricefill.Date(2025, 1, 10),
	}
	fmt.Printf("complete: %.1f%%\n", calendar.Completeness(calendar.NYSE, r, stored))
	gaps := calendar.Gaps(calendar.NYSE, r, stored)
	fmt.Println("gaps:", gaps)
	// Refetch at most one stored trading day to save a request: the 20th
	// joins the first two gaps; the 30th and 31st keep the third apart.
	fmt.Println("merged:", calendar.Merge(calendar.NYSE, gaps, 1))
	// Output:
	// complete: 58.8%
	// gaps: [2024-12-19..2024-12-19 2024-12-23..2024-12-27 2025-01-02..2025-01-03]
	// merged: [2024-12-19..2024-12-27 2025-01-02..2025-01-03]
}
