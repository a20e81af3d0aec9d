package alphavantage

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/backfill/httpopt"
	"github.com/pricefill/pricefill/internal/fetchhttp"
	"github.com/pricefill/pricefill/internal/series"
	"github.com/pricefill/pricefill/internal/ticker"
)

// A Fetcher gets daily bars from Alpha Vantage's TIME_SERIES_DAILY, one
// request per symbol and range. It is safe for concurrent use.
type Fetcher struct {
	cfg httpopt.Config
	red fetchhttp.Redactor
}

var _ backfill.Fetcher = (*Fetcher)(nil)

// New returns a Fetcher configured by opts (those of package httpopt), or
// an error naming the option that is wrong. An API key is required
// (httpopt.WithAPIKey, or WithAPIKeyFromEnv and [EnvAPIKey]); the fetcher's
// clock (httpopt.WithClock) tells today, which decides between outputsize
// compact and full.
func New(opts ...httpopt.Option) (*Fetcher, error) {
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	return &Fetcher{cfg: c, red: fetchhttp.NewRedactor(c.APIKey)}, nil
}

// CompactMaxWeekdays is the longest reach back, in weekdays from the
// range's start to today, that outputsize=compact serves: compact holds
// the latest 100 trading days, and up to 5 of the weekdays are holidays.
// A range that starts earlier asks for outputsize=full.
const CompactMaxWeekdays = 95

// OutputSize returns the outputsize Fetch asks for when r is fetched on
// the date today: "compact" when r starts within [CompactMaxWeekdays]
// weekdays of today, else "full".
func OutputSize(r pricefill.Range, today time.Time) string {
	today = pricefill.DateOf(today)
	n := 0
	for d := r.From; !d.After(today); d = d.AddDate(0, 0, 1) {
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			if n++; n > CompactMaxWeekdays {
				return "full"
			}
		}
	}
	return "compact"
}

// PerMinuteWait is the retry-after of a per-minute quota message, which
// gives none. A daily quota message is a [pricefill.QuotaExceeded] with
// no reset (Alpha Vantage does not say when its day ends), which holds
// every request for the limiter's quota hold.
const PerMinuteWait = time.Minute

// Fetch returns the bars of symbol on the dates of r, out of the compact
// or full series (see [OutputSize]). The bars carry symbol in its
// canonical form.
//
// Alpha Vantage answers everything with HTTP 200, so the body decides: a
// "Note", or an "Information" about the rate limit, is rate limited
// ([PerMinuteWait] for a per-minute quota, a used-up quota for a daily
// one: [pricefill.QuotaExceeded]); any other "Information" (a
// premium-only endpoint or parameter, the demo key) is permanent; an
// "Error Message" is not found ("Invalid API call": Alpha Vantage's answer
// to an unknown symbol) or permanent (about the API key). A day with a
// missing value (empty, null, None, NaN) has no bar: its date is among the
// series' Nulls (see [pricefill.Series.Nulls]). HTTP 429 is rate limited, other 4xx
// permanent, 5xx and network failures transient.
// A redirect is followed only to the scheme, host and port it came from,
// three at most, each after the Runner's limiter granted one more request
// ([backfill.Pace]); a redirect elsewhere, or a fourth, is permanent.
func (f *Fetcher) Fetch(ctx context.Context, symbol string, r pricefill.Range) (*pricefill.Series, error) {
	sym, err := pricefill.NormalizeSymbol(symbol)
	if err != nil {
		return nil, pricefill.Permanent(fmt.Errorf("alphavantage: %w", err))
	}
	what := "alphavantage " + sym
	if err := r.Validate(); err != nil {
		return nil, pricefill.Permanent(fmt.Errorf("%s: %w", what, err))
	}
	q := url.Values{}
	q.Set("function", "TIME_SERIES_DAILY")
	q.Set("symbol", Symbol(sym))
	q.Set("outputsize", OutputSize(r, f.cfg.Clock.Now()))
	q.Set("datatype", "json")
	q.Set("apikey", f.cfg.APIKey)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.cfg.BaseURL+"/query?"+q.Encode(), nil)
	if err != nil {
		return nil, pricefill.Permanent(fmt.Errorf("%s: building the request: %w", what, f.red.Error(err)))
	}
	req.Header.Set("User-Agent", f.cfg.UserAgent)
	req.Header.Set("Accept", "application/json")
	resp, err := fetchhttp.Get(f.cfg.Client, req, f.cfg.MaxBody, f.red, what)
	if err != nil {
		return nil, err
	}
	if resp.Status == http.StatusOK {
		return parse(resp.Body, sym, r, f.red)
	}
	return nil, fetchhttp.StatusError(resp, f.cfg.Clock.Now(), what, fetchhttp.StatusText(resp.Status, resp.Body, f.red))
}

