package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/internal/upstream"
	"github.com/pricefill/pricefill/queue"
	"github.com/pricefill/pricefill/ratelimit"
	"github.com/pricefill/pricefill/store"
)

// fallbackReport is what the fallback tests read of --report-json.
type fallbackReport struct {
	Succeeded int            `json:"succeeded"`
	Failed    int            `json:"failed"`
	Requests  int            `json:"requests"`
	Deferred  int            `json:"deferred"`
	ServedBy  map[string]int `json:"served_by"`
	Symbols   []struct {
		Symbol   string       `json:"symbol"`
		Status   queue.Status `json:"status"`
		Requests int          `json:"requests"`
		Source   string       `json:"source"`
	} `json:"symbols"`
}

// runFallback runs the program on dsn with --source yahoo,stooq at the
// base URLs, over syms for 10 days, and args; it returns its exit status,
// its output and its report.
func runFallback(t *testing.T, dsn, yahooURL, stooqURL string, syms []string, args ...string) (int, string, fallbackReport) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	path := filepath.Join(t.TempDir(), "report.json")
	code, out := cliOutput(t, ctx, append([]string{"--db", dsn, "--source", "yahoo,stooq", "--base-url", yahooURL + "," + stooqURL,
		"--symbols", strings.Join(syms, ","), "--days", "10", "--report-json", path, "--log-level", "warn"}, args...)...)
	var rep fallbackReport
	if raw, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(raw, &rep); err != nil {
			t.Fatalf("the report: %v", err)
		}
	}
	return code, out, rep
}

// checkServed checks that each symbol's bars are stored once, the valid
// bars srv serves, with source as served says; Stooq's bars have no
// adjusted close.
func checkServed(t *testing.T, db *store.DB, srv *upstream.Server, served map[string]string, start, end time.Time) {
	t.Helper()
	for sym, source := range served {
		stored, err := db.Bars(context.Background(), sym, pricefill.Range{From: pricefill.Date(1900, 1, 1), To: pricefill.Date(2200, 1, 1)})
		if err != nil {
			t.Fatal(err)
		}
		for i := range stored {
			if stored[i].Source != source {
				t.Errorf("%s %s: source %q, want %q", sym, stored[i].Date.Format(pricefill.DateLayout), stored[i].Source, source)
			}
			stored[i].Source = ""
		}
		e := expect(srv, []string{sym}, runRange(start, 10), start, end)
		if source == "stooq" {
			for _, m := range []map[string][]pricefill.Bar{e.before, e.after} {
				for i := range m[sym] {
					m[sym][i].AdjClose = 0
				}
			}
		}
		e.check(t, sym, stored)
	}
}

// TestFallbackServesWhatTheFirstDoesNotKnow: with --source yahoo,stooq,
// the symbols the first provider does not know are served by the second
// and stored with its source, the others by the first; each symbol is
// asked of the first once and of the second at most once, and the report
// says who served it.
func TestFallbackServesWhatTheFirstDoesNotKnow(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dsn string) {
		yahoo, stooq := upstream.ForTest(t), upstream.ForTest(t)
		syms := symbols("F", 12)
		unknown := syms[:4]
		yahoo.SetUnknown(unknown...)
		start := time.Now()
		code, out, rep := runFallback(t, dsn, yahoo.URL(), stooq.URL(), syms, "--rate", "0")
		end := time.Now()
		if code != 0 {
			t.Fatalf("exit %d, want 0:\n%s", code, out)
		}
		served := map[string]string{}
		wantYahoo, wantStooq := map[string]int{}, map[string]int{}
		for _, s := range syms {
			served[s], wantYahoo[s] = "yahoo", 1
			if slices.Contains(unknown, s) {
				served[s], wantStooq[s] = "stooq", 1
			}
		}
		if diff := cmp.Diff(wantYahoo, fetches(yahoo, syms)); diff != "" {
			t.Errorf("requests to yahoo by symbol (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(wantStooq, fetches(stooq, syms)); diff != "" {
			t.Errorf("requests to stooq by symbol (-want +got):\n%s", diff)
		}
		checkServed(t, openStore(t, dsn), yahoo, served, start, end)

		if diff := cmp.Diff(map[string]int{"yahoo": 8, "stooq": 4}, rep.ServedBy); diff != "" {
			t.Errorf("the report's served_by (-want +got):\n%s", diff)
		}
		if rep.Succeeded != len(syms) || rep.Requests != 16 {
			t.Errorf("the report: %d succeeded with %d requests, want %d with 16", rep.Succeeded, rep.Requests, len(syms))
		}
		for _, s := range rep.Symbols {
			if s.Source != served[s.Symbol] || s.Requests != 1+wantStooq[s.Symbol] {
				t.Errorf("the report of %s: served by %q in %d requests, want %q in %d", s.Symbol, s.Source, s.Requests, served[s.Symbol], 1+wantStooq[s.Symbol])
			}
		}
		if !strings.Contains(out, "served by     yahoo 8, stooq 4\n") || !strings.Contains(out, "pricefill report: yahoo at http://127.0.0.1:") ||
			!strings.Contains(out, ", then stooq at http://127.0.0.1:") {
			t.Errorf("the report does not name both providers and who served what:\n%s", out)
		}
	})
}

