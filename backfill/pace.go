package backfill

import "context"

// paceKey is the context key under which the Runner puts the pacing of
// the fetch it calls.
type paceKey struct{}

// Pace waits until the limiter of the [Runner] that called Fetch grants one
// more request, and counts that request in the run's report. The Runner
// waits on its limiter before it calls Fetch, which pays for the first
// request; a Fetcher that sends more within one Fetch (a session cookie
// and token, then the data again) calls Pace before each of the others,
// so that every request reaching the provider is one the limiter granted.
// A redirect it follows is one more request too: a [net/http.Client]'s
// CheckRedirect calls Pace with the redirected request's context before
// it lets the client follow (the fetchers of this module do). The
// provider's feedback to the limiter (Answered, Refused, Failed) is still
// given once per Fetch, by the Runner, for the answer Fetch returns.
//
// It returns ctx.Err() if ctx ends first, or a non-nil error if the run
// is stopping; the Fetcher then returns it (wrapped as it likes) without
// sending the request, and the Runner gives the task back unharmed. With
// a ctx that no Runner made, such as a Fetcher called on its own, Pace
// only returns ctx.Err().
func Pace(ctx context.Context) error {
	if p, ok := ctx.Value(paceKey{}).(func(context.Context) error); ok {
		return p(ctx)
	}
	return ctx.Err()
}

// withPace returns ctx carrying p, the function that [Pace] calls.
func withPace(ctx context.Context, p func(context.Context) error) context.Context {
	return context.WithValue(ctx, paceKey{}, p)
}
