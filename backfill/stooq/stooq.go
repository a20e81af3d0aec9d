package stooq

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/backfill/httpopt"
	"github.com/pricefill/pricefill/internal/csvbars"
	"github.com/pricefill/pricefill/internal/fetchhttp"
	"github.com/pricefill/pricefill/internal/series"
	"github.com/pricefill/pricefill/internal/ticker"
)

// A Fetcher gets daily bars from Stooq's CSV download, one request per
// symbol and range. It is safe for concurrent use.
type Fetcher struct {
	cfg httpopt.Config
	red fetchhttp.Redactor
}

var _ backfill.Fetcher = (*Fetcher)(nil)

// New returns a Fetcher configured by opts (those of package httpopt), or
// an error naming the option that is wrong. The API key, sent as the
// apikey parameter, is optional, but without one Stooq answers with a page
// asking for it (since 2026): a permanent error that names [EnvAPIKey].
func New(opts ...httpopt.Option) (*Fetcher, error) {
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	return &Fetcher{cfg: c, red: fetchhttp.NewRedactor(c.APIKey)}, nil
}

// Fetch returns the bars of symbol on the dates of r. The bars carry
// symbol in its canonical form, whatever form Stooq was asked for.
//
// Only a body that starts with the CSV header "Date," is data; the others
// are told apart by content: "No data" is not found, "Exceeded the daily
// hits limit" a quota used up ([pricefill.QuotaExceeded], with no reset: Stooq does not say when), an HTML page asking for
// an API key or a proof of work permanent, naming the cause. A row with an
// empty value has no bar: its date is among the series' Nulls (see
// [pricefill.Series.Nulls]); fractional volumes are rounded. HTTP 429 is rate
// limited, other 4xx permanent, 5xx and network failures transient.
// A redirect is followed only to the scheme, host and port it came from,
// three at most, each after the Runner's limiter granted one more request
// ([backfill.Pace]); a redirect elsewhere, or a fourth, is permanent.
func (f *Fetcher) Fetch(ctx context.Context, symbol string, r pricefill.Range) (*pricefill.Series, error) {
	sym, err := pricefill.NormalizeSymbol(symbol)
	if err != nil {
		return nil, pricefill.Permanent(fmt.Errorf("stooq: %w", err))
	}
	what := "stooq " + sym
	if err := r.Validate(); err != nil {
		return nil, pricefill.Permanent(fmt.Errorf("%s: %w", what, err))
	}
	ssym, err := Symbol(sym)
	if err != nil {
		return nil, pricefill.NotFound(sym, err)
	}
	q := url.Values{}
	q.Set("s", ssym)
	q.Set("i", "d")
	q.Set("d1", r.From.Format("20060102"))
	q.Set("d2", r.To.Format("20060102"))
	if f.cfg.APIKey != "" {
		q.Set("apikey", f.cfg.APIKey)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.cfg.BaseURL+"/q/d/l/?"+q.Encode(), nil)
	if err != nil {
		return nil, pricefill.Permanent(fmt.Errorf("%s: building the request: %w", what, f.red.Error(err)))
	}
	req.Header.Set("User-Agent", f.cfg.UserAgent)
	req.Header.Set("Accept", "text/csv,text/plain,*/*")
	resp, err := fetchhttp.Get(f.cfg.Client, req, f.cfg.MaxBody, f.red, what)
	if err != nil {
		return nil, err
	}
	switch resp.Status {
	case http.StatusOK:
		return parse(resp.Body, sym, r, f.red)
	case http.StatusNotFound:
		return nil, pricefill.NotFound(sym, fmt.Errorf("stooq: %s", fetchhttp.StatusText(resp.Status, resp.Body, f.red)))
	}
	return nil, fetchhttp.StatusError(resp, f.cfg.Clock.Now(), what, fetchhttp.StatusText(resp.Status, resp.Body, f.red))
}

// parse reads a Stooq answer with HTTP status 200.
func parse(body []byte, sym string, r pricefill.Range, red fetchhttp.Redactor) (*pricefill.Series, error) {
	what := "stooq " + sym
	text := bytes.TrimSpace(fetchhttp.TrimBOM(red.Bytes(body)))
	switch {
	case bytes.HasPrefix(text, []byte("Date,")):
		return parseCSV(text, sym, r, red)
	case bytes.HasPrefix(text, []byte("No data")):
		return nil, pricefill.NotFound(sym, errors.New("stooq: No data"))
	case bytes.Contains(text, []byte("Exceeded the daily hits limit")):
		return nil, pricefill.QuotaExceeded(time.Time{}, fmt.Errorf("%s: daily hits limit exceeded", what))
	case fetchhttp.IsHTML(text):
		return nil, pricefill.Permanent(fmt.Errorf("%s: %s", what, htmlCause(text)))
	case len(text) == 0:
		return nil, fmt.Errorf("%s: empty body", what)
	}
	return nil, fmt.Errorf("%s: malformed body, not CSV: %s", what, fetchhttp.Snippet(text, red))
}

