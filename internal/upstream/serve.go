package upstream

import (
	"bufio"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pricefill/pricefill"
)

// An answer is what a handler sends, before transport faults.
type answer struct {
	status int
	ctype  string
	header map[string]string
	body   []byte
}

func text(status int, body string) answer {
	return answer{status: status, ctype: "text/plain; charset=utf-8", body: []byte(body)}
}

func jsonAnswer(status int, v any) answer {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // our own types: cannot fail
	}
	return answer{status: status, ctype: "application/json;charset=utf-8", body: b}
}

func htmlAnswer(status int, title, msg, uri string) answer {
	page := fmt.Sprintf("<!DOCTYPE html>\n<html><head><title>%s</title></head><body><h1>%s</h1><p>%s</p><p>Requested URL: %s</p></body></html>\n",
		title, title, msg, html.EscapeString(uri))
	return answer{status: status, ctype: "text/html; charset=utf-8", body: []byte(page)}
}

// rateLimited is the 429 answer, with f's Retry-After.
func rateLimited(f Fault, body string) answer {
	a := text(http.StatusTooManyRequests, body)
	if f.RetryAfter != "" {
		a.header = map[string]string{"Retry-After": f.RetryAfter}
	}
	return a
}

// statusAnswer is a Status fault's answer, echoing the request URL.
func statusAnswer(f Fault, uri string) answer {
	st := f.Status
	if st == 0 {
		st = http.StatusServiceUnavailable
	}
	return text(st, fmt.Sprintf("upstream: HTTP %d %s for %s\n", st, http.StatusText(st), uri))
}

// begin admits a request (see admit) and holds it for the latency. It
// answers at once a request the server's own rate limit refuses, and
// after the latency one that came during an Unavailable outage, and then
// reports false, as it does when the request or the server ends during the
// latency. Otherwise the handler answers the request, with fault f.
func (s *Server) begin(w http.ResponseWriter, r *http.Request, p Provider, sent, sym string, data bool) (idx int, f Fault, ok bool) {
	idx, f, v := s.admit(p, r, sent, sym, data)
	if v == limited {
		s.respond(w, r, idx, f, rateLimited(f, tooManyRequests[p]))
		return idx, f, false
	}
	if !s.wait(r, s.cfg.latency) {
		return idx, f, false
	}
	if v == unavailable {
		s.respond(w, r, idx, Fault{}, outagePage(p, r.URL.RequestURI()))
		return idx, f, false
	}
	return idx, f, true
}

// tooManyRequests is each provider's body of a 429.
var tooManyRequests = map[Provider]string{
	Yahoo:        "Edge: Too Many Requests",
	Stooq:        "Too Many Requests",
	AlphaVantage: "Too Many Requests",
}

// outagePage is a provider's answer during an Unavailable outage: 503 with
// an HTML page that echoes the request URL.
func outagePage(p Provider, uri string) answer {
	switch p {
	case Yahoo:
		return htmlAnswer(http.StatusServiceUnavailable, "Yahoo", "Will be right back… Thank you for your patience.", uri)
	case Stooq:
		return htmlAnswer(http.StatusServiceUnavailable, "Stooq", "Service temporarily unavailable. Please try again later.", uri)
	}
	return htmlAnswer(http.StatusServiceUnavailable, "Alpha Vantage", "We are down for maintenance.", uri)
}

// respond sends a, or what fault f makes of it, and records the status.
func (s *Server) respond(w http.ResponseWriter, r *http.Request, idx int, f Fault, a answer) {
	h := w.Header()
	h.Set("Date", s.cfg.clock.Now().UTC().Format(http.TimeFormat))
	h.Set("Content-Type", a.ctype)
	for k, v := range a.header {
		h.Set(k, v)
	}
	switch f.Kind {
	case Drop:
		s.settle(idx, 0, None)
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
		return
	case Truncate:
		s.settle(idx, a.status, None)
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		writeHead(buf, a)
		buf.Write(a.body[:len(a.body)/2])
		buf.Flush()
		return
	case Slow:
		s.settle(idx, a.status, None)
		h.Set("Content-Length", strconv.Itoa(len(a.body)))
		w.WriteHeader(a.status)
		half := len(a.body) / 2
		w.Write(a.body[:half])
		http.NewResponseController(w).Flush()
		if s.wait(r, f.Delay) {
			w.Write(a.body[half:])
		}
		return
	}
	s.settle(idx, a.status, None)
	h.Set("Content-Length", strconv.Itoa(len(a.body)))
	w.WriteHeader(a.status)
	w.Write(a.body)
}

