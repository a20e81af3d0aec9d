package fetchhttp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pricefill/pricefill"
)

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 6, 3, 12, 0, 0, 0, time.UTC)
	date := func(d time.Duration) string { return now.Add(d).Format(http.TimeFormat) }
	tests := []struct {
		name       string
		retryAfter string
		date       string // the response's Date header
		want       time.Duration
	}{
		{"none", "", "", 0},
		{"seconds", "7", "", 7 * time.Second},
		{"spaces", " 7 ", "", 7 * time.Second},
		{"zero", "0", "", 0},
		{"negative", "-5", "", 0},
		{"years of seconds: capped", "315360000", "", RetryAfterMax},
		{"huge number: capped", "99999999999999999", "", RetryAfterMax},
		{"date, measured from now", date(90 * time.Second), "", 90 * time.Second},
		{"date, measured from the server's Date", date(90 * time.Second), date(30 * time.Second), 60 * time.Second},
		{"date in the past", date(-time.Hour), "", 0},
		{"date years ahead: capped", date(24 * 365 * time.Hour), "", RetryAfterMax},
		{"garbage", "soon", "", 0},
		{"fraction", "1.5", "", 0},
	}
	for _, tc := range tests {
		h := http.Header{}
		if tc.retryAfter != "" {
			h.Set("Retry-After", tc.retryAfter)
		}
		if tc.date != "" {
			h.Set("Date", tc.date)
		}
		if got := RetryAfter(h, now); got != tc.want {
			t.Errorf("%s: RetryAfter(%q) = %s, want %s", tc.name, tc.retryAfter, got, tc.want)
		}
	}
}

