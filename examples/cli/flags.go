package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/backfill/universe"
	"github.com/pricefill/pricefill/export"
	"github.com/pricefill/pricefill/internal/redact"
	"github.com/pricefill/pricefill/ratelimit"
	"github.com/pricefill/pricefill/store"
	"github.com/pricefill/pricefill/validate/calendar"
)

// DBDefault is the database when neither --db nor DATABASE_URL says one.
const DBDefault = "backfill.db"

// options are the program's flags, checked.
type options struct {
	scheduled   bool
	schedule    schedule // of --scheduled: --every or --at
	symbols     []string // nil: from the config or the S&P 500
	universe    string   // where the symbols come from, for the logs
	days        int
	from, to    time.Time // --from and --to; zero when not given
	force       bool
	dsn         string
	dbSchema    string            // --db-schema: "" for the DSN's own
	assets      []pricefill.Asset // the names and sectors the universe knows of the symbols
	source      string
	sources     []string // --source, split: tried in this order
	baseURL     string
	baseURLs    []string // --base-url, one for each of sources ("" for a provider's own)
	concurrency int
	rate        float64 // requests per second; < 0: the source's default
	hourlyLimit int     // -1: the source's default; 0: none
	dailyLimit  int     // -1: the source's default; 0: none
	outage      time.Duration
	plan        bool
	maxAttempts int
	lease       time.Duration
	logFormat   string
	logLevel    slog.Level
	levelSet    bool // --log-level was given
	status      bool
	version     bool
	reportJSON  string
	keep        time.Duration   // 0: keep all history
	metricsAddr string          // --metrics-addr: "" for no metrics
	export      string          // --export: the file to write the stored bars to
	coverage    bool            // --coverage, with --status
	given       map[string]bool // the flags given on the command line
}

// usageError is bad usage or configuration: exit status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

const usageHead = `pricefill backfills daily stock prices (OHLCV) into SQLite or PostgreSQL.

Usage:
  go run ./examples/cli [flags]

With no flags it backfills the S&P 500 for the last 365 days from Yahoo
Finance into the SQLite file backfill.db, and resumes where an earlier run
stopped. Examples:

  go run ./examples/cli --symbols AAPL,MSFT,BRK.B --days 30
  go run ./examples/cli --db postgres://user@localhost/prices --concurrency 8
  go run ./examples/cli --scheduled --at 18:30
  go run ./examples/cli --status
  go run ./examples/cli --plan
  go run ./examples/cli --export prices.parquet --symbols AAPL,MSFT --from 2020-01-01
  go run ./examples/cli --status --coverage

The limits (--rate, --hourly-limit, --daily-limit) are the provider's, not
one process's: every process that uses the same --source and --db shares
them, across restarts, as it shares the cool-downs after refusals and the
outage breaker. With several --source, each provider has a budget of its
own, and the limits given hold for each.

Exit status: 0 all symbols succeeded, 1 some failed (or the provider was
down too long), 2 bad usage or configuration (--status on a --db that holds no
pricefill database included), 3 the database could not be reached,
130 interrupted.

Environment: DATABASE_URL (the database when --db is not given),
STOOQ_API_KEY, ALPHAVANTAGE_API_KEY (API keys: only ever from here).

Flags:
`

