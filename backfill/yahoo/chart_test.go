package yahoo

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/internal/fetchtest"
)

var d = pricefill.Date

func bar(sym string, date time.Time, o, h, l, c, adj float64, v int64) pricefill.Bar {
	return pricefill.Bar{Symbol: sym, Date: date, Open: o, High: h, Low: l, Close: c, AdjClose: adj, Volume: v, Source: Source}
}

// parseFixture parses the fixture name as the chart answer for sym over r.
func parseFixture(t *testing.T, name, sym string, r pricefill.Range) *pricefill.Series {
	t.Helper()
	return fetchtest.ParseFixture(t, "yahoo", name, func(b []byte) (*pricefill.Series, error) { return parseChart(b, sym, r) })
}

// chartFixtures are the real chart answers, with what they hold, read off
// the files: the count of bars, the first and last one, the asset and
// the events.
var chartFixtures = []struct {
	file        string
	r           pricefill.Range
	asset       pricefill.Asset
	n           int
	first, last pricefill.Bar
	dividends   []pricefill.Dividend
	splits      []pricefill.Split
	nulls       []time.Time
}{
	{
		file:      "chart_AAPL_2020-08-31_2020-11-07_split_dividend.json",
		r:         pricefill.Range{From: d(2020, 8, 31), To: d(2020, 11, 7)},
		asset:     pricefill.Asset{Symbol: "AAPL", Name: "Apple Inc.", Currency: "USD", Exchange: "NMS", Timezone: "America/New_York"},
		n:         49,
		first:     bar("AAPL", d(2020, 8, 31), 127.58000183105469, 131, 126, 129.0399932861328, 125.82673645019531, 225702700),
		last:      bar("AAPL", d(2020, 11, 6), 118.31999969482422, 119.19999694824219, 116.12999725341797, 118.69000244140625, 115.93415069580078, 114457900),
		dividends: []pricefill.Dividend{{Date: d(2020, 11, 6), Amount: 0.205}},
		splits:    []pricefill.Split{{Date: d(2020, 8, 31), Numerator: 4, Denominator: 1}},
	},
	{
		file:  "chart_MSFT_6mo_dividends.json",
		r:     pricefill.Range{From: d(2025, 4, 29), To: d(2025, 10, 29)},
		asset: pricefill.Asset{Symbol: "MSFT", Name: "Microsoft Corporation", Currency: "USD", Exchange: "NMS", Timezone: "America/New_York"},
		n:     127,
		first: bar("MSFT", d(2025, 4, 30), 390.29998779296875, 396.6600036621094, 384.44000244140625, 395.260009765625, 393.88818359375, 36461100),
		// Stamped 16:00:01 New York (20:00 UTC), not at the open: still 10-29.
		last:      bar("MSFT", d(2025, 10, 29), 544.9400024414062, 546.27001953125, 536.7286987304688, 541.5499877929688, 541.5499877929688, 33295714),
		dividends: []pricefill.Dividend{{Date: d(2025, 5, 15), Amount: 0.83}, {Date: d(2025, 8, 21), Amount: 0.83}},
	},
	{
		file:   "chart_NVDA_2021-02-01_2022-01-31_split.json",
		r:      pricefill.Range{From: d(2021, 2, 1), To: d(2022, 1, 31)},
		asset:  pricefill.Asset{Symbol: "NVDA", Name: "NVIDIA Corporation", Currency: "USD", Exchange: "NMS", Timezone: "America/New_York"},
		n:      252,
		first:  bar("NVDA", d(2021, 2, 1), 13.053250312805176, 13.270750045776367, 12.902750015258789, 13.237000465393066, 13.2034912109375, 217204000),
		last:   bar("NVDA", d(2022, 1, 28), 22.011999130249023, 22.857999801635742, 21.29599952697754, 22.84000015258789, 22.802078247070312, 543774000),
		splits: []pricefill.Split{{Date: d(2021, 7, 20), Numerator: 4, Denominator: 1}},
	},
	{
		// London, in pence (GBp); recorded in November, so meta.gmtoffset
		// is 0 although half the bars are in summer time (BST).
		file:  "chart_OCDO.L_2020_full_year.json",
		r:     pricefill.Range{From: d(2020, 1, 1), To: d(2021, 1, 4)},
		asset: pricefill.Asset{Symbol: "OCDO.L", Currency: "GBp", Exchange: "LSE", Timezone: "Europe/London"},
		n:     254,
		first: bar("OCDO.L", d(2020, 1, 2), 1279.5, 1286.5699462890625, 1258, 1259.5, 1259.5, 728520),
		last:  bar("OCDO.L", d(2020, 12, 31), 2260, 2304, 2253, 2287, 2287, 409394),
	},
	{
		// Copenhagen; no bar on 12-31, a Danish holiday.
		file:      "chart_ORSTED.CO_2020_dividend.json",
		r:         pricefill.Range{From: d(2020, 1, 1), To: d(2021, 1, 4)},
		asset:     pricefill.Asset{Symbol: "ORSTED.CO", Currency: "DKK", Exchange: "CPH", Timezone: "Europe/Copenhagen"},
		n:         250,
		first:     bar("ORSTED.CO", d(2020, 1, 2), 685.7999877929688, 688.4000244140625, 677.2000122070312, 681, 663.2068481445312, 340491),
		last:      bar("ORSTED.CO", d(2020, 12, 30), 1272.5, 1275, 1243.5, 1243.5, 1229.214111328125, 449275),
		dividends: []pricefill.Dividend{{Date: d(2020, 3, 3), Amount: 10.5}},
	},
	{
		// XETRA; three timestamps, the middle one (08-07) all null.
		file:  "chart_WSU.DE_2023-08-04_2023-08-09.json",
		r:     pricefill.Range{From: d(2023, 8, 4), To: d(2023, 8, 9)},
		asset: pricefill.Asset{Symbol: "WSU.DE", Currency: "EUR", Exchange: "GER", Timezone: "Europe/Berlin"},
		n:     2,
		first: bar("WSU.DE", d(2023, 8, 4), 34.25, 34.54999923706055, 34.099998474121094, 34.45000076293945, 34.45000076293945, 1251),
		last:  bar("WSU.DE", d(2023, 8, 8), 34.04999923706055, 34.20000076293945, 32.900001525878906, 33.20000076293945, 33.20000076293945, 10846),
		nulls: []time.Time{d(2023, 8, 7)},
	},
}

