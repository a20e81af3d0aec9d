package ratelimit_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/ratelimit"
)

// A limiter of at most 3 requests an hour, 10 ms apart (the defaults are
// 2000 and 1 s). Every worker calls Wait before each request.
func Example() {
	l, err := ratelimit.New(ratelimit.WithInterval(10*time.Millisecond), ratelimit.WithHourlyLimit(3))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	start := time.Now()
	for range 3 {
		if err := l.Wait(ctx); err != nil {
			log.Fatal(err)
		}
		// Make the request here.
	}
	st, err := l.Status(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("requests this hour:", st.HourlyCount)
	fmt.Println("took at least 2 intervals:", time.Since(start) >= 20*time.Millisecond)

	// The hour's budget is spent: the next request would wait an hour,
	// unless its context ends first, which uses up nothing.
	ctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	fmt.Println("fourth request:", l.Wait(ctx))
	if st, err = l.Status(context.Background()); err != nil {
		log.Fatal(err)
	}
	fmt.Println("requests this hour:", st.HourlyCount, "of", st.HourlyLimit, "held by:", st.Reason)
	// Output:
	// requests this hour: 3
	// took at least 2 intervals: true
	// fourth request: context deadline exceeded
	// requests this hour: 3 of 3 held by: hourly limit
}

// A worker tells the limiter how each request went: Refused after a
// rate-limit response, with the server's Retry-After if any, Answered
// after any other answer. Here the cool-down steps are scaled down from
// 5, 10, 20… s to 10, 20, 40 ms, and the provider refuses three times
// without a Retry-After.
func ExampleLimiter_Refused() {
	l, err := ratelimit.New(ratelimit.WithInterval(0), ratelimit.WithCoolDown(10*time.Millisecond, 40*time.Millisecond))
	if err != nil {
		log.Fatal(err)
	}
	refusals := 3
	fetch := func(context.Context) error {
		if refusals > 0 {
			refusals--
			return pricefill.RateLimited(0, errors.New("429 Too Many Requests"))
		}
		return nil
	}

	ctx := context.Background()
	start := time.Now()
	for {
		if err := l.Wait(ctx); err != nil {
			log.Fatal(err)
		}
		err := fetch(ctx)
		var refusal *pricefill.RateLimitError
		if errors.As(err, &refusal) {
			if err := l.Refused(ctx, refusal); err != nil {
				log.Fatal(err)
			}
			fmt.Println(err)
			continue
		}
		if err := l.Answered(ctx); err != nil {
			log.Fatal(err)
		}
		break
	}
	fmt.Println("fetched after cooling down 10+20+40 ms:", time.Since(start) >= 70*time.Millisecond)
	// Output:
	// rate limited: 429 Too Many Requests
	// rate limited: 429 Too Many Requests
	// rate limited: 429 Too Many Requests
	// fetched after cooling down 10+20+40 ms: true
}

// A limiter is a Prometheus collector: register it on a registry of your
// own, and every series has the limiter's name as its provider.
func ExampleLimiter_Collect() {
	l, err := ratelimit.New(ratelimit.WithName("yahoo"), ratelimit.WithInterval(0))
	if err != nil {
		log.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(l)

	ctx := context.Background()
	for range 2 {
		if err := l.Wait(ctx); err != nil {
			log.Fatal(err)
		}
		// Make the request here, then say how it went.
		if err := l.Answered(ctx); err != nil {
			log.Fatal(err)
		}
	}
	mfs, err := reg.Gather()
	if err != nil {
		log.Fatal(err)
	}
	for _, mf := range mfs {
		if name := mf.GetName(); name == "pricefill_limiter_grants_total" || name == "pricefill_provider_requests_total" {
			if _, err := expfmt.MetricFamilyToText(os.Stdout, mf); err != nil {
				log.Fatal(err)
			}
		}
	}
	// Output:
	// # HELP pricefill_limiter_grants_total Requests the limiter granted.
	// # TYPE pricefill_limiter_grants_total counter
	// pricefill_limiter_grants_total{provider="yahoo"} 2
	// # HELP pricefill_provider_requests_total Requests to the provider whose outcome was reported to the limiter, by outcome: answered, refused (for rate), quota (used up), failed (transient), unreachable.
	// # TYPE pricefill_provider_requests_total counter
	// pricefill_provider_requests_total{outcome="answered",provider="yahoo"} 2
	// pricefill_provider_requests_total{outcome="failed",provider="yahoo"} 0
	// pricefill_provider_requests_total{outcome="quota",provider="yahoo"} 0
	// pricefill_provider_requests_total{outcome="refused",provider="yahoo"} 0
	// pricefill_provider_requests_total{outcome="unreachable",provider="yahoo"} 0
}
