package yahoo

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/backfill/httpopt"
	"github.com/pricefill/pricefill/internal/fetchhttp"
	"github.com/pricefill/pricefill/internal/ticker"
)

// A Fetcher gets daily bars from Yahoo Finance's chart API, one request per
// symbol and range, plus a cookie page and a crumb request when Yahoo asks
// for a session (401), each of which waits on the runner's limiter first
// ([backfill.Pace]). It is safe for concurrent use; the session it holds
// is shared by all its fetches and refreshed by one of them at a time.
type Fetcher struct {
	cfg httpopt.Config

	// refreshing holds one token: the right to refresh the session.
	refreshing chan struct{}

	mu   sync.Mutex
	sess *session // nil until Yahoo first asks for a crumb
}

var _ backfill.Fetcher = (*Fetcher)(nil)

// A session is Yahoo's cookie and the crumb issued for it.
type session struct {
	cookies []*http.Cookie
	crumb   string
}

// New returns a Fetcher configured by opts (those of package httpopt, and
// [WithCookieURL]), or an error naming the option that is wrong. Yahoo
// takes no API key.
func New(opts ...httpopt.Option) (*Fetcher, error) {
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	return &Fetcher{cfg: c, refreshing: make(chan struct{}, 1)}, nil
}

// Symbol returns Yahoo's spelling of a canonical symbol: a share class
// takes a dash (BRK.B → BRK-B), everything else is unchanged (OCDO.L,
// BHP.AX, ^GSPC, EURUSD=X).
func Symbol(canonical string) string {
	if base, class, ok := ticker.ShareClass(canonical); ok {
		return base + "-" + class
	}
	return canonical
}

// Period returns the period1 and period2 parameters (Unix seconds) that
// Fetch sends for r: from the first instant of r.From anywhere on Earth
// (UTC+14) to the last instant of r.To anywhere (UTC−12), period2 being
// exclusive. Whatever the exchange's zone, every bar of the inclusive
// range is inside; Fetch drops the bars of neighbouring days by their
// exchange-local date.
func Period(r pricefill.Range) (period1, period2 int64) {
	return r.From.Add(-14 * time.Hour).Unix(), r.To.AddDate(0, 0, 1).Add(12 * time.Hour).Unix()
}

// Fetch returns the bars of symbol on the exchange-local dates of r, with
// the dividends and splits of those dates. The bars carry symbol in its
// canonical form, whatever form Yahoo was asked for.
//
// A day with a null in its quote has no bar and is among the series'
// Nulls (see [pricefill.Series.Nulls]); an answer without bars
// (no timestamps, or Yahoo's 400 "Data doesn't exist for startDate") is an
// empty series. Errors are classified: 404 not found; 429 rate limited
// (with its Retry-After, capped); 401 refreshes the cookie and crumb once,
// then is permanent; other 4xx permanent; 5xx, HTML pages, malformed
// bodies and network failures transient.
// A redirect is followed only to the scheme, host and port it came from,
// three at most, each after the Runner's limiter granted one more request
// ([backfill.Pace]); a redirect elsewhere, or a fourth, is permanent.
func (f *Fetcher) Fetch(ctx context.Context, symbol string, r pricefill.Range) (*pricefill.Series, error) {
	sym, err := pricefill.NormalizeSymbol(symbol)
	if err != nil {
		return nil, pricefill.Permanent(fmt.Errorf("yahoo: %w", err))
	}
	what := "yahoo " + sym
	if err := r.Validate(); err != nil {
		return nil, pricefill.Permanent(fmt.Errorf("%s: %w", what, err))
	}
	sess := f.session()
	refreshed := false
	for {
		resp, err := f.chart(ctx, sym, r, sess, what)
		if err != nil {
			return nil, err
		}
		if resp.Status == http.StatusUnauthorized && !refreshed {
			refreshed = true
			if sess, err = f.refresh(ctx, sess, what); err != nil {
				return nil, err
			}
			if err := pace(ctx, what+": the chart again"); err != nil {
				return nil, err
			}
			continue
		}
		return f.decode(resp, sym, r, what)
	}
}

// chart asks for the chart of sym over r, with the session's crumb and
// cookies when there is a session.
func (f *Fetcher) chart(ctx context.Context, sym string, r pricefill.Range, sess *session, what string) (*fetchhttp.Response, error) {
	p1, p2 := Period(r)
	q := url.Values{}
	q.Set("period1", strconv.FormatInt(p1, 10))
	q.Set("period2", strconv.FormatInt(p2, 10))
	q.Set("interval", "1d")
	q.Set("events", "div,splits")
	if sess != nil && sess.crumb != "" {
		q.Set("crumb", sess.crumb)
	}
	u := f.cfg.BaseURL + "/v8/finance/chart/" + url.PathEscape(Symbol(sym)) + "?" + q.Encode()
	return f.get(ctx, u, sess, what)
}

func (f *Fetcher) get(ctx context.Context, u string, sess *session, what string) (*fetchhttp.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, pricefill.Permanent(fmt.Errorf("%s: building the request: %w", what, fetchhttp.Redactor{}.Error(err)))
	}
	req.Header.Set("User-Agent", f.cfg.UserAgent)
	req.Header.Set("Accept", "application/json,text/plain,*/*")
	if sess != nil {
		for _, c := range sess.cookies {
			req.AddCookie(c)
		}
	}
	return fetchhttp.Get(f.cfg.Client, req, f.cfg.MaxBody, fetchhttp.Redactor{}, what)
}

