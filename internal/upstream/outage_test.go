package upstream_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill/internal/clocktest"
	"github.com/pricefill/pricefill/internal/upstream"
)

// freshGet fetches url with a client of its own, that has no connection
// to reuse, and returns the status.
func freshGet(t *testing.T, url string) (int, error) {
	t.Helper()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}

func setOutage(t *testing.T, srv *upstream.Server, o upstream.Outage) {
	t.Helper()
	if err := srv.SetOutage(o); err != nil {
		t.Fatalf("SetOutage(%s): %v", o, err)
	}
}

// TestOutageRefuse: while refusing, connections are refused and nothing
// is recorded; back up, the same URL answers, with the client that had a
// connection open and with a new one.
func TestOutageRefuse(t *testing.T) {
	t.Parallel()
	srv := setup(t)
	url := srv.URL()
	mustGet(t, srv, stooqWeek) // leaves an idle keep-alive connection
	setOutage(t, srv, upstream.Refuse)
	if _, _, _, err := get(t, srv, stooqWeek); err == nil {
		t.Error("refusing: the client with a connection got an answer")
	}
	if _, err := freshGet(t, url+stooqWeek); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("refusing: error %v, want connection refused", err)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("%d requests recorded, want 1: none while refusing", n)
	}
	setOutage(t, srv, upstream.Refuse) // again: nothing to do
	setOutage(t, srv, upstream.Up)
	if srv.URL() != url {
		t.Errorf("URL %s after the outage, want %s", srv.URL(), url)
	}
	if st, _, _ := mustGet(t, srv, stooqWeek); st != 200 {
		t.Errorf("back up, srv.Client(): %d", st)
	}
	if st, err := freshGet(t, url+stooqWeek); err != nil || st != 200 {
		t.Errorf("back up, a new client: %d, %v", st, err)
	}
	if n := len(srv.Requests()); n != 3 {
		t.Errorf("%d requests recorded, want 3", n)
	}
}

// TestOutageRefuseClosesConnections: Refuse closes every open connection
// at once: one whose answer waits for the latency, one whose body is being
// written, idle ones.
func TestOutageRefuseClosesConnections(t *testing.T) {
	t.Parallel()
	t.Run("waiting for the latency", func(t *testing.T) {
		t.Parallel()
		clock := clocktest.NewFake(time.Date(2024, 1, 15, 14, 0, 0, 0, time.UTC))
		srv := setup(t, upstream.WithClock(clock), upstream.WithLatency(time.Hour))
		ch := goGet(t, srv, stooqWeek)
		awaitTimers(t, clock, 1, ch)
		setOutage(t, srv, upstream.Refuse)
		if r := receive(t, ch, "the request waiting"); r.err == nil {
			t.Errorf("answered %d after the connection was closed", r.status)
		}
	})
	t.Run("slow body", func(t *testing.T) {
		t.Parallel()
		srv := setup(t)
		srv.SetFault("AAPL", upstream.Fault{Kind: upstream.Slow, Delay: time.Hour})
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL()+stooqWeek, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := srv.Client().Do(req) // the headers and half the body have come
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		read := make(chan error, 1)
		go func() {
			_, err := io.ReadAll(resp.Body)
			read <- err
		}()
		setOutage(t, srv, upstream.Refuse)
		if err := receive(t, read, "the slow body"); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("slow body: error %v, want unexpected EOF", err)
		}
	})
	t.Run("idle", func(t *testing.T) {
		t.Parallel()
		srv := setup(t)
		addr := strings.TrimPrefix(srv.URL(), "http://")
		kept := dial(t, addr) // idle after an answer, kept alive
		if _, err := io.WriteString(kept, "GET "+stooqWeek+" HTTP/1.1\r\nHost: "+addr+"\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		rd := bufio.NewReader(kept)
		resp, err := http.ReadResponse(rd, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Close {
			t.Fatalf("answer %d, close %v; want 200 and a connection kept alive", resp.StatusCode, resp.Close)
		}
		silent := dial(t, addr) // no request sent
		setOutage(t, srv, upstream.Refuse)
		for name, r := range map[string]io.Reader{"kept alive": rd, "silent": silent} {
			_, err := r.Read(make([]byte, 1))
			var ne net.Error
			if err == nil || errors.As(err, &ne) && ne.Timeout() {
				t.Errorf("%s connection: read error %v, want it closed", name, err)
			}
		}
	})
}

// dial connects to addr, with a deadline of ten seconds for what the test
// reads and writes (a bound for a broken server, not a pause).
func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c
}

