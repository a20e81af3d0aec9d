// Package fetchhttp is the HTTP round trip that the fetchers of providers
// share: a client with timeouts, a capped response body, a Retry-After
// capped to a sane wait, and errors that never carry the request URL (API
// keys travel in it) or any other secret.
//
// The fetchers decide what a status or a body means; this package only
// makes the request, reads the answer and classifies what it can without
// knowing the provider: a failure to connect or to read the body is
// transient, a body over the cap is permanent.
//
// A redirect is followed only to the provider's own scheme, host and port,
// at most [RedirectsMax] times, each after the Runner's limiter granted it
// ([Do]): an API key in the query never reaches another host, and a loop
// is an error, not a flood.
package fetchhttp

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/internal/redact"
)

const (
	// TimeoutDefault bounds a whole request, body included, on the
	// default client.
	TimeoutDefault = 30 * time.Second
	// MaxBodyDefault is the default cap on a response body: 16 MiB, some
	// ten times the largest daily history a provider sends (forty years
	// of bars).
	MaxBodyDefault int64 = 16 << 20
	// RetryAfterMax caps the wait a server may ask for with Retry-After:
	// a longer (or absurd) value waits this long, never years.
	RetryAfterMax = time.Hour
	// Redacted replaces a secret in error texts.
	Redacted = redact.Mark
)

// ErrBodyTooLarge says a response body was longer than the fetcher's cap.
// Errors that match it are permanent: the same request gets the same body.
var ErrBodyTooLarge = errors.New("response body larger than the cap")

// NewClient returns the default client of a fetcher: the default transport,
// with the whole request bounded by [TimeoutDefault]. Which redirects it
// follows is [Do]'s to say, as for any client.
func NewClient() *http.Client {
	return &http.Client{Timeout: TimeoutDefault}
}

// A Redactor removes known secrets from texts: see [redact.Redactor].
type Redactor = redact.Redactor

// NewRedactor returns a Redactor for the given secrets; empty ones are
// ignored. Each secret is removed as it is and in its URL-escaped forms.
func NewRedactor(secrets ...string) Redactor { return redact.New(secrets...) }

// A Response is a status, its headers and the whole body, read under a cap.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Get sends req with client, as [Do] does (redirects only to the
// provider's origin, a few at most, each waiting on the limiter), and
// reads the answer's body, at most maxBody bytes. A failure to reach the
// provider at all (see [Unreachable]) matches [pricefill.ErrUnavailable];
// a redirect not followed is permanent and matches [ErrRedirect]; any
// other failure to send or to read is transient; a longer body is
// permanent and matches [ErrBodyTooLarge].
// No error names the URL, and every error text is redacted by red. what
// names the request in errors, such as "yahoo AAPL".
func Get(client *http.Client, req *http.Request, maxBody int64, red Redactor, what string) (*Response, error) {
	resp, err := Do(client, req, red, what)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := ReadAll(resp.Body, maxBody)
	switch {
	case errors.Is(err, ErrBodyTooLarge):
		return nil, pricefill.Permanent(fmt.Errorf("%s: HTTP %d: %w (%d bytes; raise it with WithMaxBody)", what, resp.StatusCode, err, maxBody))
	case err != nil:
		return nil, fmt.Errorf("%s: HTTP %d: reading the body: %w", what, resp.StatusCode, red.Error(err))
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

// Unreachable reports whether err, from an HTTP client, says the request
// never reached the provider: its name did not resolve, the connection was
// refused or could not be made in time, or TLS failed. Such a failure says
// nothing about what was asked. A connection reset or closed after the
// request was sent, or a timeout while waiting for the answer, is not one
// of them: the provider may have seen the request, and may be failing it
// for its own reasons.
func Unreachable(err error) bool {
	var (
		dns     *net.DNSError
		op      *net.OpError
		verify  *tls.CertificateVerificationError
		header  tls.RecordHeaderError
		alert   tls.AlertError
		unknown x509.UnknownAuthorityError
		host    x509.HostnameError
	)
	switch {
	case errors.As(err, &dns), errors.As(err, &verify), errors.As(err, &header), errors.As(err, &alert),
		errors.As(err, &unknown), errors.As(err, &host):
		return true
	case errors.As(err, &op):
		return op.Op == "dial"
	}
	return false
}

// SendOnce makes req, a request without a body, one that net/http sends
// at most once. To its Transport a GET without a body is replayable: when
// a kept-alive connection closes without an answer, it sends the request
// again on a new one, unseen by the caller. The provider may have counted
// the first, and the limiter granted one request, not two; so a fetcher
// sends each request once and lets the Runner retry, paced by the
// limiter. An empty body other than [http.NoBody] is what makes a request
// not replayable; the Transport finds it empty and sends no body. A 307
// or 308 redirect is then not followed (no provider answers with one).
func SendOnce(req *http.Request) {
	if req.Body == nil || req.Body == http.NoBody {
		req.Body, req.GetBody, req.ContentLength = emptyBody{}, nil, 0
	}
}

// emptyBody is an empty request body that is not [http.NoBody].
type emptyBody struct{}

func (emptyBody) Read([]byte) (int, error) { return 0, io.EOF }
func (emptyBody) Close() error             { return nil }

// ReadAll reads r to its end, but no more than max bytes: a longer
// stream is an error matching [ErrBodyTooLarge], never data cut short.
func ReadAll(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, ErrBodyTooLarge
	}
	return b, nil
}

// RetryAfter returns the wait that the Retry-After header of h asks for,
// in seconds or as an HTTP date, capped at [RetryAfterMax]; 0 when there
// is none or it cannot be read. An HTTP date is measured from the
// response's own Date header when it has one (so a skewed local clock
// does not matter), else from now.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs >= int64(RetryAfterMax/time.Second) {
			return RetryAfterMax
		}
		d = time.Duration(secs) * time.Second
	} else {
		at, err := http.ParseTime(v)
		if err != nil {
			return 0
		}
		if date, err := http.ParseTime(h.Get("Date")); err == nil {
			now = date
		}
		d = at.Sub(now)
	}
	return min(max(d, 0), RetryAfterMax)
}

