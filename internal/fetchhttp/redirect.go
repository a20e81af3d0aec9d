package fetchhttp

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/internal/redact"
)

// RedirectsMax is how many redirects a request follows at most: a loop
// sends RedirectsMax+1 requests, then fails with [ErrRedirect].
const RedirectsMax = 3

// ErrRedirect says a redirect was not followed: it led off the origin of
// the request (its scheme, host and port), where the API key in the query
// or the credentials of the base URL would go along, or it was one more
// than [RedirectsMax]. Errors that match it are permanent: the provider
// answers the same request the same way.
var ErrRedirect = errors.New("redirect not followed")

// Do sends req with client and returns the answer, as client.Do does, but
// under the fetchers' redirect policy, whatever client's own
// CheckRedirect (which is still asked, after it):
//
//   - a redirect is followed only to the origin of req, the scheme, host
//     and port the provider was asked at; a redirect elsewhere fails with
//     [ErrRedirect], naming its target with its secrets hidden
//     ([redact.URL]), and that target gets no request;
//   - at most [RedirectsMax] are followed;
//   - each is one more request to the provider, so before following it Do
//     waits with [backfill.Pace] for the limiter of the Runner that called
//     the fetch, which counts it in the run's report.
//
// req is sent at most once ([SendOnce]). A failure to reach the provider
// at all (see [Unreachable]) matches [pricefill.ErrUnavailable]; a
// redirect not followed is permanent and matches [ErrRedirect]; any other
// failure is transient. No error names the URL, and every error text is
// redacted by red. what names the request in errors, such as "yahoo AAPL".
// The client's Timeout bounds the whole chain, the waits on the limiter
// between its requests included.
func Do(client *http.Client, req *http.Request, red Redactor, what string) (*http.Response, error) {
	SendOnce(req)
	c := *client
	c.CheckRedirect = checkRedirect(client.CheckRedirect)
	resp, err := c.Do(req)
	if err != nil {
		err = fmt.Errorf("%s: request failed: %w", what, red.Error(err))
		switch {
		case errors.Is(err, ErrRedirect):
			return nil, pricefill.Permanent(err)
		case Unreachable(err) && req.Context().Err() == nil:
			return nil, pricefill.Unavailable(err)
		}
		return nil, err
	}
	return resp, nil
}

// checkRedirect returns the CheckRedirect of [Do], which asks next (the
// client's own, nil for none) once a redirect passes its own rules.
func checkRedirect(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		from := via[0].URL
		if !sameOrigin(from, req.URL) {
			return fmt.Errorf("redirected off the provider's origin %s, to %s: %w", origin(from), redact.URL(req.URL.String()), ErrRedirect)
		}
		if len(via) > RedirectsMax {
			return fmt.Errorf("redirected more than %d times, the last to %s: %w", RedirectsMax, redact.URL(req.URL.String()), ErrRedirect)
		}
		if next != nil {
			if err := next(req, via); err != nil {
				return err
			}
		}
		if err := backfill.Pace(req.Context()); err != nil {
			return fmt.Errorf("redirect %d: waiting for the limiter: %w", len(via), err)
		}
		return nil
	}
}

// sameOrigin reports whether a and b have the same scheme, host and port,
// a port left out being the scheme's default.
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Hostname(), b.Hostname()) && port(a) == port(b)
}

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "http":
		return "80"
	case "https":
		return "443"
	}
	return ""
}

// origin is u's scheme, host and port, without its userinfo.
func origin(u *url.URL) string { return u.Scheme + "://" + u.Host }
