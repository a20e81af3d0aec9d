package upstream

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill/synthetic"
	"github.com/pricefill/pricefill/internal/ticker"
)

// A Provider is one of the APIs the server speaks.
type Provider string

// The providers.
const (
	Yahoo        Provider = "yahoo"
	Stooq        Provider = "stooq"
	AlphaVantage Provider = "alphavantage"
)

// Crumb is the pseudo-symbol of Yahoo's cookie page and crumb endpoint:
// faults set for it apply to those requests.
const Crumb = "#CRUMB"

// A FaultKind is a way an answer goes wrong.
type FaultKind int

// The fault kinds. What each looks like depends on the provider.
const (
	// None is a normal answer.
	None FaultKind = iota
	// RateLimit is HTTP 429 (Yahoo's plain-text "Edge: Too Many
	// Requests"), with Fault.RetryAfter as Retry-After when set.
	RateLimit
	// Quota is the provider's own limit message: Stooq's "Exceeded the
	// daily hits limit" and Alpha Vantage's "Note", both with HTTP 200;
	// Yahoo's is RateLimit.
	Quota
	// Status is HTTP Fault.Status (503 when 0) with a text body that
	// echoes the request URL.
	Status
	// HTML is HTTP 200 with an HTML page that echoes the request URL: an
	// outage page (Yahoo, Alpha Vantage) or Stooq's page asking for an
	// API key.
	HTML
	// ProofOfWork is Stooq's proof-of-work challenge page (HTTP 200,
	// HTML); an outage page elsewhere.
	ProofOfWork
	// Drop closes the connection without an answer.
	Drop
	// Slow sends the headers and half the body, pauses Fault.Delay (or
	// until the client goes or the server closes), then sends the rest.
	Slow
	// Truncate announces the whole body's length, sends half of it and
	// closes the connection.
	Truncate
	// NotFound is an unknown symbol: Yahoo's 404 "No data found, symbol
	// may be delisted", Stooq's "No data", Alpha Vantage's "Invalid API
	// call" Error Message.
	NotFound
	// NoData is an empty range: Yahoo's 400 "Data doesn't exist for
	// startDate", Stooq's "No data", Alpha Vantage's empty series.
	NoData
	// Unauthorized is Yahoo's 401 "Invalid Crumb" (however fresh the
	// crumb), Stooq's API-key page, Alpha Vantage's Error Message about
	// the apikey.
	Unauthorized
	// Premium is Alpha Vantage's Information about a premium endpoint;
	// HTTP 403 elsewhere.
	Premium
	// Malformed is HTTP 200 with a complete body that cannot be read:
	// JSON cut short, a CSV row that is no row; it echoes the request URL.
	Malformed
	// Redirect is HTTP 302 to Fault.Location (see [Fault]), for every
	// provider and endpoint.
	Redirect
)

var faultNames = [...]string{"none", "rate_limit", "quota", "status", "html", "proof_of_work", "drop", "slow", "truncate", "not_found", "no_data", "unauthorized", "premium", "malformed", "redirect"}

// String returns the kind's name, such as "rate_limit".
func (k FaultKind) String() string {
	if k >= 0 && int(k) < len(faultNames) {
		return faultNames[k]
	}
	return fmt.Sprintf("FaultKind(%d)", int(k))
}

// A Fault is a way an answer goes wrong, with its parameters.
type Fault struct {
	Kind FaultKind
	// Status is the HTTP status of a Status fault; 0 means 503.
	Status int
	// RetryAfter is the Retry-After header of a RateLimit or Quota fault,
	// verbatim (seconds or an HTTP date); empty sends none.
	RetryAfter string
	// Delay is the pause of a Slow fault.
	Delay time.Duration
	// Location is where a Redirect fault sends the client: an absolute
	// URL (another server's, say) or a path on this server, to which the
	// request's query is added, API key and all, as a provider that moved
	// would send it on. Empty sends the client to the URL it asked for: a
	// loop.
	Location string
}