// TestFallbackWhenTheFirstIsDown: the first provider cannot be reached
// (SQLite's run) or answers 503 to everything (PostgreSQL's): every
// symbol is served by the second, none charged an attempt, and once the
// first's breaker is open it is passed over: it sees a handful of
// requests, not one a symbol.
func TestFallbackWhenTheFirstIsDown(t *testing.T) {
	t.Parallel()
	for i, d := range dialects {
		kind := []upstream.Outage{upstream.Refuse, upstream.Unavailable}[i%2]
		t.Run(d.name+"/"+kind.String(), func(t *testing.T) {
			t.Parallel()
			dsn := d.dsn(t)
			stooq := upstream.ForTest(t)
			var yahoo *upstream.Server
			yahooURL, err := upstream.UnreachableURL()
			if err != nil {
				t.Fatal(err)
			}
			if kind == upstream.Unavailable {
				yahoo = upstream.ForTest(t)
				if err := yahoo.SetOutage(upstream.Unavailable); err != nil {
					t.Fatal(err)
				}
				yahooURL = yahoo.URL()
			}
			syms := symbols("D", 30)
			start := time.Now()
			code, out, rep := runFallback(t, dsn, yahooURL, stooq.URL(), syms, "--rate", "0", "--concurrency", "4")
			end := time.Now()
			if code != 0 {
				t.Fatalf("exit %d, want 0:\n%s", code, out)
			}
			served := map[string]string{}
			for _, s := range syms {
				served[s] = "stooq"
			}
			checkServed(t, openStore(t, dsn), stooq, served, start, end)
			for sym, tk := range mustSnapshot(t, dsn) {
				if tk.Status != queue.Completed || tk.Attempts != 0 {
					t.Errorf("%s: %+v, want completed with no attempt used", sym, tk)
				}
			}
			if diff := cmp.Diff(map[string]int{"stooq": len(syms)}, rep.ServedBy); diff != "" {
				t.Errorf("the report's served_by (-want +got):\n%s", diff)
			}
			if n := len(stooq.Requests()); rep.Failed != 0 || rep.Requests < n || n != len(syms) {
				t.Errorf("the report: %d failed, %d requests; stooq got %d; want 0 failed, one request a symbol at stooq, and those in the report", rep.Failed, rep.Requests, n)
			}
			if yahoo != nil {
				// The failures that open the breaker, those in flight, a
				// probe or two.
				n := len(yahoo.Requests())
				t.Logf("yahoo got %d requests, the report counts %d", n, rep.Requests)
				if most := ratelimit.BreakerFailuresDefault + 4 + 2; n > most {
					t.Errorf("yahoo got %d requests, want at most %d: once down it is passed over", n, most)
				}
				if rep.Requests != n+len(syms) {
					t.Errorf("the report counts %d requests; yahoo got %d, stooq %d", rep.Requests, n, len(syms))
				}
			}
		})
	}
}