// parseArgs parses the command line. It returns flag.ErrHelp after
// printing the help for -h or --help, and a usageError for anything wrong.
func parseArgs(args []string, out io.Writer, getenv func(string) string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("pricefill", flag.ContinueOnError)
	// The flag package prints its errors with the whole help; parseArgs
	// says them in one line instead, and prints the help for --help only.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	var symbols, config, level, keep, from, to, at string
	fs.Bool("once", true, "run once and exit: the default, the opposite of --scheduled")
	fs.BoolVar(&o.scheduled, "scheduled", false, "run now, then again every --every or daily --at, until interrupted; later runs fetch only\nnew trading days. Between runs the next run's time is logged (on a terminal, shown at the bottom)")
	fs.DurationVar(&o.schedule.every, "every", 24*time.Hour, "with --scheduled, run every `INTERVAL`, counted from each run's start")
	fs.StringVar(&at, "at", "", "with --scheduled, run daily at `HH:MM`, in the time zone of the symbols' exchange\n(New York's when they differ), or in the zone named after it: '18:30 Europe/London'")
	fs.StringVar(&symbols, "symbols", "", "comma-separated `LIST` of symbols to backfill, e.g. AAPL,MSFT,BRK.B (default: --config, else the S&P 500)")
	fs.IntVar(&o.days, "days", 365, "fill `N` calendar days back from today (New York), or from --to")
	fs.StringVar(&from, "from", "", "fill from `DATE` (YYYY-MM-DD) on, instead of --days")
	fs.StringVar(&to, "to", "", "fill up to `DATE` (YYYY-MM-DD), at the latest today in New York (default: today)")
	fs.BoolVar(&o.force, "force", false, "fetch symbols again even when stored, known holes included, and replace bars whose values changed")
	fs.StringVar(&config, "config", "", "a JSON `FILE` of symbols: {\"symbols\": [{\"symbol\": \"AAPL\"}, …]}")
	fs.StringVar(&o.dsn, "db", "", "the database `DSN`: a file path or sqlite:PATH for SQLite, postgres://… for PostgreSQL\n(default: $DATABASE_URL, else "+DBDefault+")")
	fs.StringVar(&o.dbSchema, "db-schema", "", "keep every pricefill table in the PostgreSQL schema `NAME`, created if missing,\nand touch nothing outside it (default: the DSN's search_path, else public)")
	fs.StringVar(&o.source, "source", "yahoo", "the provider `NAME`: yahoo, stooq, alphavantage, csvdir (CSV files in the directory --base-url),\nsynthetic (made-up demo data); or a comma-separated list, such as yahoo,stooq, tried in order\nfor each symbol: a symbol one does not know, or cannot serve now, goes to the next, and one\nwhose provider is down is passed over")
	fs.StringVar(&o.baseURL, "base-url", "", "the provider's base `URL`, for proxies and tests; for csvdir, the directory. With several\n--source, a comma-separated list in the same order (empty for a provider's own)")
	fs.IntVar(&o.concurrency, "concurrency", backfill.ConcurrencyDefault, "`N` workers fetch at once, sharing one rate limit")
	fs.Float64Var(&o.rate, "rate", -1, "at most `R` requests per second to the provider, for the whole fleet: every process on the same\n--db shares it; 0 for no minimum gap. Refusals slow it down, answers bring it back\n(default: the source's: 1 for yahoo and stooq, 1/12 for alphavantage, none for csvdir and synthetic)")
	fs.IntVar(&o.hourlyLimit, "hourly-limit", -1, "at most `N` requests in any rolling hour, for the whole fleet; 0 for none\n(default: 2000; none for csvdir and synthetic)")
	fs.IntVar(&o.dailyLimit, "daily-limit", -1, "at most `N` requests in any rolling 24 hours, for the whole fleet; 0 for none\n(default: 25 for alphavantage, none for the others)")
	fs.DurationVar(&o.outage, "outage-timeout", ratelimit.OutageTimeoutDefault, "stop (exit 1, nothing lost) when the provider has been down, or has refused every request,\nfor `DURATION`; while it is down, no symbol is charged an attempt; 0 waits for ever")
	fs.IntVar(&o.maxAttempts, "max-attempts", backfill.MaxAttemptsDefault, "give a symbol up after `N` transient failures")
	fs.DurationVar(&o.lease, "lease", backfill.LeaseDefault, "a symbol's task is held for `DURATION` at a time, renewed while it runs;\nafter a crash (kill -9) the next run takes it over once the run's heartbeat lapses (10s),\nor once the lease does where it cannot tell")
	fs.StringVar(&o.logFormat, "log-format", "text", "console log `FORMAT`: text or json")
	fs.StringVar(&level, "log-level", "info", "log `LEVEL`: debug, info, warn or error\n(on a terminal the console shows warn and above under a progress line, unless this is given)")
	fs.BoolVar(&o.status, "status", false, "show the queue (counts by status, oldest waiting task, last errors) and each provider's budget\n(what holds requests back: a spent limit, a cool-down, an outage), and exit, fetching nothing")
	fs.BoolVar(&o.coverage, "coverage", false, "with --status: per symbol stored (of --symbols or --config, if given) the first and last dates,\nbars, completeness, known holes and last update, instead of the queue")
	fs.StringVar(&o.export, "export", "", "write the stored bars to `PATH` (.csv or .parquet: the format by the extension) and exit, fetching\nnothing: all of them, or of --symbols or --config, and from --from (or --days) to --to, if given")
	fs.BoolVar(&o.plan, "plan", false, "say how many symbols and requests the run needs (from what is stored) and how long they take\nat the provider's limits, and exit, fetching nothing")
	fs.BoolVar(&o.version, "version", false, "print the version and exit")
	fs.StringVar(&o.reportJSON, "report-json", "", "also write the final report as JSON to `FILE`")
	fs.StringVar(&o.metricsAddr, "metrics-addr", "", "serve Prometheus metrics at http://`ADDR`/metrics while the program runs (and between --scheduled runs),\nsuch as :9090, or 127.0.0.1:0 for a free port (logged as metrics_addr)")
	fs.StringVar(&keep, "keep", "90d", "after each run, delete the history older than `AGE` (finished queue tasks, fetcher_logs),\nin days (90d) or as a Go duration (36h); 0 keeps it all. Prices are never deleted")

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(fs, out)
			return nil, err
		}
		return nil, usageError{flagError(fs, err)}
	}
	if fs.NArg() > 0 {
		// An unquoted --db of key=value words leaves its other words
		// here: a password among them is not shown.
		if arg := fs.Arg(0); redact.IsKeyValue(arg) {
			return nil, usagef("unexpected argument %q (a --db of key=value words goes in quotes: --db 'host=… dbname=…')", redact.DSN(arg))
		}
		return nil, usagef("unexpected argument %q (flags only; see --help)", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	o.given = set
	if err := o.parseKeep(keep); err != nil {
		return nil, err
	}
	now := time.Now()
	if err := o.check(symbols, config, level, set, getenv, now); err != nil {
		return o, err
	}
	if err := o.checkSchedule(at, set); err != nil {
		return o, err
	}
	return o, o.parseRange(from, to, set, now)
}

// checkSchedule reads --at and checks the flags of --scheduled.
func (o *options) checkSchedule(at string, set map[string]bool) error {
	switch {
	case set["once"] && o.scheduled:
		return usagef("--once and --scheduled both say how often to run: give one")
	case !o.scheduled && set["every"]:
		return usagef("--every: only with --scheduled")
	case !o.scheduled && set["at"]:
		return usagef("--at: only with --scheduled")
	case set["every"] && set["at"]:
		return usagef("--every and --at both say when to run: give one")
	case o.schedule.every < time.Minute:
		return usagef("--every %s: want a minute or more", o.schedule.every)
	case !set["at"]:
		return nil
	}
	t, err := parseAt(at, o.symbols)
	if err != nil {
		return err
	}
	o.schedule.at, o.schedule.every = t, 0
	return nil
}

// maxDays is the largest --days at now: the range it makes, from today
// in New York back (see options.request), starts on 1900-01-01, the first
// date a pricefill.Range may hold. The range ends today: never after.
func maxDays(now time.Time) int {
	today := pricefill.DateOf(now.In(calendar.NYSE.Location()))
	return int(today.Sub(pricefill.Date(pricefill.MinYear, 1, 1)) / (24 * time.Hour))
}

// parseRange reads --from and --to, and checks the range they make with
// --days at now.
func (o *options) parseRange(from, to string, set map[string]bool, now time.Time) error {
	if set["from"] && set["days"] {
		return usagef("--from and --days both say where the range begins: give one")
	}
	for _, f := range []struct {
		name, s string
		dst     *time.Time
	}{{"from", from, &o.from}, {"to", to, &o.to}} {
		if !set[f.name] {
			continue
		}
		d, err := pricefill.ParseDate(f.s)
		if err != nil {
			return usagef("--%s %q: want a date, YYYY-MM-DD", f.name, f.s)
		}
		*f.dst = d
	}
	today := pricefill.DateOf(now.In(calendar.NYSE.Location()))
	switch r := o.rangeAt(now); {
	case r.To.After(today):
		return usagef("--to %s: after today (%s in New York)", r.To.Format(pricefill.DateLayout), today.Format(pricefill.DateLayout))
	case set["from"] && r.From.After(r.To):
		return usagef("--from %s: after --to %s", r.From.Format(pricefill.DateLayout), r.To.Format(pricefill.DateLayout))
	case r.From.Year() < pricefill.MinYear:
		return usagef("the range begins on %s: want %d-01-01 or later", r.From.Format(pricefill.DateLayout), pricefill.MinYear)
	}
	return nil
}

// rangeAt is the run's range at now: from --from, or --days back, to
// --to or today in New York.
func (o *options) rangeAt(now time.Time) pricefill.Range {
	to := pricefill.DateOf(now.In(calendar.NYSE.Location()))
	if !o.to.IsZero() {
		to = o.to
	}
	if !o.from.IsZero() {
		return pricefill.Range{From: o.from, To: to}
	}
	return pricefill.LastDays(to, o.days)
}

// parseKeep reads --keep: days as "90d", or a Go duration; 0 for all.
func (o *options) parseKeep(s string) error {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return usagef("--keep %q: want days (90d), a duration (36h) or 0", s)
		}
		o.keep = time.Duration(n) * 24 * time.Hour
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return usagef("--keep %q: want days (90d), a duration (36h) or 0", s)
	}
	o.keep = d
	return nil
}