// A Request is what the server recorded of one request.
type Request struct {
	Provider Provider
	Path     string
	// Symbol is the symbol as sent (BRK-B, brk-b.us); empty for Yahoo's
	// cookie page and crumb.
	Symbol string
	Query  url.Values
	// Time is when the request came, on the server's clock.
	Time time.Time
	// Status is the status of the answer; 0 for a dropped connection.
	Status int
	// Fault is the fault served, None for a normal answer; a refused
	// crumb or API key counts as Unauthorized, a request over the rate
	// limit as RateLimit.
	Fault FaultKind
	// Limited says the server refused the request for its own rate limit
	// ([WithRateLimit]), and Fault is RateLimit for that reason: a
	// RateLimit fault that was set, pushed or drawn leaves it false, so
	// tests can tell a client that went too fast from one that met the
	// faults they asked for.
	Limited bool
	// DuringCoolDown says the request came during a cool-down of the
	// server's rate limit ([WithStrictCoolDown]) and was refused for it
	// (Limited is true too); such a refusal starts no cool-down.
	DuringCoolDown bool
}

type config struct {
	clock      pricefill.Clock
	latency    time.Duration
	rate       int
	coolDown   time.Duration
	randomSeed uint64
	randomRate float64
	randomMix  []Fault
	yahooCrumb bool
	apiKey     string
	nullRate   float64
	generator  []synthetic.Option
	errs       []error
}

// An Option configures a [Server].
type Option func(*config)

// WithClock sets the clock that stamps requests, counts the rate limit,
// times latency and slow bodies, and tells "today" (Alpha Vantage's
// compact series). Default [pricefill.SystemClock]; nil means the default.
func WithClock(c pricefill.Clock) Option {
	return func(cfg *config) { cfg.clock = c }
}

// WithLatency delays every answer by d, injected faults and the outage
// page included, but not the refusals of the server's own rate limit
// ([WithRateLimit]), which are sent at once. Default 0.
func WithLatency(d time.Duration) Option {
	return func(cfg *config) { cfg.latency = d }
}

// WithRateLimit refuses, with 429 and Retry-After: 1, every request beyond
// perSecond within the last second, refused ones included (a client that
// hammers stays refused). The refusal is sent at once, without the
// latency of [WithLatency]: a provider's edge refuses fast. Default 0: no
// limit.
func WithRateLimit(perSecond int) Option {
	return func(cfg *config) { cfg.rate = perSecond }
}

// WithStrictCoolDown makes every refusal of the rate limit ([WithRateLimit])
// start a cool-down of d from that refusal's arrival: the refusal's
// Retry-After is d in whole seconds, rounded up, and every request that
// arrives during the cool-down is refused too (at once, with 429 and a
// Retry-After of the time left, rounded up to whole seconds, at least 1),
// recorded with Request.DuringCoolDown. Refusals during a cool-down neither
// start nor extend one; injected RateLimit faults start none. Without a
// rate limit there are no refusals, hence no cool-downs. Default 0: no
// cool-down; d must not be negative.
func WithStrictCoolDown(d time.Duration) Option {
	return func(cfg *config) {
		if d < 0 {
			cfg.errs = append(cfg.errs, fmt.Errorf("upstream.WithStrictCoolDown: negative cool-down %v", d))
		}
		cfg.coolDown = d
	}
}

// WithRandomFaults serves one of faults, chosen at random, to a share rate
// of the data requests (not the cookie and crumb ones) that have no fault
// set. Draws depend on seed, the symbol and the request's number for that
// symbol only. With no faults given, every kind but None, Slow and
// Premium is drawn, with a Retry-After of 1 s for RateLimit.
func WithRandomFaults(seed uint64, rate float64, faults ...Fault) Option {
	return func(cfg *config) {
		cfg.randomSeed, cfg.randomRate = seed, rate
		cfg.randomMix = faults
		if len(faults) == 0 {
			cfg.randomMix = []Fault{
				{Kind: RateLimit, RetryAfter: "1"}, {Kind: Quota}, {Kind: Status, Status: 500},
				{Kind: Status, Status: 502}, {Kind: Status}, {Kind: HTML}, {Kind: ProofOfWork},
				{Kind: Drop}, {Kind: Truncate}, {Kind: NotFound}, {Kind: NoData},
				{Kind: Unauthorized}, {Kind: Malformed},
			}
		}
	}
}