// TestFallbackBudgetsAreSeparate: each provider has a budget of its own.
// At --hourly-limit 6, six symbols of which three the first does not know
// need nine requests: six to the first, three to the second. With one
// budget the run would wait an hour; with one each it completes, neither
// provider gets more than six, the ledger holds a budget per provider,
// and --status shows both.
func TestFallbackBudgetsAreSeparate(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dsn string) {
		yahoo, stooq := upstream.ForTest(t), upstream.ForTest(t)
		syms := symbols("S", 6)
		yahoo.SetUnknown(syms[:3]...)
		code, out, rep := runFallback(t, dsn, yahoo.URL(), stooq.URL(), syms, "--rate", "0", "--hourly-limit", "6")
		if code != 0 {
			t.Fatalf("exit %d, want 0:\n%s", code, out)
		}
		if y, s := len(yahoo.Requests()), len(stooq.Requests()); y != 6 || s != 3 || rep.Requests != 9 {
			t.Errorf("yahoo got %d requests, stooq %d, the report counts %d; want 6, 3 and 9", y, s, rep.Requests)
		}
		grants := ledgerGrants(t, dsn)
		if diff := cmp.Diff(map[string]int{"yahoo": 6, "stooq": 3}, grants); diff != "" {
			t.Errorf("grants in the ledger by budget (-want +got):\n%s", diff)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		code, status := cliOutput(t, ctx, "--db", dsn, "--source", "yahoo,stooq", "--hourly-limit", "6", "--status")
		for _, want := range []string{"budget of yahoo: waiting for the hourly limit (6 requests in the last hour) until ",
			"budget of stooq: stooq: 3 of 6 requests in the last hour"} {
			if code != 0 || !strings.Contains(status, want) {
				t.Errorf("--status (exit %d) does not say %q:\n%s", code, want, status)
			}
		}
	})
}

// ledgerGrants counts the grants of the last day in the database dsn's
// ledger, by budget.
func ledgerGrants(t *testing.T, dsn string) map[string]int {
	t.Helper()
	db, err := openOwn(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT key, count(*) FROM rate_grants GROUP BY key`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var (
			key string
			n   int
		)
		if err := rows.Scan(&key, &n); err != nil {
			t.Fatal(err)
		}
		out[key] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestFallbackEveryProviderUnreachable: when neither provider can be
// reached, the run stops once both have been down for --outage-timeout:
// exit 1, one line naming both and saying nothing is lost, every task
// pending with no attempt used.
func TestFallbackEveryProviderUnreachable(t *testing.T) {
	t.Parallel()
	const timeout = 4 * time.Second
	var urls []string
	for range 2 {
		u, err := upstream.UnreachableURL()
		if err != nil {
			t.Fatal(err)
		}
		urls = append(urls, u)
	}
	dsn := dialects[0].dsn(t)
	syms := symbols("V", 8)
	start := time.Now()
	code, out, _ := runFallback(t, dsn, urls[0], urls[1], syms, "--rate", "20", "--outage-timeout", timeout.String(), "--log-level", "error")
	took := time.Since(start)
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	// A bound, not a benchmark: the breakers open within a second, and the
	// run stops once both have been open for the timeout.
	if took < timeout || took > timeout+15*time.Second {
		t.Errorf("the run took %s to give up, want about the outage timeout %s", took.Round(100*time.Millisecond), timeout)
	}
	var stops []string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "pricefill: ") {
			stops = append(stops, line)
		}
	}
	if len(stops) != 1 {
		t.Fatalf("want one line of the program's own, got %d:\n%s", len(stops), out)
	}
	for _, want := range []string{"every provider is down", "yahoo unreachable since", "stooq unreachable since", "connection refused",
		"nothing lost; run it again to resume"} {
		if !strings.Contains(stops[0], want) {
			t.Errorf("the line %q does not say %q", stops[0], want)
		}
	}
	for sym, tk := range mustSnapshot(t, dsn) {
		if tk.Status != queue.Pending || tk.Attempts != 0 {
			t.Errorf("%s: %+v, want pending with no attempt used", sym, tk)
		}
	}
	t.Logf("gave up after %s: %s", took.Round(100*time.Millisecond), stops[0])
}
