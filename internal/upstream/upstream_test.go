package upstream_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/internal/clocktest"
	"github.com/pricefill/pricefill/internal/testmain"
	"github.com/pricefill/pricefill/internal/upstream"
)

func TestMain(m *testing.M) { testmain.Run(m) }

var d = pricefill.Date

func setup(t *testing.T, opts ...upstream.Option) *upstream.Server {
	t.Helper()
	srv, err := upstream.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// get fetches path from srv and returns the status, header and body; a
// transport failure is returned as err.
func get(t *testing.T, srv *upstream.Server, path string) (int, http.Header, string, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		return 0, nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b), err
}

// A result is what a request run in a goroutine got (see goGet).
type result struct {
	status int
	header http.Header
	body   string
	err    error
}

// goGet fetches path from srv in a goroutine, with srv's client, and sends
// the result on the channel it returns. The request ends with the test.
func goGet(t *testing.T, srv *upstream.Server, path string) <-chan result {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan result, 1)
	go func() {
		resp, err := srv.Client().Do(req)
		if err != nil {
			ch <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		ch <- result{resp.StatusCode, resp.Header, string(b), err}
	}()
	return ch
}

// awaitTimers waits until clock has n timers waiting (requests held for
// the latency), failing if an answer comes on ch first.
func awaitTimers(t *testing.T, clock *clocktest.Fake, n int, ch <-chan result) {
	t.Helper()
	for clock.Timers() < n {
		select {
		case r := <-ch:
			t.Fatalf("answered (status %d, error %v) before waiting for the latency", r.status, r.err)
		default:
			runtime.Gosched()
		}
	}
}

// atOnce returns the answer that comes on ch, failing if clock gets more
// than n timers first: the answer waits for the latency.
func atOnce(t *testing.T, clock *clocktest.Fake, n int, ch <-chan result) result {
	t.Helper()
	for {
		select {
		case r := <-ch:
			return r
		default:
		}
		if got := clock.Timers(); got > n {
			t.Fatalf("%d timers, want %d: the answer waits for the latency", got, n)
		}
		runtime.Gosched()
	}
}

// receive returns the value that comes on ch, failing if none has come in
// ten seconds: a bound for a broken server, not a pause.
func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: nothing after 10 s", what)
		panic("unreachable")
	}
}