// WithYahooCrumb makes the chart API answer 401 "Invalid Crumb" unless the
// request carries the cookie set by the cookie page (/) and the crumb from
// /v1/test/getcrumb. See [Server.ExpireCrumb].
func WithYahooCrumb() Option {
	return func(cfg *config) { cfg.yahooCrumb = true }
}

// WithAPIKey makes the Stooq and Alpha Vantage endpoints refuse (as
// Unauthorized) a request whose apikey is not key. Default: any key, or
// none, is accepted.
func WithAPIKey(key string) Option {
	return func(cfg *config) { cfg.apiKey = key }
}

// WithNullRate makes that share of the generated days null (see
// [Server.SetNullDays]), chosen by symbol and date. Default 0.
func WithNullRate(rate float64) Option {
	return func(cfg *config) { cfg.nullRate = rate }
}

// WithGenerator sets the options of the synthetic generator of bars, such
// as synthetic.WithInvalidRate or synthetic.WithCalendar.
func WithGenerator(opts ...synthetic.Option) Option {
	return func(cfg *config) { cfg.generator = append(cfg.generator, opts...) }
}

// A Server is the fake provider. Its methods are safe for concurrent use.
type Server struct {
	cfg       config
	gen       *synthetic.Fetcher
	addr      string // 127.0.0.1:port, the same across outages
	handler   http.Handler
	transport *http.Transport // Client's
	client    *http.Client
	ctx       context.Context // cancelled by Close: every request's context derives from it
	cancel    context.CancelFunc
	// wg counts the Serve loops, the connections (until closed or
	// hijacked) and the handlers running: Close waits for them.
	wg sync.WaitGroup

	lmu    sync.Mutex // held by SetOutage and Close throughout
	spell  *spell     // the listener being served; nil while refusing and once closed
	closed bool

	mu             sync.Mutex
	outage         Outage
	symbols        map[string]*symbolState
	counts         map[string]int // data requests per symbol
	requests       []Request
	forgotten      int         // requests forgotten by Reset: request i is requests[i-forgotten]
	recent         []time.Time // request times within the last second, for the rate limit
	coolUntil      time.Time   // end of the current cool-down (WithStrictCoolDown)
	refusals       int         // requests refused by the rate limit, since Reset
	duringCoolDown int         // of which during a cool-down
	crumbGen       int
}

type symbolState struct {
	asset     *pricefill.Asset
	bars      []pricefill.Bar // set: served instead of generated ones
	barsSet   bool
	nulls     map[time.Time]bool
	dividends []pricefill.Dividend
	splits    []pricefill.Split
	fault     *Fault
	queue     []Fault
}

// New starts a server on 127.0.0.1 and returns it; Close it when done.
func New(opts ...Option) (*Server, error) {
	cfg := config{clock: pricefill.SystemClock()}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.clock == nil {
		cfg.clock = pricefill.SystemClock()
	}
	errs := cfg.errs
	if cfg.rate < 0 || cfg.latency < 0 || !(cfg.randomRate >= 0 && cfg.randomRate <= 1) || !(cfg.nullRate >= 0 && cfg.nullRate <= 1) {
		errs = append(errs, errors.New("upstream: rate limit and latency must not be negative, rates must be in [0, 1]"))
	}
	gen, err := synthetic.New(cfg.generator...)
	if err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("upstream: listening on 127.0.0.1: %w", err)
	}
	s := &Server{
		cfg: cfg, gen: gen,
		addr:      ln.Addr().String(),
		transport: &http.Transport{},
		symbols:   make(map[string]*symbolState),
		counts:    make(map[string]int),
	}
	s.client = &http.Client{Transport: s.transport}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v8/finance/chart/{symbol}", s.serveChart)
	mux.HandleFunc("GET /v1/test/getcrumb", s.serveCrumb)
	mux.HandleFunc("GET /{$}", s.serveCookie)
	mux.HandleFunc("GET /q/d/l/", s.serveStooq)
	mux.HandleFunc("GET /query", s.serveAlphaVantage)
	s.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The connection's count is held while its handler runs, so
		// this Add is never one from zero.
		s.wg.Add(1)
		defer s.wg.Done()
		mux.ServeHTTP(w, r)
	})
	s.serve(ln)
	return s, nil
}