// IsHTML reports whether body looks like an HTML page rather than data.
func IsHTML(body []byte) bool {
	s := strings.ToLower(strings.TrimSpace(string(trimBOM(head(body, 512)))))
	return strings.HasPrefix(s, "<!doctype html") || strings.HasPrefix(s, "<html") ||
		strings.HasPrefix(s, "<head") || strings.HasPrefix(s, "<body") ||
		strings.HasPrefix(s, "<!--") && strings.Contains(s, "<html")
}

// SnippetMax is the length of a body snippet in an error text, in runes.
const SnippetMax = 80

// Snippet returns the start of body for an error text, quoted: redacted
// first (so a secret never shows even in part), then cut to [SnippetMax]
// runes, with control characters and invalid bytes replaced.
func Snippet(body []byte, red Redactor) string {
	s := red.String(strings.ToValidUTF8(string(head(body, 4096)), "\uFFFD"))
	var b strings.Builder
	n := 0
	for _, c := range strings.TrimSpace(s) {
		if n == SnippetMax {
			b.WriteString("…")
			break
		}
		if unicode.IsControl(c) {
			c = ' '
		}
		b.WriteRune(c)
		n++
	}
	return strconv.Quote(b.String())
}

func head(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

func trimBOM(b []byte) []byte {
	if r, size := utf8.DecodeRune(b); r == '\uFEFF' {
		return b[size:]
	}
	return b
}

// TrimBOM returns b without a leading UTF-8 byte order mark.
func TrimBOM(b []byte) []byte { return trimBOM(b) }

// ValidateBaseURL checks that u is an absolute http or https URL with a
// host; option names the option in the error, which shows u with its
// secrets hidden ([redact.URL]).
func ValidateBaseURL(option, u string) error {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return fmt.Errorf("%s: %q is not an absolute http(s) URL", option, redact.URL(u))
	}
	if p.RawQuery != "" || p.Fragment != "" {
		return fmt.Errorf("%s: %q must not have a query or fragment", option, redact.URL(u))
	}
	return nil
}

// APIKeyMaxLen is the longest API key accepted.
const APIKeyMaxLen = 256

// ValidateAPIKey checks that key is usable in a query string: 1 to
// [APIKeyMaxLen] printable ASCII characters without spaces. The error
// never repeats the key.
func ValidateAPIKey(option, key string) error {
	if key == "" || len(key) > APIKeyMaxLen {
		return fmt.Errorf("%s: the API key must be 1 to %d characters long", option, APIKeyMaxLen)
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; c <= ' ' || c > '~' {
			return fmt.Errorf("%s: the API key may hold printable ASCII characters only, no spaces", option)
		}
	}
	return nil
}

// StatusText is the text of an unexpected status: "HTTP 503 Service
// Unavailable: <snippet of the body>".
func StatusText(status int, body []byte, red Redactor) string {
	s := fmt.Sprintf("HTTP %d", status)
	if t := http.StatusText(status); t != "" {
		s += " " + t
	}
	if len(body) > 0 {
		s += ": " + Snippet(body, red)
	}
	return s
}

// StatusError is the error of an answer whose status the fetcher has no
// rule of its own for: 429 rate limited, with the Retry-After of the
// answer read at now; other 4xx permanent; the rest (5xx, 3xx…)
// transient. Its text is what, then desc (see [StatusText]).
func StatusError(resp *Response, now time.Time, what, desc string) error {
	err := fmt.Errorf("%s: %s", what, desc)
	switch st := resp.Status; {
	case st == http.StatusTooManyRequests:
		return pricefill.RateLimited(RetryAfter(resp.Header, now), err)
	case st >= 400 && st < 500:
		return pricefill.Permanent(err)
	}
	return err
}