// parse reads an answer with HTTP status 200: a message or a series.
func parse(body []byte, sym string, r pricefill.Range, red fetchhttp.Redactor) (*pricefill.Series, error) {
	what := "alphavantage " + sym
	body = red.Bytes(body)
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil {
		kind := "malformed JSON"
		if fetchhttp.IsHTML(body) {
			kind = "an HTML page, not JSON"
		}
		return nil, fmt.Errorf("%s: %s: %s", what, kind, fetchhttp.Snippet(body, red))
	}
	if err := message(doc, sym, what); err != nil {
		return nil, err
	}
	raw, ok := doc["Time Series (Daily)"]
	if !ok {
		return nil, fmt.Errorf("%s: malformed answer: no \"Time Series (Daily)\": %s", what, fetchhttp.Snippet(body, red))
	}
	var days map[string]map[string]string
	if err := json.Unmarshal(raw, &days); err != nil {
		return nil, fmt.Errorf("%s: malformed time series: %w", what, err)
	}
	s := &pricefill.Series{Asset: asset(doc, sym)}
	var nulls []time.Time
	for date, fields := range days {
		d, err := pricefill.ParseDate(date)
		if err != nil {
			return nil, fmt.Errorf("%s: malformed time series: %.40q is not a date", what, date)
		}
		if !r.Contains(d) {
			continue
		}
		b, complete, err := bar(fields)
		if err != nil {
			return nil, fmt.Errorf("%s: malformed time series on %s: %w", what, date, err)
		}
		if !complete {
			nulls = append(nulls, d)
			continue
		}
		b.Symbol, b.Date, b.Source = sym, d, Source
		s.Bars = append(s.Bars, b)
	}
	s.Dedupe() // one bar per date, the last sent (see pricefill.Series.Dedupe)
	s.Nulls = series.Nulls(nulls, s.Bars)
	return s, nil
}

// message classifies the messages that stand for an error.
func message(doc map[string]json.RawMessage, sym, what string) error {
	text := func(key string) (string, bool) {
		raw, ok := doc[key]
		if !ok {
			return "", false
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			s = string(raw)
		}
		return strings.TrimSpace(s), true
	}
	if m, ok := text("Error Message"); ok {
		lm := strings.ToLower(m)
		switch {
		case strings.Contains(lm, "apikey") || strings.Contains(lm, "api key"):
			return pricefill.Permanent(fmt.Errorf("%s: the API key was refused: %s", what, quote(m)))
		case strings.Contains(lm, "invalid api call"):
			return pricefill.NotFound(sym, fmt.Errorf("alphavantage: %s", quote(m)))
		}
		return pricefill.Permanent(fmt.Errorf("%s: %s", what, quote(m)))
	}
	for _, key := range []string{"Note", "Information"} {
		m, ok := text(key)
		if !ok {
			continue
		}
		if key == "Note" || quotaText(m) {
			err := fmt.Errorf("%s: %s", what, quote(m))
			switch lm := strings.ToLower(m); {
			case strings.Contains(lm, "per minute"):
				return pricefill.RateLimited(PerMinuteWait, err)
			case strings.Contains(lm, "per day"):
				return pricefill.QuotaExceeded(time.Time{}, err)
			}
			return pricefill.RateLimited(0, err)
		}
		return pricefill.Permanent(fmt.Errorf("%s: refused: %s", what, quote(m)))
	}
	return nil
}

