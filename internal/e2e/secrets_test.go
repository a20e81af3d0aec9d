package e2e

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pricefill/pricefill/internal/fetchhttp"
	"github.com/pricefill/pricefill/internal/pgtest"
	"github.com/pricefill/pricefill/internal/upstream"
	"github.com/pricefill/pricefill/queue"
)

// A secretRun is one run of the program in a working directory of its
// own, with what the tests look for secrets in.
type secretRun struct {
	code   int
	out    string // stdout and stderr
	report string // the --report-json, empty when none was written
	took   time.Duration
	maxRSS int64 // the program's peak resident memory, in bytes
}

// runIn runs the program with args in dir, with env added to its
// environment and --report-json to a file outside dir.
func runIn(t *testing.T, ctx context.Context, dir string, env []string, args ...string) secretRun {
	t.Helper()
	report := filepath.Join(t.TempDir(), "report.json")
	cmd, out := cliCommand(t, ctx, append(args, "--report-json", report)...)
	cmd.Dir = dir
	cmd.Env = append(cmd.Env, env...)
	start := time.Now()
	err := cmd.Run()
	r := secretRun{code: exitCode(t, err), out: out.String(), took: time.Since(start)}
	r.maxRSS = peakRSS(cmd.ProcessState)
	if b, err := os.ReadFile(report); err == nil {
		r.report = string(b)
	}
	return r
}