func mustGet(t *testing.T, srv *upstream.Server, path string) (int, http.Header, string) {
	t.Helper()
	st, h, body, err := get(t, srv, path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return st, h, body
}

const stooqWeek = "/q/d/l/?s=aapl.us&i=d&d1=20240108&d2=20240112"

func TestListensOnLoopback(t *testing.T) {
	t.Parallel()
	srv := setup(t)
	if !strings.HasPrefix(srv.URL(), "http://127.0.0.1:") {
		t.Errorf("URL %s, want http://127.0.0.1:port", srv.URL())
	}
}

func TestStooqCSV(t *testing.T) {
	t.Parallel()
	srv := setup(t)
	srv.SetNullDays("AAPL", d(2024, 1, 10))
	st, h, body := mustGet(t, srv, stooqWeek)
	if st != 200 || h.Get("Content-Type") != "text/csv" {
		t.Fatalf("status %d, type %q", st, h.Get("Content-Type"))
	}
	lines := strings.Split(strings.TrimSpace(body), "\n")
	var dates []string
	for _, l := range lines[1:] {
		dates = append(dates, l[:10])
	}
	if lines[0] != "Date,Open,High,Low,Close,Volume" {
		t.Errorf("header %q", lines[0])
	}
	if diff := cmp.Diff([]string{"2024-01-08", "2024-01-09", "2024-01-11", "2024-01-12"}, dates); diff != "" {
		t.Errorf("dates, the null day left out (-want +got):\n%s", diff)
	}
	if got := len(srv.Bars("AAPL", pricefill.Range{From: d(2024, 1, 8), To: d(2024, 1, 12)})); got != 4 {
		t.Errorf("Bars: %d, want 4", got)
	}
	if _, _, body := mustGet(t, srv, "/q/d/l/?s=aapl.us&i=d&d1=20240106&d2=20240107"); body != "No data" {
		t.Errorf("a weekend: %q, want No data", body)
	}
}

func TestResolvesProviderSpellings(t *testing.T) {
	t.Parallel()
	srv := setup(t)
	srv.SetUnknown("BRK.B", "OCDO.L", "^GSPC", "TSCO.L")
	for _, path := range []string{
		"/v8/finance/chart/BRK-B?period1=1704700000&period2=1705000000",
		"/q/d/l/?s=brk-b.us&i=d",
		"/query?function=TIME_SERIES_DAILY&symbol=BRK-B",
		"/q/d/l/?s=ocdo.uk&i=d",
		"/q/d/l/?s=^spx&i=d",
		"/query?function=TIME_SERIES_DAILY&symbol=TSCO.LON",
	} {
		mustGet(t, srv, path)
	}
	for _, r := range srv.Requests() {
		if r.Fault != upstream.NotFound {
			t.Errorf("%s %s: fault %s, want not_found: the spelling was not read as the symbol", r.Provider, r.Symbol, r.Fault)
		}
	}
	if n := len(srv.RequestsFor("BRK.B")); n != 3 {
		t.Errorf("RequestsFor(BRK.B): %d, want 3", n)
	}
}

func TestRecordsRequests(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2024, 1, 15, 14, 0, 0, 0, time.UTC)
	clock := clocktest.NewFake(t0)
	srv := setup(t, upstream.WithClock(clock))
	mustGet(t, srv, stooqWeek+"&apikey=K")
	clock.Advance(time.Second)
	mustGet(t, srv, "/query?function=TIME_SERIES_DAILY&symbol=MSFT&outputsize=compact&apikey=K")
	reqs := srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[0]
	if r.Provider != upstream.Stooq || r.Path != "/q/d/l/" || r.Symbol != "aapl.us" || r.Query.Get("d1") != "20240108" || !r.Time.Equal(t0) || r.Status != 200 || r.Fault != upstream.None {
		t.Errorf("first request %+v", r)
	}
	if r := reqs[1]; r.Provider != upstream.AlphaVantage || r.Symbol != "MSFT" || !r.Time.Equal(t0.Add(time.Second)) {
		t.Errorf("second request %+v", r)
	}
	srv.Reset()
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests after Reset", n)
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	clock := clocktest.NewFake(time.Date(2024, 1, 15, 14, 0, 0, 0, time.UTC))
	srv := setup(t, upstream.WithClock(clock), upstream.WithRateLimit(2))
	var statuses []int
	for range 3 {
		st, h, _ := mustGet(t, srv, stooqWeek)
		statuses = append(statuses, st)
		if st == 429 && h.Get("Retry-After") != "1" {
			t.Errorf("429 with Retry-After %q, want 1", h.Get("Retry-After"))
		}
	}
	clock.Advance(999 * time.Millisecond)
	st, _, _ := mustGet(t, srv, stooqWeek) // the 429 counts too: still 3 in the last second
	statuses = append(statuses, st)
	clock.Advance(time.Second)
	st, _, _ = mustGet(t, srv, stooqWeek)
	statuses = append(statuses, st)
	if diff := cmp.Diff([]int{200, 200, 429, 429, 200}, statuses); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if got := srv.PeakRate(time.Second); got != 4 {
		t.Errorf("PeakRate(1s) = %d, want 4", got)
	}
	var limited []bool
	for _, r := range srv.Requests() {
		limited = append(limited, r.Limited)
	}
	if diff := cmp.Diff([]bool{false, false, true, true, false}, limited); diff != "" {
		t.Errorf("Limited of the requests (-want +got):\n%s", diff)
	}
	if got := srv.Requests()[2].Fault; got != upstream.RateLimit {
		t.Errorf("refused request recorded with fault %s", got)
	}
	if got := srv.Refusals(); got != 2 {
		t.Errorf("Refusals() = %d, want 2", got)
	}
	for i, r := range srv.Requests() {
		if r.DuringCoolDown {
			t.Errorf("request %d during a cool-down, without WithStrictCoolDown", i)
		}
	}
	if got := srv.DuringCoolDown(); got != 0 {
		t.Errorf("DuringCoolDown() = %d without WithStrictCoolDown, want 0", got)
	}
}