// quotaText reports whether an Information message is about the rate
// limit (then it also mentions the premium plans that lift it), not about
// a premium-only feature.
func quotaText(m string) bool {
	lm := strings.ToLower(m)
	for _, s := range []string{"rate limit", "call frequency", "requests per day", "requests per minute", "calls per day", "calls per minute"} {
		if strings.Contains(lm, s) {
			return true
		}
	}
	return false
}

// quote quotes a provider's message for an error text, cut to 200 runes.
func quote(m string) string { return fmt.Sprintf("%.200q", m) }

// bar reads the fields of one day: "1. open", "2. high", "3. low",
// "4. close", "5. volume" (TIME_SERIES_DAILY), or with "5. adjusted close"
// and "6. volume" (the adjusted series). Numbers are strings.
func bar(fields map[string]string) (b pricefill.Bar, complete bool, err error) {
	var have [6]bool
	for key, v := range fields {
		_, name, ok := strings.Cut(key, ". ")
		if !ok {
			continue
		}
		var dst *float64
		i := 0
		switch name {
		case "open":
			dst, i = &b.Open, 0
		case "high":
			dst, i = &b.High, 1
		case "low":
			dst, i = &b.Low, 2
		case "close":
			dst, i = &b.Close, 3
		case "adjusted close":
			dst, i = &b.AdjClose, 4
		case "volume":
			i = 5
		default:
			continue
		}
		v = strings.TrimSpace(v)
		if v == "" || strings.EqualFold(v, "none") || strings.EqualFold(v, "null") {
			continue // missing: a null day
		}
		x, perr := strconv.ParseFloat(v, 64)
		if perr != nil || x != x {
			if perr != nil {
				return b, false, fmt.Errorf("%s %.40q is not a number", name, v)
			}
			continue // NaN: missing
		}
		if dst != nil {
			*dst = x
		} else if b.Volume, err = series.Volume(x); err != nil {
			return b, false, err
		}
		have[i] = true
	}
	complete = have[0] && have[1] && have[2] && have[3] && have[5]
	return b, complete, nil
}

// asset reads the meta data: the time zone. US/Eastern is given as its
// canonical IANA name, America/New_York.
func asset(doc map[string]json.RawMessage, sym string) pricefill.Asset {
	a := pricefill.Asset{Symbol: sym}
	var meta map[string]string
	if raw, ok := doc["Meta Data"]; ok && json.Unmarshal(raw, &meta) == nil {
		for key, v := range meta {
			if _, name, _ := strings.Cut(key, ". "); name == "Time Zone" {
				a.Timezone = v
			}
		}
	}
	if a.Timezone == "US/Eastern" {
		a.Timezone = "America/New_York"
	}
	return a
}

// Symbol returns Alpha Vantage's spelling of a canonical symbol: a share
// class takes a dash (BRK.B → BRK-B); Yahoo's exchange suffixes become
// Alpha Vantage's where they differ (.L → .LON, .TO → .TRT, .V → .TRV,
// .DE → .DEX, .BO → .BSE, .SS → .SHH, .SZ → .SHZ); anything else is
// unchanged.
func Symbol(canonical string) string {
	if base, class, ok := ticker.ShareClass(canonical); ok {
		return base + "-" + class
	}
	if base, suffix, ok := ticker.Suffix(canonical); ok {
		if s, ok := suffixes[suffix]; ok {
			return base + "." + s
		}
	}
	return canonical
}

var suffixes = map[string]string{
	"L": "LON", "TO": "TRT", "V": "TRV", "DE": "DEX", "BO": "BSE", "SS": "SHH", "SZ": "SHZ",
}