func TestParseChartFixtures(t *testing.T) {
	t.Parallel()
	for _, tc := range chartFixtures {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			s := parseFixture(t, tc.file, tc.asset.Symbol, tc.r)
			if diff := cmp.Diff(tc.asset, s.Asset); diff != "" {
				t.Errorf("asset (-want +got):\n%s", diff)
			}
			fetchtest.CheckEnds(t, s.Bars, tc.n, tc.first, tc.last)
			if diff := cmp.Diff(tc.dividends, s.Dividends); diff != "" {
				t.Errorf("dividends (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.splits, s.Splits); diff != "" {
				t.Errorf("splits (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.nulls, s.Nulls); diff != "" {
				t.Errorf("nulls (-want +got):\n%s", diff)
			}
			fetchtest.CheckSeries(t, s, tc.asset.Symbol, Source, tc.r)
			for _, b := range s.Bars {
				if wd := b.Date.Weekday(); wd == time.Saturday || wd == time.Sunday {
					t.Errorf("bar on a %s: %s", wd, b.Date.Format(time.DateOnly))
				}
			}
		})
	}
}

// TestParseChartNullDaySkipped: WSU.DE's 2023-08-07 is null in every
// quote array; it is left out, not stored as zeros, and reported as a
// null day, within the range asked for only.
func TestParseChartNullDaySkipped(t *testing.T) {
	t.Parallel()
	const file = "chart_WSU.DE_2023-08-04_2023-08-09.json"
	s := parseFixture(t, file, "WSU.DE", pricefill.Range{From: d(2023, 8, 7), To: d(2023, 8, 7)})
	if len(s.Bars) != 0 {
		t.Errorf("bars %v, want none: the day is null", s.Bars)
	}
	if diff := cmp.Diff([]time.Time{d(2023, 8, 7)}, s.Nulls); diff != "" {
		t.Errorf("nulls (-want +got):\n%s", diff)
	}
	// Stamped 09:00 Berlin = 07:00 UTC: dated in Berlin, the day is 08-07
	// whatever the range's neighbours.
	for _, r := range []pricefill.Range{{From: d(2023, 8, 4), To: d(2023, 8, 6)}, {From: d(2023, 8, 8), To: d(2023, 8, 9)}} {
		if s := parseFixture(t, file, "WSU.DE", r); s.Nulls != nil {
			t.Errorf("%s: nulls %v, want none: 08-07 is outside", r, s.Nulls)
		}
	}
}

