package pricefill_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pricefill/pricefill"
)

func TestNormalizeSymbol(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"AAPL", "AAPL"}, {"brk.b", "BRK.B"}, {" BF-B ", "BF-B"}, {"^GSPC", "^GSPC"},
		{"7203.T", "7203.T"}, {"OCDO.L", "OCDO.L"}, {"EURUSD=X", "EURUSD=X"},
	} {
		got, err := pricefill.NormalizeSymbol(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("NormalizeSymbol(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"", "empty"}, {"   ", "empty"}, {"BRK B", `character ' '`},
		{"AAPL'; DROP TABLE prices;--", "longer than 20"}, {"A;B", `character ';'`},
		{strings.Repeat("A", 50), "longer than 20"}, {".AAPL", `character '.'`}, {"AAPL\n", "AAPL"},
	} {
		got, err := pricefill.NormalizeSymbol(tc.in)
		if tc.in == "AAPL\n" { // surrounding white space is trimmed
			if err != nil || got != "AAPL" {
				t.Errorf("NormalizeSymbol(%q) = %q, %v; want AAPL", tc.in, got, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NormalizeSymbol(%q) error %v, want one containing %q", tc.in, err, tc.want)
		}
	}
}

func TestKindOf(t *testing.T) {
	t.Parallel()
	cause := errors.New("HTTP 503")
	for _, tc := range []struct {
		err  error
		want pricefill.Kind
	}{
		{cause, pricefill.KindTransient},
		{pricefill.RateLimited(3*time.Second, cause), pricefill.KindRateLimited},
		{fmt.Errorf("yahoo: %w", pricefill.RateLimited(0, nil)), pricefill.KindRateLimited},
		{pricefill.NotFound("ZZZZ", nil), pricefill.KindNotFound},
		{fmt.Errorf("stooq: %w", pricefill.NotFound("ZZZZ", cause)), pricefill.KindNotFound},
		{pricefill.Permanent(cause), pricefill.KindPermanent},
		{fmt.Errorf("alphavantage: %w", pricefill.Permanent(cause)), pricefill.KindPermanent},
		{fmt.Errorf("yahoo: %w", pricefill.Unavailable(cause)), pricefill.KindUnavailable},
		{pricefill.QuotaExceeded(time.Time{}, cause), pricefill.KindRateLimited},
	} {
		if got := pricefill.KindOf(tc.err); got != tc.want {
			t.Errorf("KindOf(%v) = %s, want %s", tc.err, got, tc.want)
		}
	}
	wrapped := fmt.Errorf("fetch: %w", pricefill.RateLimited(42*time.Second, cause))
	if got := pricefill.RetryAfterOf(wrapped); got != 42*time.Second {
		t.Errorf("RetryAfterOf = %s, want 42s", got)
	}
	if !errors.Is(pricefill.NotFound("X", cause), cause) || !errors.Is(pricefill.Permanent(cause), cause) {
		t.Errorf("the error kinds do not unwrap to their cause")
	}
	if pricefill.Permanent(nil) != nil || pricefill.Unavailable(nil) != nil {
		t.Errorf("Permanent(nil) or Unavailable(nil) is not nil")
	}
	if !errors.Is(pricefill.Unavailable(cause), cause) {
		t.Errorf("Unavailable does not unwrap to its cause")
	}
}

func TestRateLimitErrorText(t *testing.T) {
	t.Parallel()
	reset := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		err  error
		want string
	}{
		{pricefill.RateLimited(0, nil), "rate limited"},
		{pricefill.RateLimited(2*time.Second, errors.New("HTTP 429")), "rate limited (retry after 2s): HTTP 429"},
		{pricefill.QuotaExceeded(time.Time{}, errors.New("25 a day")), "rate limited (quota used up): 25 a day"},
		{pricefill.QuotaExceeded(reset, nil), "rate limited (quota used up until 2026-12-04T00:00:00Z)"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

func TestRange(t *testing.T) {
	t.Parallel()
	r := pricefill.LastDays(time.Date(2026, 3, 10, 23, 30, 0, 0, time.FixedZone("EST", -5*3600)), 7)
	if r.String() != "2026-03-03..2026-03-10" {
		t.Errorf("LastDays = %s, want 2026-03-03..2026-03-10 (the date where the time is)", r)
	}
	if err := r.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	if !r.Contains(time.Date(2026, 3, 3, 22, 0, 0, 0, time.UTC)) || r.Contains(pricefill.Date(2026, 3, 11)) {
		t.Errorf("Contains is wrong at the ends")
	}
	notMidnight := pricefill.Range{From: time.Date(2026, 3, 3, 5, 0, 0, 0, time.UTC), To: pricefill.Date(2026, 3, 4)}
	if err := notMidnight.Validate(); err == nil || !strings.Contains(err.Error(), "midnight UTC") {
		t.Errorf("Validate of %s: %v, want an error about midnight UTC", notMidnight, err)
	}
	for _, tc := range []struct {
		r    pricefill.Range
		want string // "": valid
	}{
		{pricefill.Range{From: pricefill.Date(1900, 1, 1), To: pricefill.Date(1900, 1, 1)}, ""},
		{pricefill.Range{From: pricefill.Date(9999, 12, 31), To: pricefill.Date(9999, 12, 31)}, ""},
		{pricefill.Range{From: pricefill.Date(1899, 12, 31), To: pricefill.Date(2026, 1, 1)}, "range 1899-12-31..2026-01-01: starts before 1900-01-01"},
		{pricefill.Range{From: pricefill.Date(2026, 1, 1), To: pricefill.Date(10000, 1, 1)}, "range 2026-01-01..10000-01-01: ends after 9999-12-31"},
		// --days 1000000 back from 2026-08-08.
		{pricefill.LastDays(pricefill.Date(2026, 8, 8), 1_000_000), "starts before 1900-01-01"},
		{pricefill.Range{From: pricefill.Date(-5, 1, 1), To: pricefill.Date(-4, 1, 1)}, "starts before 1900-01-01"},
	} {
		err := tc.r.Validate()
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("Validate of %s: %v, want %q", tc.r, err, tc.want)
		}
	}
	if _, err := pricefill.ParseDate("2026-13-01"); err == nil || !strings.Contains(err.Error(), `"2026-13-01"`) {
		t.Errorf("ParseDate of a bad date: %v", err)
	}
}

func TestInvalidBarError(t *testing.T) {
	t.Parallel()
	err := error(&pricefill.InvalidBarError{
		Bar: pricefill.Bar{Symbol: "AAPL", Date: pricefill.Date(2026, 3, 3)},
		Violations: []pricefill.Violation{
			{Rule: "high_below_low", Field: "high", Value: "1"},
			{Rule: "not_trading_day"},
		},
	})
	if !errors.Is(err, pricefill.ErrInvalidBar) {
		t.Errorf("an InvalidBarError does not match ErrInvalidBar")
	}
	if want := "invalid bar AAPL 2026-03-03: high_below_low (high=1), not_trading_day"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
}

func ExampleKindOf() {
	err := fmt.Errorf("yahoo AAPL: %w", pricefill.RateLimited(30*time.Second, errors.New("HTTP 429")))
	fmt.Println(pricefill.KindOf(err), pricefill.RetryAfterOf(err))
	fmt.Println(err)
	// Output:
	// rate_limited 30s
	// yahoo AAPL: rate limited (retry after 30s): HTTP 429
}

func ExampleNormalizeSymbol() {
	for _, s := range []string{"brk.b", "^GSPC", "BRK B"} {
		sym, err := pricefill.NormalizeSymbol(s)
		fmt.Printf("%q %v\n", sym, err)
	}
	// Output:
	// "BRK.B" <nil>
	// "^GSPC" <nil>
	// "" symbol "BRK B": character ' ' not allowed (letters, digits and . - ^ = only)
}