// TestInjectedRateLimitIsNotLimited: a RateLimit fault that a test asked
// for is not the server's own rate limit.
func TestInjectedRateLimitIsNotLimited(t *testing.T) {
	t.Parallel()
	srv := setup(t, upstream.WithRateLimit(100))
	srv.PushFaults("AAPL", upstream.Fault{Kind: upstream.RateLimit, RetryAfter: "3"})
	st, h, _ := mustGet(t, srv, stooqWeek)
	if st != 429 || h.Get("Retry-After") != "3" {
		t.Fatalf("pushed RateLimit: %d, Retry-After %q", st, h.Get("Retry-After"))
	}
	if r := srv.Requests()[0]; r.Fault != upstream.RateLimit || r.Limited {
		t.Errorf("pushed RateLimit recorded as fault %s, limited %v; want rate_limit, not limited", r.Fault, r.Limited)
	}
	if got := srv.Refusals(); got != 0 {
		t.Errorf("Refusals() = %d after a pushed RateLimit, want 0", got)
	}
}

func TestFaultOrder(t *testing.T) {
	t.Parallel()
	srv := setup(t)
	srv.PushFaults("AAPL", upstream.Fault{Kind: upstream.Status, Status: 502}, upstream.Fault{}, upstream.Fault{Kind: upstream.NotFound})
	srv.SetFault("AAPL", upstream.Fault{Kind: upstream.Quota})
	var got []string
	for range 5 {
		_, _, body := mustGet(t, srv, stooqWeek)
		got = append(got, strings.SplitN(body, "\n", 2)[0])
	}
	srv.SetFault("AAPL", upstream.Fault{})
	_, _, body := mustGet(t, srv, stooqWeek)
	got = append(got, strings.SplitN(body, "\n", 2)[0])
	want := []string{
		"upstream: HTTP 502 Bad Gateway for " + stooqWeek, "Date,Open,High,Low,Close,Volume", "No data",
		"Exceeded the daily hits limit", "Exceeded the daily hits limit", "Date,Open,High,Low,Close,Volume",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
}

// TestRandomFaultsReproducible: the same seed gives each symbol the same
// faults, whatever the order of requests across symbols.
func TestRandomFaultsReproducible(t *testing.T) {
	t.Parallel()
	syms := []string{"a", "b", "c", "d"}
	run := func(order []string) map[string][]upstream.FaultKind {
		srv := setup(t, upstream.WithRandomFaults(42, 0.5, upstream.Fault{Kind: upstream.Quota}, upstream.Fault{Kind: upstream.NotFound}, upstream.Fault{Kind: upstream.Status}))
		for _, s := range order {
			mustGet(t, srv, "/q/d/l/?s="+s+".us&i=d&d1=20240108&d2=20240112")
		}
		out := map[string][]upstream.FaultKind{}
		for _, r := range srv.Requests() {
			out[r.Symbol] = append(out[r.Symbol], r.Fault)
		}
		return out
	}
	var forward, backward []string
	for range 10 {
		forward = append(forward, syms...)
		backward = append(backward, syms[3], syms[2], syms[1], syms[0])
	}
	a, b := run(forward), run(backward)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("faults differ with the order (-forward +backward):\n%s", diff)
	}
	n := 0
	for _, ks := range a {
		for _, k := range ks {
			if k != upstream.None {
				n++
			}
		}
	}
	if n < 8 || n > 32 {
		t.Errorf("%d faults in 40 requests at rate 0.5", n)
	}
}

func TestTransportFaults(t *testing.T) {
	t.Parallel()
	srv := setup(t)
	srv.PushFaults("AAPL", upstream.Fault{Kind: upstream.Truncate})
	if _, _, _, err := get(t, srv, stooqWeek); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated: error %v, want unexpected EOF", err)
	}
	srv.SetFault("MSFT", upstream.Fault{Kind: upstream.Drop})
	if _, _, _, err := get(t, srv, "/q/d/l/?s=msft.us&i=d"); err == nil {
		t.Error("dropped: no error")
	}
	srv.PushFaults("AAPL", upstream.Fault{Kind: upstream.Slow, Delay: time.Millisecond})
	if st, _, body, err := get(t, srv, stooqWeek); err != nil || st != 200 || !strings.HasSuffix(body, "\n") {
		t.Errorf("slow: %d %q %v, want the whole body", st, body, err)
	}
}