// TestParseChartNullStamps: the dates of null timestamps, in the
// exchange's zone, sorted and once each; a date that has a bar from
// another timestamp (Yahoo's current session sent twice, at the open
// with nulls and at the latest trade with prices, or the other way
// round) is not null.
func TestParseChartNullStamps(t *testing.T) {
	t.Parallel()
	syd, err := time.LoadLocation("Australia/Sydney")
	if err != nil {
		t.Fatal(err)
	}
	at := func(day, hour int) int64 { return time.Date(2024, 1, day, hour, 0, 0, 0, syd).Unix() }
	// 10:00 Sydney is 23:00 UTC of the day before: dated by Sydney.
	stamps := []int64{at(12, 10), at(8, 10), at(9, 10), at(9, 15), at(10, 10), at(10, 16), at(11, 10), at(12, 16), at(5, 10), at(15, 10)}
	vals := []string{"null", "null", "null", "3", "4", "null", "5", "null", "1", "null"}
	var ts []string
	for _, st := range stamps {
		ts = append(ts, fmt.Sprint(st))
	}
	arr := "[" + strings.Join(vals, ",") + "]" // the same nulls in every array
	body := `{"chart":{"result":[{"meta":{"exchangeTimezoneName":"Australia/Sydney"},"timestamp":[` + strings.Join(ts, ",") +
		`],"indicators":{"quote":[{"open":` + arr + `,"high":` + arr + `,"low":` + arr + `,"close":` + arr + `,"volume":` + arr + `}]}}]}}`
	r := pricefill.Range{From: d(2024, 1, 8), To: d(2024, 1, 12)}
	s, err := parseChart([]byte(body), "BHP.AX", r)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range s.Bars {
		got = append(got, b.Date.Format(time.DateOnly))
	}
	if diff := cmp.Diff([]string{"2024-01-09", "2024-01-10", "2024-01-11"}, got); diff != "" {
		t.Errorf("bar dates (-want +got):\n%s", diff)
	}
	// 08 and 12 are null (12 twice); 09 and 10 have a bar besides their
	// null stamp; 05 and 15 are outside the range.
	if diff := cmp.Diff([]time.Time{d(2024, 1, 8), d(2024, 1, 12)}, s.Nulls); diff != "" {
		t.Errorf("nulls (-want +got):\n%s", diff)
	}
	fetchtest.CheckSeries(t, s, "BHP.AX", Source, r)
}

// TestParseChartFiltersToRange: a narrower range keeps its own days only,
// counted in the exchange's zone: London's bars of the week after the
// clocks went forward (2020-03-29) are stamped 08:00 BST = 07:00 UTC.
func TestParseChartFiltersToRange(t *testing.T) {
	t.Parallel()
	r := pricefill.Range{From: d(2020, 3, 28), To: d(2020, 4, 3)}
	s := parseFixture(t, "chart_OCDO.L_2020_full_year.json", "OCDO.L", r)
	var got []string
	for _, b := range s.Bars {
		got = append(got, b.Date.Format(time.DateOnly))
	}
	want := []string{"2020-03-30", "2020-03-31", "2020-04-01", "2020-04-02", "2020-04-03"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("dates (-want +got):\n%s", diff)
	}
	// The dividend of ORSTED.CO (2020-03-03) is outside this range.
	s = parseFixture(t, "chart_ORSTED.CO_2020_dividend.json", "ORSTED.CO", r)
	if len(s.Dividends) != 0 {
		t.Errorf("dividends %v outside %s", s.Dividends, r)
	}
}