// URL returns the server's base URL, http://127.0.0.1:port, for the
// fetchers' WithBaseURL. It stays the same across outages.
func (s *Server) URL() string { return "http://" + s.addr }

// Client returns a client for the server, whose idle connections Close
// closes. It is the same client on every call.
func (s *Server) Client() *http.Client { return s.client }

// Close ends slow answers and pauses at once, closes the listener and every
// connection and waits for every handler to return, whatever the outage.
// Closing twice is harmless.
func (s *Server) Close() {
	s.lmu.Lock()
	if !s.closed {
		s.closed = true
		if s.spell != nil {
			s.spell.stop()
			s.spell = nil
		}
		s.cancel()
	}
	s.lmu.Unlock()
	s.wg.Wait()
	s.transport.CloseIdleConnections()
	// As httptest.Server.Close does, for clients of the default transport.
	if t, ok := http.DefaultTransport.(interface{ CloseIdleConnections() }); ok {
		t.CloseIdleConnections()
	}
}

// key returns the server's key of a symbol: upper case, and a share class
// with a dot (BF-B and BF.B are one symbol here).
func key(symbol string) string {
	sym := strings.ToUpper(strings.TrimSpace(symbol))
	if i := strings.LastIndexByte(sym, '-'); i > 0 && i == len(sym)-2 {
		if dotted := sym[:i] + "." + sym[i+1:]; ticker.IsShareClass(dotted) {
			return dotted
		}
	}
	return sym
}

// state returns the state of sym, creating it. s.mu is held.
func (s *Server) state(sym string) *symbolState {
	st, ok := s.symbols[sym]
	if !ok {
		st = &symbolState{}
		s.symbols[sym] = st
	}
	return st
}

// Each provider's spelling of exchange suffixes and indices, where it is
// not Yahoo's (the server's own).
var (
	stooqSuffixes = map[string]string{"US": "", "UK": "L", "JP": "T", "HU": "BD"}
	stooqIndices  = map[string]string{
		"^SPX": "^GSPC", "^DJI": "^DJI", "^NDQ": "^IXIC", "^NDX": "^NDX", "^UKX": "^FTSE",
		"^DAX": "^GDAXI", "^NKX": "^N225", "^HSI": "^HSI", "^CAC": "^FCHI",
	}
	avSuffixes = map[string]string{"LON": "L", "TRT": "TO", "TRV": "V", "DEX": "DE", "BSE": "BO", "SHH": "SS", "SHZ": "SZ"}
)

// resolve returns the symbol a provider's spelling stands for, as the
// provider would read it: aapl.us is AAPL, brk-b.us BRK.B, ocdo.uk
// OCDO.L, ^spx ^GSPC, TSCO.LON TSCO.L.
func resolve(p Provider, sent string) string {
	sym := strings.ToUpper(strings.TrimSpace(sent))
	var suffixes map[string]string
	switch p {
	case Stooq:
		if y, ok := stooqIndices[sym]; ok {
			return y
		}
		suffixes = stooqSuffixes
	case AlphaVantage:
		suffixes = avSuffixes
	}
	if i := strings.LastIndexByte(sym, '.'); i > 0 {
		if y, ok := suffixes[sym[i+1:]]; ok {
			sym = sym[:i]
			if y != "" {
				sym += "." + y
			}
		}
	}
	return key(sym)
}

// SetBars makes the server serve bars for symbol instead of generated
// ones, as they are (invalid ones too), on their dates in the symbol's
// exchange zone. nil goes back to generated bars.
func (s *Server) SetBars(symbol string, bars []pricefill.Bar) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state(key(symbol))
	st.bars = slices.Clone(bars)
	slices.SortStableFunc(st.bars, func(a, b pricefill.Bar) int { return a.Date.Compare(b.Date) })
	st.barsSet = bars != nil
}