// TestCloseEndsSlowAnswers: Close does not wait for a slow body's pause.
func TestCloseEndsSlowAnswers(t *testing.T) {
	t.Parallel()
	srv, err := upstream.New()
	if err != nil {
		t.Fatal(err)
	}
	srv.SetFault("AAPL", upstream.Fault{Kind: upstream.Slow, Delay: time.Hour})
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodGet, srv.URL()+stooqWeek, nil)
		resp, err := srv.Client().Do(req)
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		done <- err
	}()
	for len(srv.Requests()) == 0 {
		runtime.Gosched()
	}
	srv.Close()
	if err := <-done; err == nil {
		t.Error("the slow body completed")
	}
}

func TestLatency(t *testing.T) {
	t.Parallel()
	clock := clocktest.NewFake(time.Date(2024, 1, 15, 14, 0, 0, 0, time.UTC))
	srv := setup(t, upstream.WithClock(clock), upstream.WithLatency(time.Minute))
	done := make(chan int, 1)
	go func() {
		st, _, _, _ := get(t, srv, stooqWeek)
		done <- st
	}()
	for clock.Timers() == 0 {
		runtime.Gosched()
	}
	select {
	case st := <-done:
		t.Fatalf("answered (%d) before the latency passed", st)
	default:
	}
	clock.Advance(time.Minute)
	if st := <-done; st != 200 {
		t.Errorf("status %d after the latency", st)
	}
}