// chartJSON builds a chart answer for a zone with one bar per stamp;
// volume -1 makes that day's volume null.
func chartJSON(zone string, stamps []time.Time, closes []float64) []byte {
	var ts, q, v []string
	for i, t := range stamps {
		ts = append(ts, fmt.Sprint(t.Unix()))
		q = append(q, fmt.Sprint(closes[i]))
		v = append(v, "1000")
	}
	arr := "[" + strings.Join(q, ",") + "]"
	return []byte(`{"chart":{"result":[{"meta":{"currency":"AUD","symbol":"BHP.AX","exchangeName":"ASX","gmtoffset":36000,"exchangeTimezoneName":"` + zone + `"},` +
		`"timestamp":[` + strings.Join(ts, ",") + `],"indicators":{"quote":[{"open":` + arr + `,"high":` + arr + `,"low":` + arr + `,"close":` + arr + `,"volume":[` + strings.Join(v, ",") + `]}]}}],"error":null}}`)
}

// TestParseChartFarEastDates: Sydney opens at 10:00, which in summer time
// (UTC+11) is 23:00 UTC of the day before. Each bar lands on its local
// trading date, Monday to Friday, not on Sunday to Thursday.
func TestParseChartFarEastDates(t *testing.T) {
	t.Parallel()
	syd, err := time.LoadLocation("Australia/Sydney")
	if err != nil {
		t.Fatal(err)
	}
	var stamps []time.Time
	var closes []float64
	for day := 8; day <= 12; day++ {
		stamps = append(stamps, time.Date(2024, 1, day, 10, 0, 0, 0, syd))
		closes = append(closes, float64(40+day))
	}
	if got := stamps[0].UTC().Weekday(); got != time.Sunday {
		t.Fatalf("test premise: the first stamp is a %s in UTC, want Sunday", got)
	}
	r := pricefill.Range{From: d(2024, 1, 8), To: d(2024, 1, 12)}
	s, err := parseChart(chartJSON("Australia/Sydney", stamps, closes), "BHP.AX", r)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Bars) != 5 {
		t.Fatalf("%d bars, want 5: %v", len(s.Bars), s.Bars)
	}
	for i, b := range s.Bars {
		if want := d(2024, 1, 8+i); !b.Date.Equal(want) || b.Close != float64(48+i) {
			t.Errorf("bar %d: %s close %g, want %s close %d", i, b.Date.Format(time.DateOnly), b.Close, want.Format(time.DateOnly), 48+i)
		}
	}
}

// TestParseChartTodayTwice: Yahoo may send the current session twice,
// stamped at the open and at the latest trade; one bar is kept, the later.
func TestParseChartTodayTwice(t *testing.T) {
	t.Parallel()
	ny, _ := time.LoadLocation("America/New_York")
	stamps := []time.Time{
		time.Date(2025, 10, 28, 9, 30, 0, 0, ny),
		time.Date(2025, 10, 29, 9, 30, 0, 0, ny),
		time.Date(2025, 10, 29, 15, 59, 0, 0, ny),
	}
	s, err := parseChart(chartJSON("America/New_York", stamps, []float64{10, 11, 12}), "MSFT", pricefill.Range{From: d(2025, 10, 28), To: d(2025, 10, 29)})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Bars) != 2 || s.Bars[1].Close != 12 {
		t.Errorf("bars %v, want 2 with the later close 12 on 10-29", s.Bars)
	}
}

