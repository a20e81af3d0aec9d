package stooq_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/pricefill/pricefill/backfill/stooq"
	"github.com/pricefill/pricefill/internal/upstream"
)

// faults are the faults a key could leak through, the likeliest first (a
// transport error names the URL; the server's HTML, status and malformed
// bodies echo it, with the key in it).
var faults = []upstream.Fault{
	{Kind: upstream.Drop}, {Kind: upstream.Status, Status: 500}, {Kind: upstream.HTML}, {Kind: upstream.Malformed},
	{Kind: upstream.Truncate}, {Kind: upstream.Slow, Delay: time.Hour}, {Kind: upstream.ProofOfWork},
	{Kind: upstream.Status, Status: 404}, {Kind: upstream.Status, Status: 400}, {Kind: upstream.Unauthorized},
	{Kind: upstream.RateLimit, RetryAfter: "5"}, {Kind: upstream.Quota}, {Kind: upstream.NotFound},
	{Kind: upstream.NoData}, {Kind: upstream.Premium}, {},
}

// TestSecretsNeverInErrors: whatever goes wrong, no error in the chain
// that Fetch returns holds the API key, raw or escaped.
func TestSecretsNeverInErrors(t *testing.T) {
	t.Parallel()
	srv := setup(t)
	client := &http.Client{Transport: srv.Client().Transport, Timeout: 20 * time.Millisecond}
	var n atomic.Int64
	rapid.Check(t, func(rt *rapid.T) {
		key := rapid.StringMatching(`[A-Za-z0-9+/=%&._~-]{6,40}`).Draw(rt, "key")
		f, err := stooq.New(stooq.WithBaseURL(srv.URL()), stooq.WithHTTPClient(client), stooq.WithAPIKey(key))
		if err != nil {
			rt.Fatal(err)
		}
		sym := fmt.Sprintf("S%d", n.Add(1))
		srv.PushFaults(sym, rapid.SampledFrom(faults).Draw(rt, "fault"))
		_, err = f.Fetch(t.Context(), sym, week)
		checkNoSecret(rt, err, key)
	})
}

func checkNoSecret(t *rapid.T, err error, key string) {
	forms := []string{key, url.QueryEscape(key), url.PathEscape(key)}
	for e := range chain(err) {
		for _, form := range forms {
			if strings.Contains(e.Error(), form) {
				t.Fatalf("error %T %q holds the key %q", e, e.Error(), form)
			}
		}
		var ue *url.Error
		if errors.As(e, &ue) {
			t.Fatalf("a *url.Error in the chain: %v", ue)
		}
	}
}

// chain yields err and every error it wraps.
func chain(err error) func(func(error) bool) {
	return func(yield func(error) bool) {
		var walk func(error) bool
		walk = func(e error) bool {
			if e == nil {
				return true
			}
			if !yield(e) {
				return false
			}
			switch u := e.(type) {
			case interface{ Unwrap() error }:
				return walk(u.Unwrap())
			case interface{ Unwrap() []error }:
				for _, x := range u.Unwrap() {
					if !walk(x) {
						return false
					}
				}
			}
			return true
		}
		walk(err)
	}
}