func TestYahooChart(t *testing.T) {
	t.Parallel()
	srv := setup(t)
	srv.SetNullDays("WSU.DE", d(2024, 1, 9))
	srv.SetEvents("WSU.DE", []pricefill.Dividend{{Date: d(2024, 1, 10), Amount: 1.5}}, nil)
	// 2024-01-08 00:00 to 2024-01-11 00:00 Berlin: three days.
	p1, p2 := time.Date(2024, 1, 7, 23, 0, 0, 0, time.UTC).Unix(), time.Date(2024, 1, 10, 23, 0, 0, 0, time.UTC).Unix()
	_, _, body := mustGet(t, srv, "/v8/finance/chart/WSU.DE?interval=1d&period1="+itoa(p1)+"&period2="+itoa(p2))
	var c struct {
		Chart struct {
			Result []struct {
				Meta struct {
					Currency, ExchangeTimezoneName string
				}
				Timestamp  []int64
				Events     map[string]map[string]map[string]float64
				Indicators struct {
					Quote []struct{ Close []*float64 }
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(body), &c); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	res := c.Chart.Result[0]
	berlin, _ := time.LoadLocation("Europe/Berlin")
	var stamps []string
	for _, ts := range res.Timestamp {
		stamps = append(stamps, time.Unix(ts, 0).In(berlin).Format("2006-01-02 15:04"))
	}
	if diff := cmp.Diff([]string{"2024-01-08 09:00", "2024-01-09 09:00", "2024-01-10 09:00"}, stamps); diff != "" {
		t.Errorf("stamps (-want +got):\n%s", diff)
	}
	if q := res.Indicators.Quote[0].Close; q[1] != nil || q[0] == nil {
		t.Errorf("closes %v: want a null on 01-09", q)
	}
	if res.Meta.Currency != "EUR" || res.Meta.ExchangeTimezoneName != "Europe/Berlin" {
		t.Errorf("meta %+v", res.Meta)
	}
	if got := res.Events["dividends"]; len(got) != 1 {
		t.Errorf("dividends %v", got)
	}
	// Nothing in range: a 200 without timestamps.
	sat := time.Date(2024, 1, 6, 0, 0, 0, 0, berlin).Unix()
	_, _, body = mustGet(t, srv, "/v8/finance/chart/WSU.DE?interval=1d&period1="+itoa(sat)+"&period2="+itoa(sat+86400))
	if strings.Contains(body, "timestamp") {
		t.Errorf("weekend answer has timestamps: %s", body)
	}
}

func TestYahooCrumb(t *testing.T) {
	t.Parallel()
	srv := setup(t, upstream.WithYahooCrumb())
	const chart = "/v8/finance/chart/AAPL?period1=1704700000&period2=1705000000"
	if st, _, _ := mustGet(t, srv, chart); st != 401 {
		t.Errorf("without crumb: %d, want 401", st)
	}
	st, h, _ := mustGet(t, srv, "/")
	cookie := h.Get("Set-Cookie")
	if st != 404 || cookie == "" {
		t.Fatalf("cookie page: %d %q, want 404 with a cookie", st, cookie)
	}
	crumbReq := func() (int, string) {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL()+"/v1/test/getcrumb", nil)
		req.Header.Set("Cookie", strings.Split(cookie, ";")[0])
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	st, crumb := crumbReq()
	if st != 200 || crumb == "" {
		t.Fatalf("crumb: %d %q", st, crumb)
	}
	chartWith := func(crumb string) int {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL()+chart+"&crumb="+crumb, nil)
		req.Header.Set("Cookie", strings.Split(cookie, ";")[0])
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := chartWith(crumb); st != 200 {
		t.Errorf("with cookie and crumb: %d", st)
	}
	srv.ExpireCrumb()
	if st := chartWith(crumb); st != 401 {
		t.Errorf("with an expired crumb: %d, want 401", st)
	}
	if _, fresh := crumbReq(); fresh == crumb || chartWith(fresh) != 200 {
		t.Errorf("fresh crumb %q after %q", fresh, crumb)
	}
}

func TestAlphaVantage(t *testing.T) {
	t.Parallel()
	clock := clocktest.NewFake(time.Date(2024, 6, 3, 22, 0, 0, 0, time.UTC))
	srv := setup(t, upstream.WithClock(clock), upstream.WithAPIKey("good"))
	count := func(size string) int {
		_, _, body := mustGet(t, srv, "/query?function=TIME_SERIES_DAILY&symbol=IBM&outputsize="+size+"&apikey=good")
		var doc struct {
			Series map[string]map[string]string `json:"Time Series (Daily)"`
		}
		if err := json.Unmarshal([]byte(body), &doc); err != nil {
			t.Fatalf("%v: %.200s", err, body)
		}
		if _, ok := doc.Series["2024-06-03"]; !ok {
			t.Errorf("%s: no bar for today", size)
		}
		return len(doc.Series)
	}
	if n := count("compact"); n != upstream.AVCompactDays {
		t.Errorf("compact: %d days, want %d", n, upstream.AVCompactDays)
	}
	if n := count("full"); n < 5000 {
		t.Errorf("full: %d days, want twenty years", n)
	}
	_, _, body := mustGet(t, srv, "/query?function=TIME_SERIES_DAILY&symbol=IBM&apikey=bad")
	if !strings.Contains(body, "apikey is invalid") {
		t.Errorf("bad key: %s", body)
	}
}

func TestOptionsValidated(t *testing.T) {
	t.Parallel()
	for _, opt := range []upstream.Option{upstream.WithRateLimit(-1), upstream.WithLatency(-time.Second), upstream.WithRandomFaults(1, 2), upstream.WithNullRate(-1), upstream.WithStrictCoolDown(-time.Second)} {
		if srv, err := upstream.New(opt); err == nil {
			srv.Close()
			t.Error("bad option accepted")
		}
	}
}

// TestConcurrentUse: the server is safe for concurrent requests and
// configuration (run with -race).
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	srv := setup(t, upstream.WithRandomFaults(7, 0.3))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 10 {
				srv.PushFaults("AAPL", upstream.Fault{Kind: upstream.Quota})
				get(t, srv, "/q/d/l/?s=aapl.us&i=d")
				get(t, srv, "/v8/finance/chart/MSFT?period1=1704700000&period2=1705000000")
				if j == i {
					srv.Reset()
				}
			}
		})
	}
	wg.Wait()
	if srv.PeakRate(time.Second) == 0 && len(srv.Requests()) > 0 {
		t.Error("PeakRate 0 with requests recorded")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
