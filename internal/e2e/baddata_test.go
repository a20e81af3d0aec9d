package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/internal/schematest"
	"github.com/pricefill/pricefill/internal/upstream"
	"github.com/pricefill/pricefill/queue"
	"github.com/pricefill/pricefill/store"
)

// A measuredRun is how one run of the program went.
type measuredRun struct {
	code   int
	out    string
	took   time.Duration
	maxRSS int64 // peak resident set in bytes; 0 when unknown
}

// runMeasured runs the program with args to its end, timing it and
// reading its peak memory.
func runMeasured(t *testing.T, ctx context.Context, args ...string) measuredRun {
	t.Helper()
	cmd, out := cliCommand(t, ctx, args...)
	start := time.Now()
	err := cmd.Run()
	r := measuredRun{code: exitCode(t, err), out: out.String(), took: time.Since(start)}
	r.maxRSS = peakRSS(cmd.ProcessState)
	return r
}

func (r measuredRun) String() string {
	return fmt.Sprintf("exit %d in %s, peak RSS %s", r.code, r.took.Round(time.Millisecond), mib(r.maxRSS))
}

// rawDB opens the database dsn on a connection of its own, not the
// store's, closed when t ends.
func rawDB(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := openOwn(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// migrated creates the schema of a new database dsn, as the program's
// first run would.
func migrated(t *testing.T, dsn string) {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// queryInt returns the one integer that q selects.
func queryInt(t *testing.T, db *sql.DB, q string) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(context.Background(), q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

const (
	adjSymbol  = "ADJBAD"
	adjDays    = 40
	adjBars    = 21
	adjBad     = 10 // the bar whose adjusted close is negative
	plainSym   = "PLAIN"
	rateNoLimt = "0"
)

// TestBadAdjCloseIsDropped: one negative adjusted close in an otherwise
// valid 21-bar answer costs only that field. The symbol takes one request,
// all 21 bars are stored, that bar's adj_close is NULL, the report and the
// log name the drop, and the run exits 0. (Before, the store refused the
// save and the refusal was retried as transient: 5 requests, 75 s, no bar
// stored, the symbol permanently failed.)
func TestBadAdjCloseIsDropped(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dsn string) {
		srv := upstream.ForTest(t)
		now := time.Now()
		served := srv.ValidBars(adjSymbol, runRange(now, adjDays), now)
		if len(served) < adjBars {
			t.Fatalf("%d valid bars in %d days, want %d at least", len(served), adjDays, adjBars)
		}
		served = served[len(served)-adjBars:]
		served[adjBad].AdjClose = -served[adjBad].AdjClose
		srv.SetBars(adjSymbol, served)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()

		run := runMeasured(t, ctx, "--db", dsn, "--base-url", srv.URL(), "--symbols", adjSymbol+","+plainSym,
			"--days", fmt.Sprint(adjDays), "--rate", rateNoLimt, "--log-level", "warn")
		t.Logf("%s; requests %v", run, fetches(srv, []string{adjSymbol, plainSym}))
		if run.code != 0 {
			t.Fatalf("exit %d, want 0:\n%s", run.code, run.out)
		}
		if got := fetches(srv, []string{adjSymbol, plainSym}); got[adjSymbol] != 1 || got[plainSym] != 1 {
			t.Errorf("requests %v, want one a symbol", got)
		}
		db := openStore(t, dsn)
		want := append([]pricefill.Bar(nil), served...)
		want[adjBad].AdjClose = 0
		if diff := cmp.Diff(want, storedBars(t, db, adjSymbol)); diff != "" {
			t.Errorf("stored bars of %s (-want +got):\n%s", adjSymbol, diff)
		}
		raw := rawDB(t, dsn)
		if n := queryInt(t, raw, `SELECT count(*) FROM prices p JOIN assets a ON a.id = p.asset_id
			WHERE a.symbol = '`+adjSymbol+`' AND p.adj_close IS NULL`); n != 1 {
			t.Errorf("%d bars of %s with adj_close NULL, want 1", n, adjSymbol)
		}
		for _, line := range []string{
			"dropped       adj_close_invalid 1 (bars kept, the field stored as unknown)",
			"bar kept without a field",
			"adj_close_invalid (adj_close=-",
			"symbols       2: 2 succeeded",
		} {
			if !strings.Contains(run.out, line) {
				t.Errorf("the output does not say %q:\n%s", line, run.out)
			}
		}
		if n := queryInt(t, raw, `SELECT count(*) FROM fetcher_logs WHERE message = 'bar kept without a field' AND symbol = '`+adjSymbol+`'`); n != 1 {
			t.Errorf("fetcher_logs has %d lines of the drop, want 1", n)
		}
		if tk := mustSnapshot(t, dsn)[adjSymbol]; tk.Status != queue.Completed || tk.Attempts != 0 || tk.Inserted != adjBars {
			t.Errorf("%s: %+v, want completed with %d inserted and no attempt used", adjSymbol, tk, adjBars)
		}
	})
}

// TestNewerSchemaExits2: a database that a newer pricefill migrated (its
// migration record holds a version this program does not know) is not
// touched: the program exits 2 with one line naming both versions, before
// any request.
func TestNewerSchemaExits2(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dsn string) {
		srv := upstream.ForTest(t)
		migrated(t, dsn)
		raw := rawDB(t, dsn)
		program := queryInt(t, raw, `SELECT max(version) FROM pricefill_migrations`)
		newer := program + 5
		if _, err := raw.ExecContext(context.Background(), fmt.Sprintf(
			`INSERT INTO pricefill_migrations (version, name, applied_at) VALUES (%d, '%04d_from_a_newer_pricefill', '2030-01-01T00:00:00.000000Z')`,
			newer, newer)); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()

		run := runMeasured(t, ctx, "--db", dsn, "--base-url", srv.URL(), "--symbols", "N1,N2,N3", "--days", "30", "--rate", rateNoLimt)
		t.Logf("%s; %d requests: %s", run, len(srv.Requests()), strings.TrimSpace(run.out))
		if run.code != 2 {
			t.Fatalf("exit %d, want 2:\n%s", run.code, run.out)
		}
		lines := strings.Split(strings.TrimSpace(run.out), "\n")
		want := fmt.Sprintf("database schema is version %d, newer than this program's %d; upgrade pricefill", newer, program)
		if len(lines) != 1 || !strings.HasPrefix(lines[0], "pricefill: --db: ") || !strings.HasSuffix(lines[0], want) {
			t.Errorf("output %q, want one line ending %q", run.out, want)
		}
		if n := len(srv.Requests()); n != 0 {
			t.Errorf("%d requests reached the provider, want none", n)
		}
		if got := queryInt(t, raw, `SELECT max(version) FROM pricefill_migrations`); got != newer {
			t.Errorf("pricefill_migrations now ends at %d, want %d as it was", got, newer)
		}
		if tasks := mustSnapshot(t, dsn); len(tasks) != 0 {
			t.Errorf("%d tasks queued, want none", len(tasks))
		}
	})
}

