package fetchhttp

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/internal/fake"
)

// A counted is a test server on 127.0.0.1 that counts the requests that
// reach it, by path.
type counted struct {
	*httptest.Server
	mu   sync.Mutex
	hits map[string]int
}

// newCounted starts a server whose handler h answers after the request is
// counted; it is closed when t ends.
func newCounted(t *testing.T, h http.HandlerFunc) *counted {
	t.Helper()
	c := &counted{hits: map[string]int{}}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.hits[r.URL.Path]++
		c.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(c.Close)
	return c
}

func (c *counted) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, h := range c.hits {
		n += h
	}
	return n
}

func (c *counted) count(path string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits[path]
}

const key = "k3y-of-the-provider"

// get sends a GET of u, with the API key in its query, through Get.
func get(t *testing.T, ctx context.Context, u string) (*Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u+"?apikey="+key, nil)
	if err != nil {
		t.Fatal(err)
	}
	return Get(http.DefaultClient, req, 1<<10, NewRedactor(key), "test SYM")
}

// TestRedirectSameOrigin: redirects within the provider's origin are
// followed, relative or absolute, a port left out being the default.
func TestRedirectSameOrigin(t *testing.T) {
	t.Parallel()
	srv := newCounted(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/a":
			http.Redirect(w, r, "/b?"+r.URL.RawQuery, http.StatusMovedPermanently)
		case "/b":
			http.Redirect(w, r, "http://"+r.Host+"/c?"+r.URL.RawQuery, http.StatusFound)
		default:
			io.WriteString(w, "data for "+r.URL.Query().Get("apikey"))
		}
	})
	resp, err := get(t, context.Background(), srv.URL+"/a")
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusOK || string(resp.Body) != "data for "+key {
		t.Errorf("answer %d %q, want 200 from /c", resp.Status, resp.Body)
	}
	for _, p := range []string{"/a", "/b", "/c"} {
		if n := srv.count(p); n != 1 {
			t.Errorf("%s had %d requests, want 1", p, n)
		}
	}
}

// TestRedirectOffOrigin: a redirect to another port, host or scheme is a
// permanent error naming the target without the key, and the target gets
// no request.
func TestRedirectOffOrigin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// target is where the provider redirects to: other, on another
		// port, or the provider by another name.
		target func(provider, other *httptest.Server) string
	}{
		{"another port", func(_, o *httptest.Server) string { return o.URL }},
		{"another host", func(p, _ *httptest.Server) string {
			_, port, _ := net.SplitHostPort(p.Listener.Addr().String())
			return "http://localhost:" + port // the same server, by another name
		}},
		{"another scheme", func(p, _ *httptest.Server) string { return "https://" + p.Listener.Addr().String() }},
		{"userinfo on another port", func(_, o *httptest.Server) string {
			return "http://u:pw@" + o.Listener.Addr().String()
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			other := newCounted(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "stolen") })
			var provider *counted
			provider = newCounted(t, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/steal" {
					io.WriteString(w, "stolen")
					return
				}
				http.Redirect(w, r, tc.target(provider.Server, other.Server)+"/steal?"+r.URL.RawQuery, http.StatusFound)
			})
			_, err := get(t, context.Background(), provider.URL+"/data")
			if !errors.Is(err, ErrRedirect) || pricefill.KindOf(err) != pricefill.KindPermanent {
				t.Fatalf("error %v (kind %s), want a permanent one matching ErrRedirect", err, pricefill.KindOf(err))
			}
			if n := other.total() + provider.count("/steal"); n != 0 {
				t.Errorf("the redirect's target got %d requests, want none", n)
			}
			if n := provider.count("/data"); n != 1 {
				t.Errorf("the provider got %d requests, want 1", n)
			}
			msg := err.Error()
			if strings.Contains(msg, key) || strings.Contains(msg, "pw@") {
				t.Errorf("error %q shows a secret", msg)
			}
			for _, want := range []string{"test SYM: ", "off the provider's origin " + provider.URL, "/steal?apikey=[REDACTED]"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not say %q", msg, want)
				}
			}
		})
	}
}

// TestRedirectLoop: a loop sends RedirectsMax+1 requests and fails
// permanently.
func TestRedirectLoop(t *testing.T) {
	t.Parallel()
	srv := newCounted(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.RequestURI(), http.StatusFound)
	})
	_, err := get(t, context.Background(), srv.URL+"/loop")
	if !errors.Is(err, ErrRedirect) || pricefill.KindOf(err) != pricefill.KindPermanent {
		t.Fatalf("error %v (kind %s), want a permanent one matching ErrRedirect", err, pricefill.KindOf(err))
	}
	if n := srv.total(); n != RedirectsMax+1 {
		t.Errorf("the loop made %d requests, want %d", n, RedirectsMax+1)
	}
	if !strings.Contains(err.Error(), "redirected more than 3 times") || strings.Contains(err.Error(), key) {
		t.Errorf("error %q: want it to say how many redirects, without the key", err)
	}
}