// writeHead writes a raw HTTP/1.1 status line and headers announcing the
// whole body of a.
func writeHead(buf *bufio.ReadWriter, a answer) {
	fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\n", a.status, http.StatusText(a.status))
	fmt.Fprintf(buf, "Content-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n", a.ctype, len(a.body))
	for k, v := range a.header {
		fmt.Fprintf(buf, "%s: %s\r\n", k, v)
	}
	buf.WriteString("\r\n")
}

// ---- Yahoo ----

const (
	yahooCookie = "A3"
	// yahooNotFound is Yahoo's answer for an unknown or delisted symbol.
	yahooNotFound = `{"chart":{"result":null,"error":{"code":"Not Found","description":"No data found, symbol may be delisted"}}}`
	yahooCrumbBad = `{"finance":{"result":null,"error":{"code":"Unauthorized","description":"Invalid Crumb"}}}`
)

func (s *Server) crumbValues() (cookie, crumb string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return "fake-session-cookie", fmt.Sprintf("Crumb%dx", s.crumbGen+1)
}

// serveCookie is Yahoo's fc.yahoo.com: a 404 that sets the session cookie.
func (s *Server) serveCookie(w http.ResponseWriter, r *http.Request) {
	idx, f, ok := s.begin(w, r, Yahoo, "", Crumb, false)
	if !ok {
		return
	}
	a := text(http.StatusNotFound, "")
	if f.Kind == None || f.Kind == Slow || f.Kind == Drop || f.Kind == Truncate {
		cookie, _ := s.crumbValues()
		http.SetCookie(w, &http.Cookie{Name: yahooCookie, Value: cookie, Path: "/"})
	} else {
		a = s.yahooFault(r, f)
	}
	s.respond(w, r, idx, f, a)
}

// serveCrumb is /v1/test/getcrumb: the crumb, as plain text, for a
// request with the session cookie.
func (s *Server) serveCrumb(w http.ResponseWriter, r *http.Request) {
	idx, f, ok := s.begin(w, r, Yahoo, "", Crumb, false)
	if !ok {
		return
	}
	cookie, crumb := s.crumbValues()
	var a answer
	switch {
	case f.Kind != None && f.Kind != Slow && f.Kind != Drop && f.Kind != Truncate:
		a = s.yahooFault(r, f)
	case !hasCookie(r, cookie):
		a = text(http.StatusUnauthorized, `{"finance":{"result":null,"error":{"code":"Unauthorized","description":"Invalid Cookie"}}}`)
		s.settle(idx, 0, Unauthorized)
	default:
		a = text(http.StatusOK, crumb)
	}
	s.respond(w, r, idx, f, a)
}

func hasCookie(r *http.Request, value string) bool {
	c, err := r.Cookie(yahooCookie)
	return err == nil && c.Value == value
}

// yahooFault is Yahoo's answer for a fault that replaces the answer.
func (s *Server) yahooFault(r *http.Request, f Fault) answer {
	uri := r.URL.RequestURI()
	switch f.Kind {
	case RateLimit, Quota:
		return rateLimited(f, tooManyRequests[Yahoo])
	case Status:
		return statusAnswer(f, uri)
	case HTML, ProofOfWork:
		return htmlAnswer(http.StatusOK, "Yahoo", "Will be right back… Thank you for your patience.", uri)
	case NotFound:
		return text(http.StatusNotFound, yahooNotFound)
	case NoData:
		p1, p2 := r.URL.Query().Get("period1"), r.URL.Query().Get("period2")
		return text(http.StatusBadRequest, fmt.Sprintf(`{"chart":{"result":null,"error":{"code":"Bad Request","description":"Data doesn't exist for startDate = %s, endDate = %s"}}}`, p1, p2))
	case Unauthorized:
		return text(http.StatusUnauthorized, yahooCrumbBad)
	case Premium:
		return text(http.StatusForbidden, "Forbidden")
	case Malformed:
		return text(http.StatusOK, `{"chart":{"result":[{"meta":{"request":`+strconv.Quote(uri)+`,"currency":"US`)
	case Redirect:
		return redirectAnswer(f, r)
	}
	panic("upstream: no Yahoo answer for fault " + f.Kind.String())
}