// htmlCause says why Stooq answered with an HTML page instead of CSV.
func htmlCause(page []byte) string {
	p := strings.ToLower(string(page))
	switch {
	case strings.Contains(p, "proof-of-work") || strings.Contains(p, "proof of work") || strings.Contains(p, "__verify"):
		return "stooq answered with a proof-of-work challenge page instead of CSV (it refuses non-browser clients without an API key; set " + EnvAPIKey + ")"
	case strings.Contains(p, "apikey") || strings.Contains(p, "api key") || strings.Contains(p, "api_key"):
		return "stooq answered with a page asking for an API key instead of CSV (set " + EnvAPIKey + ", or the key was refused)"
	}
	return "stooq answered with an HTML page instead of CSV"
}

// parseCSV reads Stooq's CSV, keeping the complete rows dated in r and
// the dates in r of the others as null days.
func parseCSV(text []byte, sym string, r pricefill.Range, red fetchhttp.Redactor) (*pricefill.Series, error) {
	what := "stooq " + sym
	rd, err := csvbars.NewReader(bytes.NewReader(text))
	if err != nil {
		return nil, fmt.Errorf("%s: malformed CSV: %s", what, red.String(err.Error()))
	}
	s := &pricefill.Series{Asset: pricefill.Asset{Symbol: sym}}
	var nulls []time.Time
	for {
		row, complete, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: malformed CSV: %s", what, red.String(err.Error()))
		}
		switch {
		case !r.Contains(row.Date):
		case complete:
			s.Bars = append(s.Bars, row.Bar(sym, Source))
		default:
			nulls = append(nulls, row.Date)
		}
	}
	s.Dedupe() // one bar per date, the last sent (see pricefill.Series.Dedupe)
	s.Nulls = series.Nulls(nulls, s.Bars)
	return s, nil
}

// Symbol returns Stooq's spelling of a canonical symbol, or an error when
// Stooq has no market for it:
//
//	AAPL → aapl.us       US listings take .us
//	BRK.B → brk-b.us     share classes take a dash
//	OCDO.L → ocdo.uk     London; also .T → .jp (Tokyo), .BD → .hu (Budapest)
//	SAP.DE → sap.de      Stooq's own markets pass: .us .uk .de .jp .hk .hu
//	^GSPC → ^spx         indices by a table (^DJI ^IXIC ^NDX ^FTSE ^GDAXI ^N225 ^HSI ^FCHI);
//	                     other ^ names pass lower-cased, as Stooq's own (^SPX → ^spx)
//	EURUSD=X → eurusd    Yahoo's currency pairs
//
// Other exchange suffixes (BHP.AX, SHOP.TO) and other = symbols (futures
// such as CL=F) have no mapping and are an error.
func Symbol(canonical string) (string, error) {
	sym := strings.ToUpper(canonical)
	switch {
	case strings.HasPrefix(sym, "^"):
		if s, ok := indices[sym]; ok {
			return s, nil
		}
		return strings.ToLower(sym), nil
	case strings.HasSuffix(sym, "=X") && len(sym) == 8:
		return strings.ToLower(sym[:6]), nil
	case strings.Contains(sym, "="):
		return "", fmt.Errorf("stooq: no mapping for %s (only currency pairs such as EURUSD=X)", canonical)
	}
	if base, class, ok := ticker.ShareClass(sym); ok {
		return strings.ToLower(base + "-" + class + ".us"), nil
	}
	if base, suffix, ok := ticker.Suffix(sym); ok {
		if m, ok := markets[suffix]; ok {
			return strings.ToLower(base + "." + m), nil
		}
		return "", fmt.Errorf("stooq: no market for the exchange suffix .%s of %s", suffix, canonical)
	}
	return strings.ToLower(sym + ".us"), nil
}

// markets maps exchange suffixes, Yahoo's and Stooq's own, to Stooq's.
var markets = map[string]string{
	"US": "us", "UK": "uk", "DE": "de", "JP": "jp", "HK": "hk", "HU": "hu",
	"L": "uk", "T": "jp", "BD": "hu",
}

// indices maps Yahoo's index symbols to Stooq's.
var indices = map[string]string{
	"^GSPC":  "^spx",
	"^DJI":   "^dji",
	"^IXIC":  "^ndq",
	"^NDX":   "^ndx",
	"^FTSE":  "^ukx",
	"^GDAXI": "^dax",
	"^N225":  "^nkx",
	"^HSI":   "^hsi",
	"^FCHI":  "^cac",
}
