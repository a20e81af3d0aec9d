package yahoo

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // exchange zones must resolve even where the system has no zoneinfo

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/internal/fetchhttp"
	"github.com/pricefill/pricefill/internal/series"
)

// chartResponse is the body of /v8/finance/chart. Every field that Yahoo
// may send as null is a pointer or a slice of pointers.
type chartResponse struct {
	Chart *struct {
		Result []chartResult `json:"result"`
		Error  *apiError     `json:"error"`
	} `json:"chart"`
}

// apiError is Yahoo's error object, in chart and in finance answers.
type apiError struct {
	Code        string `json:"code"`
	Description string `json:"description"`
}

type chartResult struct {
	Meta struct {
		Currency             string `json:"currency"`
		Symbol               string `json:"symbol"`
		ExchangeName         string `json:"exchangeName"`
		ExchangeTimezoneName string `json:"exchangeTimezoneName"`
		LongName             string `json:"longName"`
		ShortName            string `json:"shortName"`
	} `json:"meta"`
	Timestamp []int64 `json:"timestamp"`
	Events    struct {
		Dividends map[string]struct {
			Amount *float64 `json:"amount"`
			Date   int64    `json:"date"`
		} `json:"dividends"`
		Splits map[string]struct {
			Date        int64    `json:"date"`
			Numerator   *float64 `json:"numerator"`
			Denominator *float64 `json:"denominator"`
		} `json:"splits"`
	} `json:"events"`
	Indicators struct {
		Quote []struct {
			Open   []*float64 `json:"open"`
			High   []*float64 `json:"high"`
			Low    []*float64 `json:"low"`
			Close  []*float64 `json:"close"`
			Volume []*float64 `json:"volume"`
		} `json:"quote"`
		AdjClose []struct {
			AdjClose []*float64 `json:"adjclose"`
		} `json:"adjclose"`
	} `json:"indicators"`
}

// parseChart reads a chart answer (HTTP 200) for sym and keeps what falls
// on the exchange-local dates of r. Errors are classified: Yahoo's "Not
// Found" is not found; an unknown exchange time zone is permanent;
// anything else that cannot be read is a malformed body, transient.
func parseChart(body []byte, sym string, r pricefill.Range) (*pricefill.Series, error) {
	what := "yahoo " + sym
	var resp chartResponse
	if err := json.Unmarshal(body, &resp); err != nil {
		kind := "malformed JSON"
		if fetchhttp.IsHTML(body) {
			kind = "an HTML page, not JSON"
		}
		return nil, fmt.Errorf("%s: %s: %s", what, kind, fetchhttp.Snippet(body, fetchhttp.Redactor{}))
	}
	if resp.Chart == nil {
		return nil, fmt.Errorf("%s: malformed answer: no chart: %s", what, fetchhttp.Snippet(body, fetchhttp.Redactor{}))
	}
	if e := resp.Chart.Error; e != nil {
		switch {
		case e.Code == "Not Found":
			return nil, pricefill.NotFound(sym, fmt.Errorf("yahoo: %s", strconv.Quote(e.Description)))
		case noDataText(e.Description):
			return &pricefill.Series{Asset: pricefill.Asset{Symbol: sym}}, nil
		}
		return nil, fmt.Errorf("%s: error %s: %s", what, strconv.Quote(e.Code), strconv.Quote(e.Description))
	}
	if len(resp.Chart.Result) == 0 {
		return &pricefill.Series{Asset: pricefill.Asset{Symbol: sym}}, nil
	}
	res := &resp.Chart.Result[0]
	m := &res.Meta
	s := &pricefill.Series{Asset: pricefill.Asset{
		Symbol:   sym,
		Name:     cmp.Or(m.LongName, m.ShortName),
		Currency: m.Currency,
		Exchange: m.ExchangeName,
		Timezone: m.ExchangeTimezoneName,
	}}
	if len(res.Timestamp) == 0 && len(res.Events.Dividends) == 0 && len(res.Events.Splits) == 0 {
		return s, nil // Yahoo's way to say: no trading in this range
	}
	loc, err := exchangeZone(m.ExchangeTimezoneName)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if s.Bars, s.Nulls, err = bars(res, sym, loc, r); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if s.Dividends, s.Splits, err = events(res, loc, r); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return s, nil
}

// exchangeZone loads the exchange's IANA zone. Every bar's date is told
// in it: meta.gmtoffset is the offset at the time of the answer, not of
// the bar, and is never used.
func exchangeZone(name string) (*time.Location, error) {
	if name == "" {
		// time.LoadLocation("") is UTC: never guess.
		return nil, errors.New("malformed answer: no meta.exchangeTimezoneName")
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, pricefill.Permanent(fmt.Errorf("unknown exchange time zone %q", name))
	}
	return loc, nil
}