// replaces reports whether a fault replaces the answer (rather than
// spoiling its delivery).
func replaces(f Fault) bool {
	switch f.Kind {
	case None, Drop, Slow, Truncate:
		return false
	}
	return true
}

// serveChart is Yahoo's /v8/finance/chart/{symbol}.
func (s *Server) serveChart(w http.ResponseWriter, r *http.Request) {
	sent := r.PathValue("symbol")
	sym := resolve(Yahoo, sent)
	idx, f, ok := s.begin(w, r, Yahoo, sent, sym, true)
	if !ok {
		return
	}
	if replaces(f) {
		s.respond(w, r, idx, f, s.yahooFault(r, f))
		return
	}
	if s.cfg.yahooCrumb {
		cookie, crumb := s.crumbValues()
		if !hasCookie(r, cookie) || r.URL.Query().Get("crumb") != crumb {
			s.settle(idx, 0, Unauthorized)
			s.respond(w, r, idx, Fault{}, text(http.StatusUnauthorized, yahooCrumbBad))
			return
		}
	}
	s.respond(w, r, idx, f, s.chart(r, sym, sent))
}

// Yahoo's chart body, in the order Yahoo sends its fields.
type (
	chartBody struct {
		Chart struct {
			Result []chartResult `json:"result"`
			Error  any           `json:"error"`
		} `json:"chart"`
	}
	chartResult struct {
		Meta       chartMeta       `json:"meta"`
		Timestamp  []int64         `json:"timestamp,omitempty"`
		Events     *chartEvents    `json:"events,omitempty"`
		Indicators chartIndicators `json:"indicators"`
	}
	chartMeta struct {
		Currency             string  `json:"currency"`
		Symbol               string  `json:"symbol"`
		ExchangeName         string  `json:"exchangeName"`
		FullExchangeName     string  `json:"fullExchangeName"`
		InstrumentType       string  `json:"instrumentType"`
		RegularMarketTime    int64   `json:"regularMarketTime"`
		GMTOffset            int     `json:"gmtoffset"`
		Timezone             string  `json:"timezone"`
		ExchangeTimezoneName string  `json:"exchangeTimezoneName"`
		RegularMarketPrice   float64 `json:"regularMarketPrice"`
		LongName             string  `json:"longName,omitempty"`
		ShortName            string  `json:"shortName,omitempty"`
		DataGranularity      string  `json:"dataGranularity"`
		Range                string  `json:"range"`
	}
	chartEvents struct {
		Dividends map[string]chartDividend `json:"dividends,omitempty"`
		Splits    map[string]chartSplit    `json:"splits,omitempty"`
	}
	chartDividend struct {
		Amount float64 `json:"amount"`
		Date   int64   `json:"date"`
	}
	chartSplit struct {
		Date        int64   `json:"date"`
		Numerator   float64 `json:"numerator"`
		Denominator float64 `json:"denominator"`
		SplitRatio  string  `json:"splitRatio"`
	}
	chartIndicators struct {
		Quote    []chartQuote    `json:"quote"`
		AdjClose []chartAdjClose `json:"adjclose,omitempty"`
	}
	chartQuote struct {
		Open   []*float64 `json:"open,omitempty"`
		High   []*float64 `json:"high,omitempty"`
		Low    []*float64 `json:"low,omitempty"`
		Close  []*float64 `json:"close,omitempty"`
		Volume []*float64 `json:"volume,omitempty"`
	}
	chartAdjClose struct {
		AdjClose []*float64 `json:"adjclose"`
	}
)