// TestRedirectAsksTheClient: the client's own CheckRedirect still has its
// say, after the origin rule.
func TestRedirectAsksTheClient(t *testing.T) {
	t.Parallel()
	srv := newCounted(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/a" {
			http.Redirect(w, r, "/b", http.StatusFound)
		}
	})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/a", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := Get(client, req, 1<<10, Redactor{}, "test")
	if err != nil || resp.Status != http.StatusFound || srv.count("/b") != 0 {
		t.Errorf("Get = %v, %v with /b reached %d times; want the 302 itself", resp, err, srv.count("/b"))
	}
}

// A countingLimiter counts its grants and the feedback it hears.
type countingLimiter struct {
	mu                               sync.Mutex
	waits, answered, refused, failed int
	// fail, when set, is the error of the wait after waits grants.
	failAfter int
	fail      error
}

func (l *countingLimiter) Wait(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail != nil && l.waits == l.failAfter {
		return l.fail
	}
	l.waits++
	return ctx.Err()
}

func (l *countingLimiter) Answered(context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.answered++
	return nil
}

func (l *countingLimiter) Refused(context.Context, *pricefill.RateLimitError) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.refused++
	return nil
}

func (l *countingLimiter) Failed(context.Context, string, error) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failed++
	return false, nil
}

// runOne runs a Runner over one symbol whose fetch is one Get of u, with
// lim as its limiter.
func runOne(t *testing.T, u string, lim *countingLimiter) (*backfill.Report, error) {
	t.Helper()
	f := backfill.FetcherFunc(func(ctx context.Context, sym string, _ pricefill.Range) (*pricefill.Series, error) {
		if _, err := get(t, ctx, u); err != nil {
			return nil, err
		}
		return &pricefill.Series{Asset: pricefill.Asset{Symbol: sym}}, nil
	})
	r, err := backfill.New(f, fake.NewStore(), backfill.WithLimiter(lim), backfill.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	return r.Run(context.Background(), backfill.Request{
		Symbols: []string{"SYM"},
		Range:   pricefill.Range{From: pricefill.Date(2024, 1, 2), To: pricefill.Date(2024, 1, 5)},
	})
}

// TestRedirectHopsWaitOnTheLimiter: under a Runner every request of a
// chain, the redirects too, is one grant of the limiter and one request
// of the report, and the limiter hears how the fetch went once.
func TestRedirectHopsWaitOnTheLimiter(t *testing.T) {
	t.Parallel()
	t.Run("followed", func(t *testing.T) {
		t.Parallel()
		srv := newCounted(t, func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/a":
				http.Redirect(w, r, "/b", http.StatusFound)
			case "/b":
				http.Redirect(w, r, "/c", http.StatusFound)
			}
		})
		lim := &countingLimiter{}
		rep, err := runOne(t, srv.URL+"/a", lim)
		if err != nil {
			t.Fatal(err)
		}
		if got := srv.total(); rep.Succeeded != 1 || got != 3 || lim.waits != got || rep.Requests != got {
			t.Errorf("%d requests arrived, %d grants, %d in the report, %d succeeded; want 3, 3, 3, 1", got, lim.waits, rep.Requests, rep.Succeeded)
		}
		if lim.answered != 1 || lim.refused+lim.failed != 0 {
			t.Errorf("the limiter heard %d answers, %d refusals and %d failures; want one answer", lim.answered, lim.refused, lim.failed)
		}
	})
	t.Run("loop", func(t *testing.T) {
		t.Parallel()
		srv := newCounted(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, r.URL.RequestURI(), http.StatusFound)
		})
		lim := &countingLimiter{}
		rep, err := runOne(t, srv.URL+"/loop", lim)
		if err != nil {
			t.Fatal(err)
		}
		if got := srv.total(); got != RedirectsMax+1 || lim.waits != got || rep.Requests != got {
			t.Errorf("%d requests arrived, %d grants, %d in the report; want %d each", got, lim.waits, rep.Requests, RedirectsMax+1)
		}
		if rep.Failed != 1 || len(rep.Failures) != 1 || rep.Failures[0].Kind != pricefill.KindPermanent {
			t.Fatalf("report %+v: want the symbol failed permanently", rep.Failures)
		}
		if lim.answered != 1 || lim.failed != 0 {
			t.Errorf("the limiter heard %d answers and %d failures; want one answer (a permanent refusal)", lim.answered, lim.failed)
		}
	})
	t.Run("stopped at a hop", func(t *testing.T) {
		t.Parallel()
		srv := newCounted(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/next", http.StatusFound)
		})
		down := pricefill.Unavailable(errors.New("the provider is down"))
		lim := &countingLimiter{failAfter: 1, fail: down}
		rep, err := runOne(t, srv.URL+"/a", lim)
		if !errors.Is(err, pricefill.ErrUnavailable) {
			t.Errorf("Run: %v, want the run stopped for the outage", err)
		}
		if got := srv.total(); got != 1 || srv.count("/next") != 0 {
			t.Errorf("%d requests arrived, /next %d; want the first only: a hop the limiter refused is not sent", got, srv.count("/next"))
		}
		if rep.Failed != 0 {
			t.Errorf("report %+v: the symbol failed, want it given back unharmed", rep.Failures)
		}
	})
}