// fetcherLogs returns every row of the fetcher_logs of the database dsn
// (an SQLite path or a PostgreSQL URL), one line each, all columns as
// text.
func fetcherLogs(t *testing.T, dsn string) string {
	t.Helper()
	db, err := openOwn(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT level, message, coalesce(symbol, ''), coalesce(CAST(attrs AS TEXT), '') FROM fetcher_logs ORDER BY id`)
	if err != nil {
		t.Fatalf("reading fetcher_logs: %v", err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var level, msg, sym, attrs string
		if err := rows.Scan(&level, &msg, &sym, &attrs); err != nil {
			t.Fatal(err)
		}
		b.WriteString(strings.Join([]string{level, msg, sym, attrs}, " ") + "\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// noSecrets fails t where a secret, as it is or URL-escaped, is in one of
// the texts (named by the keys of texts).
func noSecrets(t *testing.T, texts map[string]string, secrets ...string) {
	t.Helper()
	for where, text := range texts {
		for _, s := range secrets {
			for _, form := range []string{s, url.QueryEscape(s), url.PathEscape(s)} {
				if strings.Contains(text, form) {
					t.Errorf("%s shows the secret %q:\n%s", where, form, text)
				}
			}
		}
	}
}

// dirEntries returns the names in dir.
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// TestKeyValueDSNIsPostgres: --db of libpq's key=value words stores into
// that PostgreSQL database and its schema, creates no file in the
// working directory, and shows its password nowhere: not on stdout or
// stderr, not in fetcher_logs, not in the report.
func TestKeyValueDSNIsPostgres(t *testing.T) {
	t.Parallel()
	const password = "hunter2-e2e"
	srv := upstream.ForTest(t)
	urlDSN := pgtest.DSN(t)
	dsn := pgtest.KeyValueDSN(t, urlDSN, password)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	syms := symbols("K", 3)
	start := time.Now()
	r := runIn(t, ctx, dir, nil, "--db", dsn, "--base-url", srv.URL(), "--symbols", strings.Join(syms, ","),
		"--days", "10", "--rate", "50")
	end := time.Now()
	if r.code != 0 {
		t.Fatalf("exit %d, want 0:\n%s", r.code, r.out)
	}
	if names := dirEntries(t, dir); len(names) != 0 {
		t.Errorf("the working directory holds %q, want nothing: the DSN became a file", names)
	}
	shown := strings.Replace(dsn, "password="+password, "password=[REDACTED]", 1)
	if !strings.Contains(r.out, "pricefill report: yahoo at "+srv.URL()+" into "+shown) {
		t.Errorf("the report's header does not name the database as %q:\n%s", shown, r.out)
	}
	logs := fetcherLogs(t, urlDSN)
	if !strings.Contains(logs, "password=[REDACTED]") {
		t.Errorf("fetcher_logs does not name the database, redacted:\n%s", logs)
	}
	noSecrets(t, map[string]string{"the output": r.out, "fetcher_logs": logs, "the report": r.report}, password)

	// The bars are in the schema of the DSN's search_path.
	tasks := mustSnapshot(t, urlDSN)
	db := openStore(t, urlDSN)
	e := expect(srv, syms, runRange(start, 10), start, end)
	bars := 0
	for _, s := range syms {
		if tk := tasks[s]; tk.Status != queue.Completed {
			t.Errorf("%s: %+v, want completed", s, tk)
		}
		bars += e.check(t, s, storedBars(t, db, s))
	}
	if bars == 0 {
		t.Errorf("no bars stored in %s", urlDSN)
	}
	t.Logf("%d requests for %d symbols, %d bars stored in PostgreSQL; %s, peak RSS %s", len(srv.Requests()), len(syms), bars,
		r.took.Round(time.Millisecond), mib(r.maxRSS))
}

// TestCredentialsHidden: a --base-url with user:pass@ and a DSN with
// ?password= run, and neither secret appears on stdout or stderr, in
// fetcher_logs or in --report-json; a --base-url with an apikey= query and
// the words of an unquoted key=value --db are refused, exit 2, without
// showing theirs, and leave no file.
func TestCredentialsHidden(t *testing.T) {
	t.Parallel()
	const (
		userPass   = "baseurl-pw-e2e"
		dbPass     = "query-pw-e2e"
		queryKey   = "k3y-in-base-url-e2e"
		wordsPass  = "hunter2-words-e2e"
		wantSource = "yahoo at http://[REDACTED]@"
	)
	srv := upstream.ForTest(t)
	host := strings.TrimPrefix(srv.URL(), "http://")
	baseURL := "http://reader:" + userPass + "@" + host + "/"
	urlDSN := pgtest.DSN(t)
	dsn := urlDSN + "&password=" + dbPass
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	r := runIn(t, ctx, dir, nil, "--db", dsn, "--base-url", baseURL, "--symbols", "C000,C001", "--days", "10", "--rate", "50")
	if r.code != 0 {
		t.Fatalf("exit %d, want 0:\n%s", r.code, r.out)
	}
	logs := fetcherLogs(t, urlDSN)
	for where, text := range map[string]string{"the output": r.out, "fetcher_logs": logs} {
		for _, want := range []string{wantSource + host, "password=[REDACTED]"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s does not say %q:\n%s", where, want, text)
			}
		}
	}
	if r.report == "" {
		t.Errorf("no --report-json written")
	}
	noSecrets(t, map[string]string{"the output": r.out, "fetcher_logs": logs, "the report": r.report}, userPass, dbPass)
	t.Logf("run with credentials: %d requests, %s, peak RSS %s", len(srv.Requests()), r.took.Round(time.Millisecond), mib(r.maxRSS))

	refused := runIn(t, ctx, dir, nil, "--db", filepath.Join(t.TempDir(), "x.db"), "--base-url", "http://u:"+userPass+"@"+host+"/?apikey="+queryKey,
		"--symbols", "C000")
	words := runIn(t, ctx, dir, nil, "--db", "host=127.0.0.1", "password="+wordsPass, "dbname=x", "--symbols", "C000")
	for name, r := range map[string]secretRun{"--base-url with a query": refused, "unquoted --db words": words} {
		if r.code != 2 || !strings.Contains(r.out, "pricefill: ") {
			t.Errorf("%s: exit %d, want 2 with the program's line:\n%s", name, r.code, r.out)
		}
		noSecrets(t, map[string]string{name: r.out + r.report}, userPass, queryKey, wordsPass)
	}
	if names := dirEntries(t, dir); len(names) != 0 {
		t.Errorf("the working directory holds %q, want nothing", names)
	}
}

// avReport is the part of --report-json that TestRedirects reads.
type avReport struct {
	Succeeded int `json:"succeeded"`
	Failed    int `json:"failed"`
	Requests  int `json:"requests"`
	Failures  []struct {
		Symbol string `json:"symbol"`
		Kind   string `json:"kind"`
		Err    string `json:"error"`
	} `json:"failures"`
}

// TestRedirects: Alpha Vantage (its API key in the query) answers one
// symbol with a 302 to a second server on another port, and another with
// a redirect loop. The second server gets no request; the first symbol
// fails permanently, naming the target with the key hidden; the loop
// makes 1+RedirectsMax requests, each one the limiter granted (the
// report counts them), and fails permanently too; the third symbol is
// stored; the key appears nowhere.
func TestRedirects(t *testing.T) {
	t.Parallel()
	const key = "AVKEY-redirect-e2e"
	srv := upstream.ForTest(t)
	other := upstream.ForTest(t)
	srv.SetFault("AWAY", upstream.Fault{Kind: upstream.Redirect, Location: other.URL() + "/query"})
	srv.SetFault("LOOP", upstream.Fault{Kind: upstream.Redirect})
	dsn := dialects[0].dsn(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r := runIn(t, ctx, t.TempDir(), []string{"ALPHAVANTAGE_API_KEY=" + key}, "--db", dsn, "--source", "alphavantage",
		"--base-url", srv.URL(), "--symbols", "AWAY,LOOP,FINE", "--days", "10", "--rate", "50")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1 (two symbols failed):\n%s", r.code, r.out)
	}
	if n := len(other.Requests()); n != 0 {
		t.Errorf("the other server got %d requests, want none: %+v", n, other.Requests())
	}
	away, loop, fine := len(srv.RequestsFor("AWAY")), len(srv.RequestsFor("LOOP")), len(srv.RequestsFor("FINE"))
	if away != 1 || loop != 1+fetchhttp.RedirectsMax || fine != 1 {
		t.Errorf("the provider got %d, %d and %d requests for AWAY, LOOP and FINE; want 1, %d and 1", away, loop, fine, 1+fetchhttp.RedirectsMax)
	}
	for _, q := range srv.Requests() {
		if q.Query.Get("apikey") != key {
			t.Errorf("a request came without the key: %s %v", q.Path, q.Query)
		}
	}
	var rep avReport
	if err := json.Unmarshal([]byte(r.report), &rep); err != nil {
		t.Fatalf("the report: %v\n%s", err, r.report)
	}
	if total := len(srv.Requests()); rep.Requests != total || rep.Succeeded != 1 || rep.Failed != 2 {
		t.Errorf("report: %d requests, %d succeeded, %d failed; want %d (every hop a grant of the limiter), 1, 2", rep.Requests, rep.Succeeded, rep.Failed, total)
	}
	wants := map[string]string{
		"AWAY": "redirected off the provider's origin " + srv.URL() + ", to " + other.URL() + "/query?",
		"LOOP": "redirected more than 3 times",
	}
	for _, f := range rep.Failures {
		if f.Kind != "permanent" || !strings.Contains(f.Err, wants[f.Symbol]) || !strings.Contains(f.Err, "apikey=[REDACTED]") {
			t.Errorf("%s failed (%s): %q; want permanent, saying %q, the key hidden", f.Symbol, f.Kind, f.Err, wants[f.Symbol])
		}
		delete(wants, f.Symbol)
	}
	if len(wants) != 0 {
		t.Errorf("no failure reported for %v", wants)
	}
	logs := fetcherLogs(t, dsn)
	noSecrets(t, map[string]string{"the output": r.out, "fetcher_logs": logs, "the report": r.report}, key)
	tasks := mustSnapshot(t, dsn)
	if tk := tasks["FINE"]; tk.Status != queue.Completed || tk.Bars == 0 {
		t.Errorf("FINE: %+v, want completed with bars", tk)
	}
	for _, s := range []string{"AWAY", "LOOP"} {
		if tk := tasks[s]; tk.Status != queue.PermanentlyFailed || tk.Attempts > 1 {
			t.Errorf("%s: %+v, want permanently failed at its first attempt", s, tk)
		}
	}
	t.Logf("%d requests to the provider (AWAY %d, LOOP %d, FINE %d), %d to the other server; %s, peak RSS %s",
		len(srv.Requests()), away, loop, fine, len(other.Requests()), r.took.Round(time.Millisecond), mib(r.maxRSS))
}