// chart renders the chart of sym for the request's period1 and period2:
// the bars whose stamp (the exchange's opening time, local) falls in
// [period1, period2).
func (s *Server) chart(r *http.Request, sym, sent string) answer {
	q := r.URL.Query()
	p1, err1 := strconv.ParseInt(q.Get("period1"), 10, 64)
	p2, err2 := strconv.ParseInt(q.Get("period2"), 10, 64)
	if err1 != nil || err2 != nil || p2 <= p1 {
		return text(http.StatusBadRequest, `{"chart":{"result":null,"error":{"code":"Bad Request","description":"Invalid input - period1 and period2 are required, period1 before period2"}}}`)
	}
	a := s.assetOf(sym)
	ex := exchangeOf(a.Timezone)
	now := s.cfg.clock.Now().In(ex.loc)
	abbr, off := now.Zone()
	res := chartResult{Meta: chartMeta{
		Currency: a.Currency, Symbol: strings.ToUpper(sent), ExchangeName: a.Exchange, FullExchangeName: a.Exchange,
		InstrumentType: "EQUITY", RegularMarketTime: now.Unix(), GMTOffset: off, Timezone: abbr,
		ExchangeTimezoneName: a.Timezone, LongName: a.Name, ShortName: a.Name, DataGranularity: "1d",
	}}
	from := pricefill.DateOf(time.Unix(p1, 0).In(ex.loc))
	to := pricefill.DateOf(time.Unix(p2-1, 0).In(ex.loc))
	var quote chartQuote
	var adj chartAdjClose
	for _, d := range s.days(sym, from, to) {
		ts := ex.stamp(d.bar.Date)
		if ts < p1 || ts >= p2 {
			continue
		}
		res.Timestamp = append(res.Timestamp, ts)
		if d.null {
			quote.Open, quote.High, quote.Low = append(quote.Open, nil), append(quote.High, nil), append(quote.Low, nil)
			quote.Close, quote.Volume = append(quote.Close, nil), append(quote.Volume, nil)
			adj.AdjClose = append(adj.AdjClose, nil)
			continue
		}
		b := d.bar
		vol := float64(b.Volume)
		quote.Open, quote.High, quote.Low = append(quote.Open, &b.Open), append(quote.High, &b.High), append(quote.Low, &b.Low)
		quote.Close, quote.Volume = append(quote.Close, &b.Close), append(quote.Volume, &vol)
		adj.AdjClose = append(adj.AdjClose, &b.AdjClose)
	}
	res.Meta.RegularMarketPrice = 100
	res.Indicators.Quote = []chartQuote{quote}
	if len(res.Timestamp) > 0 {
		res.Indicators.AdjClose = []chartAdjClose{adj}
	}
	divs, splits := s.eventsOf(sym)
	ev := &chartEvents{}
	for _, d := range divs {
		if ts := ex.stamp(d.Date); ts >= p1 && ts < p2 {
			if ev.Dividends == nil {
				ev.Dividends = map[string]chartDividend{}
			}
			ev.Dividends[strconv.FormatInt(ts, 10)] = chartDividend{Amount: d.Amount, Date: ts}
		}
	}
	for _, sp := range splits {
		if ts := ex.stamp(sp.Date); ts >= p1 && ts < p2 {
			if ev.Splits == nil {
				ev.Splits = map[string]chartSplit{}
			}
			ratio := strconv.FormatFloat(sp.Numerator, 'f', -1, 64) + ":" + strconv.FormatFloat(sp.Denominator, 'f', -1, 64)
			ev.Splits[strconv.FormatInt(ts, 10)] = chartSplit{Date: ts, Numerator: sp.Numerator, Denominator: sp.Denominator, SplitRatio: ratio}
		}
	}
	if ev.Dividends != nil || ev.Splits != nil {
		res.Events = ev
	}
	var body chartBody
	body.Chart.Result = []chartResult{res}
	return jsonAnswer(http.StatusOK, body)
}