// flagError turns an error of the flag package into one line that names
// the flag as --name and points to --help; for a flag that does not
// exist, it suggests the nearest that does.
func flagError(fs *flag.FlagSet, err error) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		name = strings.TrimPrefix(name, "-")
		if near := nearestFlag(fs, name); near != "" {
			return fmt.Errorf("unknown flag --%s: did you mean --%s? (see --help)", name, near)
		}
		return fmt.Errorf("unknown flag --%s (see --help)", name)
	}
	// "invalid value "x" for flag -days: parse error", "flag needs an
	// argument: -db": the flag package names flags with one dash.
	for _, p := range []string{"flag -", "for -", "argument: -"} {
		if i := strings.Index(msg, p); i >= 0 && !strings.HasPrefix(msg[i+len(p):], "-") {
			msg = msg[:i+len(p)] + "-" + msg[i+len(p):]
			break
		}
	}
	return fmt.Errorf("%s (see --help)", msg)
}

// nearestFlag returns the flag of fs whose name is within two edits of
// name, or starts with it, preferring the fewest edits; "" if none is.
func nearestFlag(fs *flag.FlagSet, name string) string {
	best, bestDist := "", 3
	fs.VisitAll(func(f *flag.Flag) {
		d := editDistance(name, f.Name)
		if strings.HasPrefix(f.Name, name) && len(name) >= 3 {
			d = min(d, 1)
		}
		if d < bestDist {
			best, bestDist = f.Name, d
		}
	})
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// printUsage prints the help to out: what the program does, then every
// flag as --name VALUE, its meaning and its default.
func printUsage(fs *flag.FlagSet, out io.Writer) {
	var b strings.Builder
	b.WriteString(usageHead)
	fs.VisitAll(func(f *flag.Flag) {
		value, usage := flag.UnquoteUsage(f)
		fmt.Fprintf(&b, "  --%s", f.Name)
		if value != "" {
			fmt.Fprintf(&b, " %s", value)
		}
		b.WriteString("\n      ")
		b.WriteString(strings.ReplaceAll(usage, "\n", "\n      "))
		if f.DefValue != "" && f.DefValue != "false" && !strings.Contains(usage, "default") {
			fmt.Fprintf(&b, " (default %s)", f.DefValue)
		}
		b.WriteByte('\n')
	})
	fmt.Fprint(out, b.String())
}

// check turns the string flags into options and rejects bad values; now
// is the time of the run, for --days.
func (o *options) check(symbols, config, level string, set map[string]bool, getenv func(string) string, now time.Time) error {
	switch {
	case o.days <= 0:
		return usagef("--days %d: want 1 or more", o.days)
	case o.days > maxDays(now):
		return usagef("--days %d: want at most %d, back to %d-01-01", o.days, maxDays(now), pricefill.MinYear)
	case o.concurrency < 1:
		return usagef("--concurrency %d: want 1 or more", o.concurrency)
	case set["rate"] && o.rate < 0:
		return usagef("--rate %g: want 0 or more requests per second", o.rate)
	case set["hourly-limit"] && o.hourlyLimit < 0:
		return usagef("--hourly-limit %d: want 0 (none) or more", o.hourlyLimit)
	case set["daily-limit"] && o.dailyLimit < 0:
		return usagef("--daily-limit %d: want 0 (none) or more", o.dailyLimit)
	case o.outage < 0:
		return usagef("--outage-timeout %s: want 0 (never) or more", o.outage)
	case o.status && o.plan:
		return usagef("--status and --plan both say what to show: give one")
	case o.export != "" && (o.status || o.plan || o.scheduled):
		return usagef("--export writes the stored bars and exits: not with --status, --plan or --scheduled")
	case o.coverage && !o.status:
		return usagef("--coverage is a view of --status: give --status --coverage")
	case o.maxAttempts < 1:
		return usagef("--max-attempts %d: want 1 or more", o.maxAttempts)
	case o.lease < time.Second:
		return usagef("--lease %s: want a second or more", o.lease)
	case o.logFormat != "text" && o.logFormat != "json":
		return usagef("--log-format %q: want text or json", o.logFormat)
	case set["symbols"] && set["config"]:
		return usagef("--symbols and --config both say which symbols: give one")
	}
	if err := checkMetricsAddr(o.metricsAddr); err != nil {
		return err
	}
	if _, err := export.FormatOf(o.export); o.export != "" && err != nil {
		return usagef("--export: %w", err)
	}
	if err := o.parseSources(); err != nil {
		return err
	}
	if err := o.logLevel.UnmarshalText([]byte(level)); err != nil {
		return usagef("--log-level %q: want debug, info, warn or error", level)
	}
	o.levelSet = set["log-level"]
	if !set["rate"] {
		o.rate = -1
	}
	if !set["hourly-limit"] {
		o.hourlyLimit = -1
	}
	if !set["daily-limit"] {
		o.dailyLimit = -1
	}

	switch {
	case set["symbols"]:
		var errs []error
		for _, s := range strings.Split(symbols, ",") {
			sym, err := pricefill.NormalizeSymbol(s)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			o.symbols = append(o.symbols, sym)
		}
		if len(errs) > 0 {
			return usagef("--symbols: %w", errors.Join(errs...))
		}
		o.universe = "--symbols"
		o.assets = universe.SP500().Assets(o.symbols)
	case set["config"]:
		u, err := universe.ReadFile(config)
		if err != nil {
			return usagef("--config: %w", err)
		}
		o.symbols, o.universe = u.Tickers(), config
		o.assets = u.Assets(o.symbols)
	default:
		u := universe.SP500()
		o.symbols, o.universe = u.Tickers(), u.Name+" as of "+u.LastUpdated
		o.assets = u.Assets(o.symbols)
	}

	if o.dsn == "" {
		o.dsn = getenv("DATABASE_URL")
	}
	if o.dsn == "" {
		o.dsn = DBDefault
	}
	if set["db-schema"] {
		if err := store.CheckSchemaName(o.dbSchema); err != nil {
			return usagef("--db-schema: %w", err)
		}
		if d, err := store.DialectOf(o.dsn); err == nil && d != "postgres" {
			return usagef("--db-schema %s: PostgreSQL only, and --db is an SQLite file", o.dbSchema)
		}
	}
	return nil
}