func TestParseChartAnswers(t *testing.T) {
	t.Parallel()
	r := pricefill.Range{From: d(2020, 1, 1), To: d(2020, 12, 31)}
	tests := []struct {
		name  string
		body  string
		kind  pricefill.Kind // when an error is wanted
		nBars int
		nulls []time.Time
		err   bool
	}{
		{name: "no timestamp array: no bars", body: `{"chart":{"result":[{"meta":{"currency":"USD","symbol":"AAPL","exchangeName":"NMS","exchangeTimezoneName":"America/New_York"},"indicators":{"quote":[{}],"adjclose":[{}]}}],"error":null}}`},
		{name: "empty result: no bars", body: `{"chart":{"result":[],"error":null}}`},
		{name: "not found in a 200", body: `{"chart":{"result":null,"error":{"code":"Not Found","description":"No data found, symbol may be delisted"}}}`, err: true, kind: pricefill.KindNotFound},
		{name: "no data in range", body: `{"chart":{"result":null,"error":{"code":"Bad Request","description":"Data doesn't exist for startDate = 1, endDate = 2"}}}`},
		{name: "other error", body: `{"chart":{"result":null,"error":{"code":"Internal","description":"boom"}}}`, err: true, kind: pricefill.KindTransient},
		{name: "html outage page", body: "<!DOCTYPE html><html><body>Will be right back</body></html>", err: true, kind: pricefill.KindTransient},
		{name: "plain-text 429 body", body: string(fetchtest.Fixture(t, "yahoo", "error_429_too_many_requests.txt")), err: true, kind: pricefill.KindTransient},
		{name: "cut short", body: `{"chart":{"result":[{"meta":`, err: true, kind: pricefill.KindTransient},
		{name: "no chart", body: `{}`, err: true, kind: pricefill.KindTransient},
		{name: "arrays shorter than timestamps", body: `{"chart":{"result":[{"meta":{"exchangeTimezoneName":"America/New_York"},"timestamp":[1577975400,1578061800],"indicators":{"quote":[{"open":[1],"high":[1],"low":[1],"close":[1],"volume":[1]}]}}]}}`, err: true, kind: pricefill.KindTransient},
		{name: "timestamps without quote", body: `{"chart":{"result":[{"meta":{"exchangeTimezoneName":"America/New_York"},"timestamp":[1577975400],"indicators":{}}]}}`, err: true, kind: pricefill.KindTransient},
		{name: "no exchange zone: never UTC", body: `{"chart":{"result":[{"meta":{},"timestamp":[1577975400],"indicators":{"quote":[{"open":[1],"high":[1],"low":[1],"close":[1],"volume":[1]}]}}]}}`, err: true, kind: pricefill.KindTransient},
		{name: "unknown exchange zone", body: `{"chart":{"result":[{"meta":{"exchangeTimezoneName":"Mars/Olympus"},"timestamp":[1577975400],"indicators":{"quote":[{"open":[1],"high":[1],"low":[1],"close":[1],"volume":[1]}]}}]}}`, err: true, kind: pricefill.KindPermanent},
		{name: "volume out of range", body: `{"chart":{"result":[{"meta":{"exchangeTimezoneName":"America/New_York"},"timestamp":[1577975400],"indicators":{"quote":[{"open":[1],"high":[1],"low":[1],"close":[1],"volume":[1e300]}]}}]}}`, err: true, kind: pricefill.KindTransient},
		{name: "null adjclose only: bar kept, AdjClose 0", body: `{"chart":{"result":[{"meta":{"exchangeTimezoneName":"America/New_York"},"timestamp":[1577975400],"indicators":{"quote":[{"open":[1],"high":[1],"low":[1],"close":[1],"volume":[1]}],"adjclose":[{"adjclose":[null]}]}}]}}`, nBars: 1},
		{name: "null volume: day skipped", body: `{"chart":{"result":[{"meta":{"exchangeTimezoneName":"America/New_York"},"timestamp":[1577975400],"indicators":{"quote":[{"open":[1],"high":[1],"low":[1],"close":[1],"volume":[null]}]}}]}}`, nulls: []time.Time{d(2020, 1, 2)}},
		{name: "null open: day skipped", body: `{"chart":{"result":[{"meta":{"exchangeTimezoneName":"America/New_York"},"timestamp":[1577975400],"indicators":{"quote":[{"open":[null],"high":[1],"low":[1],"close":[1],"volume":[1]}]}}]}}`, nulls: []time.Time{d(2020, 1, 2)}},
		{name: "dividend without amount", body: `{"chart":{"result":[{"meta":{"exchangeTimezoneName":"America/New_York"},"events":{"dividends":{"1":{"date":1577975400}}}}]}}`, err: true, kind: pricefill.KindTransient},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := parseChart([]byte(tc.body), "AAPL", r)
			if tc.err {
				if err == nil {
					t.Fatalf("no error, want %s; series %+v", tc.kind, s)
				}
				if got := pricefill.KindOf(err); got != tc.kind {
					t.Errorf("kind %s, want %s: %v", got, tc.kind, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("error %v, want %d bars", err, tc.nBars)
			}
			if len(s.Bars) != tc.nBars {
				t.Errorf("%d bars, want %d", len(s.Bars), tc.nBars)
			}
			if diff := cmp.Diff(tc.nulls, s.Nulls); diff != "" {
				t.Errorf("nulls (-want +got):\n%s", diff)
			}
			fetchtest.CheckSeries(t, s, "AAPL", Source, r)
		})
	}
}