// decode turns a chart answer into a series or a classified error.
func (f *Fetcher) decode(resp *fetchhttp.Response, sym string, r pricefill.Range, what string) (*pricefill.Series, error) {
	switch st := resp.Status; {
	case st == http.StatusOK:
		return parseChart(resp.Body, sym, r)
	case st == http.StatusNotFound:
		return nil, pricefill.NotFound(sym, fmt.Errorf("yahoo: %s", describe(resp)))
	case st == http.StatusBadRequest && noData(resp.Body):
		return &pricefill.Series{Asset: pricefill.Asset{Symbol: sym}}, nil
	case st == http.StatusUnauthorized:
		// Only after a refresh: Fetch refreshes on the first 401.
		return nil, pricefill.Permanent(fmt.Errorf("%s: %s, even with a fresh cookie and crumb", what, describe(resp)))
	}
	return nil, fetchhttp.StatusError(resp, f.cfg.Clock.Now(), what, describe(resp))
}

// describe says what an error answer was: its status and Yahoo's error
// description, or the start of its body.
func describe(resp *fetchhttp.Response) string {
	if e := chartError(resp.Body); e != nil {
		return fmt.Sprintf("HTTP %d %s: %s", resp.Status, e.Code, strconv.Quote(e.Description))
	}
	return fetchhttp.StatusText(resp.Status, resp.Body, fetchhttp.Redactor{})
}

func (f *Fetcher) session() *session {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sess
}

// refresh gets a new cookie and crumb, unless another fetch replaced the
// stale session while this one waited; then it returns that one.
func (f *Fetcher) refresh(ctx context.Context, stale *session, what string) (*session, error) {
	select {
	case f.refreshing <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: waiting to refresh the session: %w", what, ctx.Err())
	}
	defer func() { <-f.refreshing }()
	if s := f.session(); s != stale {
		return s, nil
	}
	// The cookie page answers 404 (fc.yahoo.com) or 200; only its cookies
	// matter, unless it refuses for rate.
	if err := pace(ctx, what+": cookie page"); err != nil {
		return nil, err
	}
	resp, cookies, err := f.cookies(ctx, what)
	if err != nil {
		return nil, err
	}
	if resp.Status == http.StatusTooManyRequests {
		return nil, fetchhttp.StatusError(resp, f.cfg.Clock.Now(), what+": cookie page", describe(resp))
	}
	sess := &session{cookies: cookies}
	if err := pace(ctx, what+": crumb"); err != nil {
		return nil, err
	}
	resp, err = f.get(ctx, f.cfg.BaseURL+"/v1/test/getcrumb", sess, what)
	if err != nil {
		return nil, err
	}
	crumb, err := f.crumb(resp, what)
	if err != nil {
		return nil, err
	}
	sess.crumb = crumb
	f.mu.Lock()
	f.sess = sess
	f.mu.Unlock()
	return sess, nil
}

// pace waits for the runner's limiter before a request of a fetch beyond
// its first: see [backfill.Pace].
func pace(ctx context.Context, what string) error {
	if err := backfill.Pace(ctx); err != nil {
		return fmt.Errorf("%s: waiting for the limiter: %w", what, err)
	}
	return nil
}

// cookies fetches the cookie page and returns the cookies it set.
func (f *Fetcher) cookies(ctx context.Context, what string) (*fetchhttp.Response, []*http.Cookie, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.cfg.CookieURL, nil)
	if err != nil {
		return nil, nil, pricefill.Permanent(fmt.Errorf("%s: cookie page: %w", what, fetchhttp.Redactor{}.Error(err)))
	}
	req.Header.Set("User-Agent", f.cfg.UserAgent)
	hresp, err := fetchhttp.Do(f.cfg.Client, req, fetchhttp.Redactor{}, what+": cookie page")
	if err != nil {
		return nil, nil, err
	}
	defer hresp.Body.Close()
	body, _ := fetchhttp.ReadAll(hresp.Body, f.cfg.MaxBody) // only the cookies matter
	resp := &fetchhttp.Response{Status: hresp.StatusCode, Header: hresp.Header, Body: body}
	return resp, hresp.Cookies(), nil
}

// crumbMaxLen bounds a plausible crumb; Yahoo's are 11 characters.
const crumbMaxLen = 64

// crumb reads the crumb from the answer of /v1/test/getcrumb.
func (f *Fetcher) crumb(resp *fetchhttp.Response, what string) (string, error) {
	red := fetchhttp.Redactor{}
	if resp.Status != http.StatusOK {
		return "", fetchhttp.StatusError(resp, f.cfg.Clock.Now(), what+": crumb", describe(resp))
	}
	c := strings.TrimSpace(string(resp.Body))
	if strings.Contains(c, "Too Many Requests") {
		return "", pricefill.RateLimited(0, fmt.Errorf("%s: crumb: %s", what, fetchhttp.Snippet(resp.Body, red)))
	}
	if c == "" || len(c) > crumbMaxLen || fetchhttp.IsHTML(resp.Body) || !printable(c) {
		return "", pricefill.Permanent(fmt.Errorf("%s: crumb: not a crumb: %s", what, fetchhttp.Snippet(resp.Body, red)))
	}
	return c, nil
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}