func TestReadAll(t *testing.T) {
	t.Parallel()
	if b, err := ReadAll(strings.NewReader("12345"), 5); err != nil || string(b) != "12345" {
		t.Errorf("at the cap: %q, %v", b, err)
	}
	if _, err := ReadAll(strings.NewReader("123456"), 5); !errors.Is(err, ErrBodyTooLarge) {
		t.Errorf("over the cap: %v, want ErrBodyTooLarge", err)
	}
	if _, err := ReadAll(io.MultiReader(strings.NewReader("12"), errReader{}), 5); err == nil || errors.Is(err, ErrBodyTooLarge) {
		t.Errorf("read error: %v", err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func TestRedactor(t *testing.T) {
	t.Parallel()
	red := NewRedactor("s3cr+t/=", "")
	in := "a s3cr+t/= b s3cr%2Bt%2F%3D c s3cr+t%2F=" // raw, query- and path-escaped
	if got := red.String(in); strings.Contains(got, "s3cr") {
		t.Errorf("String(%q) = %q", in, got)
	}
	if got := string(red.Bytes([]byte("no secret"))); got != "no secret" {
		t.Errorf("Bytes without a secret: %q", got)
	}
	if got := (Redactor{}).String("s3cr+t/="); got != "s3cr+t/=" {
		t.Errorf("zero Redactor changed %q", got)
	}
	// A *url.Error is replaced by what it wraps; what that matches still does.
	ue := &url.Error{Op: "Get", URL: "https://x/?apikey=s3cr%2Bt%2F%3D", Err: context.DeadlineExceeded}
	err := red.Error(ue)
	var got *url.Error
	if errors.As(err, &got) || strings.Contains(err.Error(), "s3cr") || strings.Contains(err.Error(), "https://x") {
		t.Errorf("Error(%v) = %v: still a URL or the key", ue, err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Error(%v) = %v does not match context.DeadlineExceeded", ue, err)
	}
	if red.Error(nil) != nil {
		t.Error("Error(nil) is not nil")
	}
}

func TestSnippet(t *testing.T) {
	t.Parallel()
	red := NewRedactor("KEY123")
	long := strings.Repeat("x", 75) + "KEY123" + strings.Repeat("y", 100)
	got := Snippet([]byte(long), red)
	if strings.Contains(got, "KEY") {
		t.Errorf("Snippet holds a part of the key: %s", got)
	}
	if n := len([]rune(got)); n > SnippetMax+3 {
		t.Errorf("Snippet %d runes long", n)
	}
	if got := Snippet([]byte("a\x00b\n\xffc"), red); got != `"a b �c"` {
		t.Errorf("Snippet of control and invalid bytes = %s", got)
	}
}

func TestIsHTML(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]bool{
		"<!DOCTYPE html><html>": true, "\n  <html lang=en>": true, "\uFEFF<!doctype HTML>": true,
		"<head><title>": true, `{"chart":{}}`: false, "Date,Open": false, "No data": false, "<?xml": false,
	} {
		if got := IsHTML([]byte(body)); got != want {
			t.Errorf("IsHTML(%q) = %v, want %v", body, got, want)
		}
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"https://query2.finance.yahoo.com", "http://127.0.0.1:8080", "https://proxy/prefix"} {
		if err := ValidateBaseURL("WithBaseURL", u); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	for _, u := range []string{"", "query2.finance.yahoo.com", "ftp://x", "https://", "https://x/?a=b", ":::"} {
		if err := ValidateBaseURL("WithBaseURL", u); err == nil || !strings.Contains(err.Error(), "WithBaseURL") {
			t.Errorf("%q: %v, want an error naming the option", u, err)
		}
	}
	for _, k := range []string{"", "a b", "tab\tkey", strings.Repeat("k", APIKeyMaxLen+1), "ключ"} {
		err := ValidateAPIKey("WithAPIKey", k)
		if err == nil || (k != "" && strings.Contains(err.Error(), k)) {
			t.Errorf("%q: %v, want an error without the key", k, err)
		}
	}
	if err := ValidateAPIKey("WithAPIKey", "ABC123-_.+/="); err != nil {
		t.Error(err)
	}
}

// TestGetSendsOnce checks that a request whose kept-alive connection
// closes without an answer reaches the server once, not twice: net/http
// would resend a GET on its own, behind the limiter's back.
func TestGetSendsOnce(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []string // per request: its transfer encoding and length
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, fmt.Sprintf("%v %d", r.TransferEncoding, r.ContentLength))
		n := len(seen)
		mu.Unlock()
		if n == 2 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	client := srv.Client()
	get := func() error {
		req, err := http.NewRequest(http.MethodGet, srv.URL+"/?apikey=k", nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Get(client, req, 1<<10, NewRedactor("k"), "test")
		return err
	}
	if err := get(); err != nil {
		t.Fatalf("first request: %v", err)
	}
	// The second goes on the kept-alive connection, which the server
	// closes after reading the request.
	if err := get(); err == nil {
		t.Fatal("second request: no error from a connection closed without an answer")
	}
	if err := get(); err != nil {
		t.Fatalf("third request: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 3 {
		t.Errorf("the server saw %d requests, want 3 (one each)", len(seen))
	}
	for i, s := range seen {
		if s != "[] 0" {
			t.Errorf("request %d came with transfer encoding and length %q, want no body", i+1, s)
		}
	}
}

// TestGetUnreachable: a request that cannot reach the provider matches
// ErrUnavailable; one the provider saw and failed does not.
func TestGetUnreachable(t *testing.T) {
	t.Parallel()
	get := func(client *http.Client, u string) error {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Get(client, req, 1<<10, Redactor{}, "test")
		return err
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/"
	ln.Close()
	if err := get(http.DefaultClient, closed); !errors.Is(err, pricefill.ErrUnavailable) || pricefill.KindOf(err) != pricefill.KindUnavailable {
		t.Errorf("refused connection: %v (kind %s), want one matching ErrUnavailable", err, pricefill.KindOf(err))
	}

	tlsSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake error it logs is the point
	tlsSrv.StartTLS()
	defer tlsSrv.Close()
	untrusting := &http.Client{Transport: &http.Transport{}} // does not trust the test certificate
	defer untrusting.CloseIdleConnections()
	if err := get(untrusting, tlsSrv.URL); !errors.Is(err, pricefill.ErrUnavailable) {
		t.Errorf("TLS failure: %v, want one matching ErrUnavailable", err)
	}

	dropped := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
	}))
	defer dropped.Close()
	err = get(dropped.Client(), dropped.URL)
	if err == nil || errors.Is(err, pricefill.ErrUnavailable) || pricefill.KindOf(err) != pricefill.KindTransient {
		t.Errorf("connection closed after the request was read: %v (kind %s), want a transient error", err, pricefill.KindOf(err))
	}
}