// FuzzParseChart: whatever the body, parseChart does not panic, and
// returns a well-formed series or a classified error that says it comes
// from yahoo.
func FuzzParseChart(f *testing.F) {
	r := pricefill.Range{From: d(1970, 1, 1), To: d(2100, 12, 31)}
	fetchtest.Fuzz(f, fetchtest.Parser{
		Parse:  func(_ *testing.T, body []byte) (*pricefill.Series, error) { return parseChart(body, "AAPL", r) },
		Symbol: "AAPL", Source: Source, Range: r, Mention: "yahoo",
		Seeds: append(fetchtest.FixtureSeeds(f, "yahoo", "*.json", "*.txt"),
			[]byte(`{"chart":{"result":[{"meta":{"exchangeTimezoneName":"Australia/Sydney"},"timestamp":[1704668400],"indicators":{"quote":[{"open":[1],"high":[1],"low":[1],"close":[1],"volume":[1]}]}}]}}`),
			[]byte(`{"chart":{"result":[{"meta":{"exchangeTimezoneName":"America/New_York"},"timestamp":[1577975400,1577998800,1578061800],"indicators":{"quote":[{"open":[null,1,null],"high":[1,1,1],"low":[1,1,1],"close":[1,1,1],"volume":[1,1,null]}]}}]}}`)),
	})
}

// TestMachineZone runs the fixture tests again with the machine's zone far
// east (UTC+14) and far west (UTC−11) of UTC: dates come from the
// exchange's zone, never the machine's.
func TestMachineZone(t *testing.T) {
	t.Parallel()
	if zone := os.Getenv("PRICEFILL_TEST_TZ"); zone != "" {
		return // the child: the fixture tests run beside this one
	}
	for _, zone := range []string{"Pacific/Kiritimati", "Pacific/Pago_Pago"} {
		t.Run(zone, func(t *testing.T) {
			t.Parallel()
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^(TestParseChartFixtures|TestParseChartFarEastDates|TestLocalZoneChild)$", "-test.count=1")
			cmd.Env = append(os.Environ(), "TZ="+zone, "PRICEFILL_TEST_TZ="+zone)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("tests under TZ=%s: %v\n%s", zone, err, out)
			}
		})
	}
}

// TestLocalZoneChild checks, in the child of TestMachineZone, that the
// machine's zone really is the one asked for.
func TestLocalZoneChild(t *testing.T) {
	zone := os.Getenv("PRICEFILL_TEST_TZ")
	if zone == "" {
		return
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	_, got := now.Zone()
	_, want := now.In(loc).Zone()
	if got != want {
		t.Fatalf("machine zone offset %d, want %d (%s)", got, want, zone)
	}
}