// beginKeyed begins a request of provider p for the symbol in query
// parameter param (see begin), refusing it as unauthorized when the server
// wants an API key and the request does not carry it in apikey.
func (s *Server) beginKeyed(w http.ResponseWriter, r *http.Request, p Provider, param string) (sent, sym string, idx int, f Fault, ok bool) {
	q := r.URL.Query()
	sent = q.Get(param)
	sym = resolve(p, sent)
	idx, f, ok = s.begin(w, r, p, sent, sym, true)
	if ok && !replaces(f) && s.cfg.apiKey != "" && q.Get("apikey") != s.cfg.apiKey {
		f = Fault{Kind: Unauthorized}
		s.settle(idx, 0, Unauthorized)
	}
	return sent, sym, idx, f, ok
}

// ---- Stooq ----

// serveStooq is Stooq's /q/d/l/?s=…&i=d&d1=…&d2=…[&apikey=…].
func (s *Server) serveStooq(w http.ResponseWriter, r *http.Request) {
	_, sym, idx, f, ok := s.beginKeyed(w, r, Stooq, "s")
	if !ok {
		return
	}
	q, uri := r.URL.Query(), r.URL.RequestURI()
	var a answer
	switch f.Kind {
	case RateLimit:
		a = rateLimited(f, tooManyRequests[Stooq])
	case Quota:
		a = text(http.StatusOK, "Exceeded the daily hits limit")
		if f.RetryAfter != "" {
			a.header = map[string]string{"Retry-After": f.RetryAfter}
		}
	case Status:
		a = statusAnswer(f, uri)
	case HTML, Unauthorized:
		a = htmlAnswer(http.StatusOK, "Stooq", "Access to the data requires an API key (apikey). Get your apikey at https://stooq.com/q/d/?s=spy.us&get_apikey", uri)
	case ProofOfWork:
		a = htmlAnswer(http.StatusOK, "Stooq", `Checking your browser: solving a proof-of-work challenge… <script>/* sha-256 */ fetch("/__verify",{method:"POST"})</script>`, uri)
	case NotFound, NoData:
		a = text(http.StatusOK, "No data")
	case Premium:
		a = text(http.StatusForbidden, "Forbidden")
	case Malformed:
		a = text(http.StatusOK, "Date,Open,High,Low,Close,Volume\n"+uri+",1,2,0.5,1.5,100\n")
	case Redirect:
		a = redirectAnswer(f, r)
	default:
		a = s.stooqCSV(q, sym)
	}
	s.respond(w, r, idx, f, a)
}

func (s *Server) stooqCSV(q map[string][]string, sym string) answer {
	today := s.today()
	from, to := today.AddDate(-5, 0, 0), today
	if d, err := time.Parse("20060102", first(q["d1"])); err == nil {
		from = d
	}
	if d, err := time.Parse("20060102", first(q["d2"])); err == nil {
		to = d
	}
	var b strings.Builder
	n := 0
	b.WriteString("Date,Open,High,Low,Close,Volume\n")
	for _, d := range s.days(sym, from, to) {
		if d.null {
			continue
		}
		x := d.bar
		fmt.Fprintf(&b, "%s,%s,%s,%s,%s,%d\n", x.Date.Format(pricefill.DateLayout), num(x.Open), num(x.High), num(x.Low), num(x.Close), x.Volume)
		n++
	}
	if n == 0 {
		return text(http.StatusOK, "No data")
	}
	a := text(http.StatusOK, b.String())
	a.ctype = "text/csv"
	return a
}