// The constraint TestStoreRefusalFailsOnce adds to the prices table by
// hand, as a database administrator might: a refusal validation cannot
// know of.
const (
	capName  = "prices_close_sane"
	capExpr  = "close < 5000"
	capPrice = 9000.0
	capSym   = "CAPPED"
)

// TestStoreRefusalFailsOnce: a save the database refuses for a reason
// validation cannot know (a CHECK constraint added by hand) gives that
// symbol up after exactly one request, with the constraint named in its
// last_error and the report; the other symbols are stored.
func TestStoreRefusalFailsOnce(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dsn string) {
		srv := upstream.ForTest(t)
		migrated(t, dsn)
		if err := schematest.AddPricesCheck(context.Background(), rawDB(t, dsn), strings.HasPrefix(dsn, "postgres://"), capName, capExpr); err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		const days = 30
		capped := srv.ValidBars(capSym, runRange(now, days), now)
		if len(capped) < 5 {
			t.Fatalf("%d valid bars, want a few", len(capped))
		}
		b := &capped[len(capped)/2]
		b.Open, b.High, b.Low, b.Close, b.AdjClose = capPrice, capPrice, capPrice, capPrice, capPrice
		srv.SetBars(capSym, capped)
		others := symbols("FINE", 3)
		syms := append([]string{capSym}, others...)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()

		start := time.Now()
		run := runMeasured(t, ctx, "--db", dsn, "--base-url", srv.URL(), "--symbols", strings.Join(syms, ","),
			"--days", fmt.Sprint(days), "--rate", rateNoLimt, "--log-level", "warn")
		end := time.Now()
		t.Logf("%s; requests %v", run, fetches(srv, syms))
		if run.code != 1 {
			t.Fatalf("exit %d, want 1 (a symbol failed):\n%s", run.code, run.out)
		}
		if got := fetches(srv, syms); got[capSym] != 1 {
			t.Errorf("%d requests for %s, want exactly 1: the refusal is not retried", got[capSym], capSym)
		}
		tasks := mustSnapshot(t, dsn)
		if tk := tasks[capSym]; tk.Status != queue.PermanentlyFailed || tk.Attempts != 0 || tk.Bars != 0 {
			t.Errorf("%s: %+v, want permanently failed at once (no attempt used, as for a permanent fetch error) with nothing stored", capSym, tk)
		}
		var lastErr string
		if err := rawDB(t, dsn).QueryRowContext(ctx, `SELECT last_error FROM backfill_queue WHERE symbol = '`+capSym+`'`).Scan(&lastErr); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{capName, "the database refused the data"} {
			if !strings.Contains(lastErr, want) {
				t.Errorf("last_error %q does not name %q", lastErr, want)
			}
			if !strings.Contains(run.out, want) {
				t.Errorf("the report does not name %q:\n%s", want, run.out)
			}
		}
		if !strings.Contains(run.out, "permanent (1): "+capSym) {
			t.Errorf("the report does not list %s as permanent:\n%s", capSym, run.out)
		}
		db := openStore(t, dsn)
		e := expect(srv, others, runRange(start, days), start, end)
		for _, s := range others {
			if tk := tasks[s]; tk.Status != queue.Completed || tk.Attempts != 0 {
				t.Errorf("%s: %+v, want completed with no attempt used", s, tk)
			}
			e.check(t, s, storedBars(t, db, s))
		}
	})
}
