package stooq_test

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/pricefill/pricefill/backfill/stooq"
	"github.com/pricefill/pricefill/internal/fetchtest"
	"github.com/pricefill/pricefill/internal/secrettest"
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
	srv := fetchtest.Upstream(t)
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
		secrettest.Check(rt, err, key)
	})
}