// TestOutageUnavailable: every handler answers 503 with an HTML page after
// the latency, recorded as a Status fault; the rate limit and the faults
// pushed are left for after the outage.
func TestOutageUnavailable(t *testing.T) {
	t.Parallel()
	clock := clocktest.NewFake(time.Date(2024, 1, 15, 14, 0, 0, 0, time.UTC))
	srv := setup(t, upstream.WithClock(clock), upstream.WithLatency(time.Minute),
		upstream.WithRateLimit(1), upstream.WithStrictCoolDown(time.Hour))
	srv.PushFaults("AAPL", upstream.Fault{Kind: upstream.NotFound})
	setOutage(t, srv, upstream.Refuse)
	setOutage(t, srv, upstream.Unavailable) // listens again, unavailable
	for _, h := range everyHandler {
		ch := goGet(t, srv, h.path)
		awaitTimers(t, clock, 1, ch)
		clock.Advance(time.Minute)
		r := receive(t, ch, h.name)
		if r.err != nil || r.status != 503 || r.header.Get("Content-Type") != "text/html; charset=utf-8" || !strings.Contains(r.body, "<html>") {
			t.Errorf("%s: %d %q %v, %.80q; want 503 with an HTML page", h.name, r.status, r.header.Get("Content-Type"), r.err, r.body)
		}
	}
	type record struct {
		Status  int
		Fault   upstream.FaultKind
		Limited bool
	}
	var got []record
	for _, r := range srv.Requests() {
		got = append(got, record{r.Status, r.Fault, r.Limited})
	}
	outage := record{503, upstream.Status, false}
	if diff := cmp.Diff([]record{outage, outage, outage, outage, outage}, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	setOutage(t, srv, upstream.Up)
	ch := goGet(t, srv, stooqWeek)
	awaitTimers(t, clock, 1, ch)
	clock.Advance(time.Minute)
	if r := receive(t, ch, "back up"); r.status != 200 || r.body != "No data" {
		t.Errorf("back up: %d %q; want the pushed NotFound (200, No data), not a refusal", r.status, r.body)
	}
}

// TestOutageUnavailableKeepsConnections: switching between Up and
// Unavailable does not close the listener or the connections.
func TestOutageUnavailableKeepsConnections(t *testing.T) {
	t.Parallel()
	srv := setup(t)
	c := dial(t, strings.TrimPrefix(srv.URL(), "http://"))
	rd := bufio.NewReader(c)
	var got []int
	for _, o := range []upstream.Outage{upstream.Unavailable, upstream.Up} {
		setOutage(t, srv, o)
		if _, err := io.WriteString(c, "GET "+stooqWeek+" HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(rd, nil)
		if err != nil {
			t.Fatalf("%s: %v", o, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		got = append(got, resp.StatusCode)
	}
	if diff := cmp.Diff([]int{503, 200}, got); diff != "" {
		t.Errorf("statuses on one connection (-want +got):\n%s", diff)
	}
}

func TestSetOutageErrors(t *testing.T) {
	t.Parallel()
	t.Run("unknown outage", func(t *testing.T) {
		t.Parallel()
		if err := setup(t).SetOutage(upstream.Outage(7)); err == nil {
			t.Error("SetOutage(7) accepted")
		}
	})
	t.Run("port taken", func(t *testing.T) {
		t.Parallel()
		srv := setup(t)
		setOutage(t, srv, upstream.Refuse)
		squatter, err := net.Listen("tcp", strings.TrimPrefix(srv.URL(), "http://"))
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.SetOutage(upstream.Up); err == nil {
			t.Error("SetOutage(Up) on a port taken: no error")
		}
		squatter.Close()
		setOutage(t, srv, upstream.Up) // still refusing, so it tries again
		if st, _, _ := mustGet(t, srv, stooqWeek); st != 200 {
			t.Errorf("back up: %d", st)
		}
	})
	t.Run("closed", func(t *testing.T) {
		t.Parallel()
		srv := setup(t)
		srv.Close()
		if err := srv.SetOutage(upstream.Up); !errors.Is(err, net.ErrClosed) {
			t.Errorf("SetOutage after Close: %v, want net.ErrClosed", err)
		}
	})
}

// TestCloseInEveryOutage: Close ends a request in flight and returns, in
// every outage, and twice; the package's TestMain checks that no
// goroutine is left.
func TestCloseInEveryOutage(t *testing.T) {
	t.Parallel()
	for _, o := range []upstream.Outage{upstream.Up, upstream.Refuse, upstream.Unavailable} {
		t.Run(o.String(), func(t *testing.T) {
			t.Parallel()
			clock := clocktest.NewFake(time.Date(2024, 1, 15, 14, 0, 0, 0, time.UTC))
			srv, err := upstream.New(upstream.WithClock(clock), upstream.WithLatency(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			setOutage(t, srv, o)
			var ch <-chan result
			if o != upstream.Refuse {
				ch = goGet(t, srv, stooqWeek)
				awaitTimers(t, clock, 1, ch)
			}
			closed := make(chan struct{})
			go func() {
				srv.Close()
				srv.Close()
				close(closed)
			}()
			receive(t, closed, "Close")
			if ch != nil {
				if r := receive(t, ch, "the request in flight"); r.err == nil {
					t.Errorf("request in flight answered %d", r.status)
				}
			}
		})
	}
}

func TestOutageString(t *testing.T) {
	t.Parallel()
	var got []string
	for _, o := range []upstream.Outage{upstream.Up, upstream.Refuse, upstream.Unavailable, upstream.Outage(9)} {
		got = append(got, o.String())
	}
	if diff := cmp.Diff([]string{"up", "refuse", "unavailable", "Outage(9)"}, got); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
}

func TestUnreachableURL(t *testing.T) {
	t.Parallel()
	url, err := upstream.UnreachableURL()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(url, "http://127.0.0.1:") || url == "http://127.0.0.1:0" {
		t.Errorf("URL %s, want http://127.0.0.1:port", url)
	}
	if _, err := freshGet(t, url+stooqWeek); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("error %v, want connection refused", err)
	}
}