// SetNullDays makes the days of symbol on dates null: Yahoo sends null in
// every quote array, Stooq and Alpha Vantage leave the day out.
func (s *Server) SetNullDays(symbol string, dates ...time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state(key(symbol))
	// A new map: answers being served read the old one without the lock.
	nulls := make(map[time.Time]bool, len(st.nulls)+len(dates))
	for d := range st.nulls {
		nulls[d] = true
	}
	for _, d := range dates {
		nulls[pricefill.DateOf(d)] = true
	}
	st.nulls = nulls
}

// SetAsset sets what Yahoo says of symbol: currency, exchange, time zone
// (the zone in which its bars are stamped, at the exchange's opening
// time) and name. By default they follow the exchange suffix: none is
// New York (NMS, USD), .L London (LSE, GBp), .DE Berlin, .CO Copenhagen,
// .AX Sydney, .T Tokyo, .NZ Auckland, .TO Toronto.
func (s *Server) SetAsset(symbol string, a pricefill.Asset) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state(key(symbol))
	a.Symbol = key(symbol)
	st.asset = &a
}

// SetEvents sets the dividends and splits Yahoo reports for symbol.
func (s *Server) SetEvents(symbol string, dividends []pricefill.Dividend, splits []pricefill.Split) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state(key(symbol))
	st.dividends, st.splits = slices.Clone(dividends), slices.Clone(splits)
}

// SetFault serves f for every request for symbol (after the faults
// pushed with PushFaults); a Fault of kind None clears it.
func (s *Server) SetFault(symbol string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state(key(symbol))
	st.fault = nil
	if f.Kind != None {
		st.fault = &f
	}
}

// PushFaults serves fs, one per request, to the next requests for symbol;
// a Fault of kind None is a normal answer.
func (s *Server) PushFaults(symbol string, fs ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state(key(symbol))
	st.queue = append(st.queue, fs...)
}

// SetUnknown makes the symbols unknown to every provider (NotFound).
func (s *Server) SetUnknown(symbols ...string) {
	for _, sym := range symbols {
		s.SetFault(sym, Fault{Kind: NotFound})
	}
}

// ExpireCrumb issues a new crumb for Yahoo's session: requests with the
// old one get 401 "Invalid Crumb" until the client asks for the new one.
func (s *Server) ExpireCrumb() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.crumbGen++
}

// Requests returns a copy of the requests recorded so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		r.Query = cloneValues(r.Query)
		out[i] = r
	}
	return out
}

// RequestsFor returns the data requests recorded for symbol (canonical),
// whatever its spelling.
func (s *Server) RequestsFor(symbol string) []Request {
	want := key(symbol)
	var out []Request
	for _, r := range s.Requests() {
		if r.Symbol == "" {
			continue
		}
		if resolve(r.Provider, r.Symbol) == want {
			out = append(out, r)
		}
	}
	return out
}

// Reset forgets the recorded requests, the rate limit's window, its
// cool-down and the counts of [Server.Refusals] and
// [Server.DuringCoolDown]; the data, faults, outage and requests per
// symbol (which random faults are drawn by) stay.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forgotten += len(s.requests)
	s.requests, s.recent = nil, nil
	s.coolUntil = time.Time{}
	s.refusals, s.duringCoolDown = 0, 0
}

// Refusals returns how many requests the server's own rate limit refused
// ([WithRateLimit], [WithStrictCoolDown]): those recorded as Limited,
// since New or Reset. Injected RateLimit faults do not count.
func (s *Server) Refusals() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refusals
}

// DuringCoolDown returns how many requests arrived during one of the
// server's cool-downs ([WithStrictCoolDown]), and were refused for it,
// since New or Reset.
func (s *Server) DuringCoolDown() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.duringCoolDown
}