// bars reads the quote arrays: the bar at each timestamp, dated in loc,
// leaving out days outside r. A timestamp with a null in open, high, low,
// close or volume is a null day: its date is among nulls (see
// series.Nulls), unless another timestamp of the date has a bar.
func bars(res *chartResult, sym string, loc *time.Location, r pricefill.Range) (_ []pricefill.Bar, nulls []time.Time, _ error) {
	n := len(res.Timestamp)
	if n == 0 {
		return nil, nil, nil
	}
	if len(res.Indicators.Quote) == 0 {
		return nil, nil, errors.New("malformed answer: timestamps without indicators.quote")
	}
	q := &res.Indicators.Quote[0]
	cols := map[string][]*float64{"open": q.Open, "high": q.High, "low": q.Low, "close": q.Close, "volume": q.Volume}
	var adj []*float64
	if len(res.Indicators.AdjClose) > 0 {
		adj = res.Indicators.AdjClose[0].AdjClose
		cols["adjclose"] = adj
	}
	for name, c := range cols {
		if len(c) != n {
			return nil, nil, fmt.Errorf("malformed answer: %d %s values for %d timestamps", len(c), name, n)
		}
	}
	out := make([]pricefill.Bar, 0, n)
	for i, ts := range res.Timestamp {
		d := pricefill.DateOf(time.Unix(ts, 0).In(loc))
		if !r.Contains(d) {
			continue
		}
		if q.Open[i] == nil || q.High[i] == nil || q.Low[i] == nil || q.Close[i] == nil || q.Volume[i] == nil {
			nulls = append(nulls, d) // a null day: reported, never read as zero
			continue
		}
		vol, err := series.Volume(*q.Volume[i])
		if err != nil {
			return nil, nil, fmt.Errorf("malformed answer: %s: %w", d.Format(pricefill.DateLayout), err)
		}
		b := pricefill.Bar{
			Symbol: sym, Date: d, Source: Source,
			Open: *q.Open[i], High: *q.High[i], Low: *q.Low[i], Close: *q.Close[i],
			Volume: vol,
		}
		if adj != nil && adj[i] != nil {
			b.AdjClose = *adj[i]
		}
		out = append(out, b)
	}
	// Yahoo may send today twice (the session's open and its latest
	// trade): the later one wins, as pricefill.Series.Dedupe keeps it.
	deduped := pricefill.Series{Bars: out}
	deduped.Dedupe()
	return deduped.Bars, series.Nulls(nulls, deduped.Bars), nil
}

// events reads the dividends and splits dated in r.
func events(res *chartResult, loc *time.Location, r pricefill.Range) ([]pricefill.Dividend, []pricefill.Split, error) {
	var divs []pricefill.Dividend
	for key, d := range res.Events.Dividends {
		if d.Date == 0 || d.Amount == nil {
			return nil, nil, fmt.Errorf("malformed answer: dividend %q without date or amount", key)
		}
		if day := pricefill.DateOf(time.Unix(d.Date, 0).In(loc)); r.Contains(day) {
			divs = append(divs, pricefill.Dividend{Date: day, Amount: *d.Amount})
		}
	}
	var splits []pricefill.Split
	for key, s := range res.Events.Splits {
		if s.Date == 0 || s.Numerator == nil || s.Denominator == nil {
			return nil, nil, fmt.Errorf("malformed answer: split %q without date, numerator or denominator", key)
		}
		if day := pricefill.DateOf(time.Unix(s.Date, 0).In(loc)); r.Contains(day) {
			splits = append(splits, pricefill.Split{Date: day, Numerator: *s.Numerator, Denominator: *s.Denominator})
		}
	}
	series.SortDividends(divs)
	series.SortSplits(splits)
	return divs, splits, nil
}

// chartError returns the error object of a chart or finance answer, or nil.
func chartError(body []byte) *apiError {
	var e struct {
		Chart *struct {
			Error *apiError `json:"error"`
		} `json:"chart"`
		Finance *struct {
			Error *apiError `json:"error"`
		} `json:"finance"`
	}
	if json.Unmarshal(body, &e) != nil {
		return nil
	}
	switch {
	case e.Chart != nil && e.Chart.Error != nil:
		return e.Chart.Error
	case e.Finance != nil && e.Finance.Error != nil:
		return e.Finance.Error
	}
	return nil
}

// noData reports whether an error answer says the range has no data:
// 400 "Data doesn't exist for startDate = …, endDate = …".
func noData(body []byte) bool {
	e := chartError(body)
	return e != nil && noDataText(e.Description)
}

func noDataText(desc string) bool {
	return strings.Contains(desc, "Data doesn't exist for startDate")
}