func first(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

func num(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

// ---- Alpha Vantage ----

// Alpha Vantage's messages, as it sends them.
const (
	avInvalidCall = "Invalid API call. Please retry or visit the documentation (https://www.alphavantage.co/documentation/) for TIME_SERIES_DAILY."
	avInvalidKey  = "the parameter apikey is invalid or missing. Please claim your free API key on (https://www.alphavantage.co/support/#api-key). It should take less than 20 seconds."
	avNote        = "Thank you for using Alpha Vantage! Our standard API call frequency is 5 calls per minute and 500 calls per day. Please visit https://www.alphavantage.co/premium/ if you would like to target a higher API call frequency."
	avPremium     = "Thank you for using Alpha Vantage! This is a premium endpoint. You may subscribe to any of the premium plans at https://www.alphavantage.co/premium/ to instantly unlock all premium endpoints"
)

// AVCompactDays is how many trading days outputsize=compact serves.
const AVCompactDays = 100

// serveAlphaVantage is Alpha Vantage's /query?function=TIME_SERIES_DAILY.
func (s *Server) serveAlphaVantage(w http.ResponseWriter, r *http.Request) {
	sent, sym, idx, f, ok := s.beginKeyed(w, r, AlphaVantage, "symbol")
	if !ok {
		return
	}
	q, uri := r.URL.Query(), r.URL.RequestURI()
	msg := func(k, v string) answer { return jsonAnswer(http.StatusOK, map[string]string{k: v}) }
	var a answer
	switch f.Kind {
	case RateLimit:
		a = rateLimited(f, tooManyRequests[AlphaVantage])
	case Quota:
		a = msg("Note", avNote)
	case Status:
		a = statusAnswer(f, uri)
	case HTML, ProofOfWork:
		a = htmlAnswer(http.StatusOK, "Alpha Vantage", "We are down for maintenance.", uri)
	case NotFound:
		a = msg("Error Message", avInvalidCall)
	case Unauthorized:
		a = msg("Error Message", avInvalidKey)
	case Premium:
		a = msg("Information", avPremium)
	case Malformed:
		a = text(http.StatusOK, `{"Meta Data": {"1. Information": `+strconv.Quote(uri)+`, "2. Symbol": "`)
		a.ctype = "application/json"
	case Redirect:
		a = redirectAnswer(f, r)
	case NoData:
		a = s.avSeries(sent, sym, false, true)
	default:
		if q.Get("function") != "TIME_SERIES_DAILY" {
			a = msg("Error Message", "This API function ("+q.Get("function")+") does not exist.")
			break
		}
		a = s.avSeries(sent, sym, q.Get("outputsize") == "full", false)
	}
	s.respond(w, r, idx, f, a)
}

// avSeries renders the daily series of sym, newest first, as Alpha Vantage
// does: numbered keys, numbers as strings. Compact holds the latest
// AVCompactDays days, full twenty years.
func (s *Server) avSeries(sent, sym string, full, empty bool) answer {
	today := s.today()
	from := today.AddDate(-20, 0, 0)
	if !full {
		from = today.AddDate(0, 0, -2*AVCompactDays) // enough weekdays for compact
	}
	var days []day
	if !empty {
		for _, d := range s.days(sym, from, today) {
			if !d.null {
				days = append(days, d)
			}
		}
	}
	size := "Full size"
	if !full {
		size = "Compact"
		days = days[max(0, len(days)-AVCompactDays):]
	}
	var b strings.Builder
	fmt.Fprintf(&b, "{\n    \"Meta Data\": {\n        \"1. Information\": \"Daily Prices (open, high, low, close) and Volumes\",\n        \"2. Symbol\": %s,\n", strconv.Quote(sent))
	last := today
	if len(days) > 0 {
		last = days[len(days)-1].bar.Date
	}
	fmt.Fprintf(&b, "        \"3. Last Refreshed\": %q,\n        \"4. Output Size\": %q,\n        \"5. Time Zone\": \"US/Eastern\"\n    },\n    \"Time Series (Daily)\": {", last.Format(pricefill.DateLayout), size)
	for i := len(days) - 1; i >= 0; i-- {
		x := days[i].bar
		if i < len(days)-1 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "\n        %q: {\n            \"1. open\": %q,\n            \"2. high\": %q,\n            \"3. low\": %q,\n            \"4. close\": %q,\n            \"5. volume\": \"%d\"\n        }",
			x.Date.Format(pricefill.DateLayout), num(x.Open), num(x.High), num(x.Low), num(x.Close), x.Volume)
	}
	b.WriteString("\n    }\n}")
	a := text(http.StatusOK, b.String())
	a.ctype = "application/json"
	return a
}