// PeakRate returns the most requests recorded within any span of length
// window (a request at t and one at t+window are not within one).
func (s *Server) PeakRate(window time.Duration) int {
	reqs := s.Requests()
	peak := 0
	for i, j := 0, 0; j < len(reqs); j++ {
		for reqs[j].Time.Sub(reqs[i].Time) >= window {
			i++
		}
		peak = max(peak, j-i+1)
	}
	return peak
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// A verdict is what admit decided of a request.
type verdict int

const (
	admitted    verdict = iota // answer it with its fault, after the latency
	limited                    // the rate limit refused it: answer 429 at once
	unavailable                // an Unavailable outage: the outage page, after the latency
)

// admit records a request and decides its fault: the outage page, over
// the rate limit or during its cool-down, a pushed or set fault, a random
// one. sym is "" for requests that carry no symbol. It returns the number
// of the request, for settle.
func (s *Server) admit(p Provider, r *http.Request, sent, sym string, data bool) (int, Fault, verdict) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.clock.Now() // under the lock, so that the records are in time order
	s.requests = append(s.requests, Request{
		Provider: p, Path: r.URL.Path, Symbol: sent, Query: cloneValues(r.URL.Query()), Time: now,
	})
	rec := &s.requests[len(s.requests)-1]
	idx := s.forgotten + len(s.requests) - 1
	if s.outage == Unavailable {
		// The provider behind the outage page sees nothing: no rate
		// limit, no fault or request number used up.
		rec.Fault = Status
		return idx, Fault{Kind: Status, Status: http.StatusServiceUnavailable}, unavailable
	}
	var f Fault
	if s.cfg.rate > 0 {
		cut := 0
		for cut < len(s.recent) && now.Sub(s.recent[cut]) >= time.Second {
			cut++
		}
		s.recent = append(s.recent[cut:], now)
		switch {
		case s.cfg.coolDown > 0 && now.Before(s.coolUntil):
			f = Fault{Kind: RateLimit, RetryAfter: retryAfter(s.coolUntil.Sub(now))}
			rec.DuringCoolDown = true
			s.duringCoolDown++
		case len(s.recent) > s.cfg.rate:
			f = Fault{Kind: RateLimit, RetryAfter: "1"}
			if s.cfg.coolDown > 0 {
				f.RetryAfter = retryAfter(s.cfg.coolDown)
				s.coolUntil = now.Add(s.cfg.coolDown)
			}
		}
		if f.Kind == RateLimit {
			rec.Limited = true
			s.refusals++
		}
	}
	v := admitted
	if f.Kind == RateLimit {
		v = limited
	}
	n := s.counts[sym]
	s.counts[sym] = n + 1
	st := s.symbols[sym]
	if f.Kind == None && st != nil && len(st.queue) > 0 {
		f, st.queue = st.queue[0], st.queue[1:]
	} else if f.Kind == None && st != nil && st.fault != nil {
		f = *st.fault
	} else if f.Kind == None && data && s.cfg.randomRate > 0 && len(s.cfg.randomMix) > 0 {
		rng := rand.New(rand.NewPCG(s.cfg.randomSeed, hash(sym)^uint64(n)*0x9E3779B97F4A7C15))
		if rng.Float64() < s.cfg.randomRate {
			f = s.cfg.randomMix[rng.IntN(len(s.cfg.randomMix))]
		}
	}
	rec.Fault = f.Kind
	return idx, f, v
}

// retryAfter is d as a Retry-After header: whole seconds, rounded up, at
// least 1.
func retryAfter(d time.Duration) string {
	return strconv.Itoa(max(1, int((d+time.Second-1)/time.Second)))
}

// settle records the status of request idx, and a fault found late (a
// refused crumb or key); nothing if Reset forgot the request meanwhile.
func (s *Server) settle(idx, status int, f FaultKind) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := idx - s.forgotten
	if i < 0 {
		return
	}
	s.requests[i].Status = status
	if f != None {
		s.requests[i].Fault = f
	}
}

func hash(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// wait pauses d on the server's clock, or until the request ends or the
// server closes; it reports whether the pause ran its course.
func (s *Server) wait(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return r.Context().Err() == nil
	}
	return pricefill.Sleep(r.Context(), s.cfg.clock, d) == nil
}
