package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/validate/calendar"
)

// pgEnv is the variable that gives -pg its default.
const pgEnv = "PRICEFILL_BENCH_DATABASE_URL"

// ingestConfig is the ingest experiment.
type ingestConfig struct {
	// symbols are the sizes to run; the first is the throughput figure.
	symbols     []int
	years       int
	concurrency int
	pgURL       string // "" skips PostgreSQL
	profileDir  string // "" writes no heap profiles
	dir         string // "" means a new temporary directory
	// exe is the program that runs a child; "" means this one.
	exe string
	// before is a build of this program from another tree (the version
	// before a change, say) that runs a child of its own for each row,
	// besides exe's; "" runs none.
	before string
	// repeat is how many times each row runs (the versions alternating).
	repeat int
	// raw loads the bars each child stored again with the database's own
	// bulk loader (see rawLoad), for the ratio of the two.
	raw bool
}

func (c ingestConfig) validate() error {
	if len(c.symbols) == 0 || c.years < 1 || c.concurrency < 1 {
		return errors.New("-ingest-symbols, -ingest-years and -ingest-concurrency must be at least 1")
	}
	if c.pgURL != "" && !strings.HasPrefix(c.pgURL, "postgres://") && !strings.HasPrefix(c.pgURL, "postgresql://") {
		return fmt.Errorf("-pg: want a postgres:// URL")
	}
	return nil
}

// ingestRange returns the range of years ending on 2025-12-31.
func ingestRange(years int) pricefill.Range {
	to := pricefill.Date(2025, 12, 31)
	return pricefill.Range{From: to.AddDate(-years, 0, 1), To: to}
}

// ingestResult is one child's run, or why there was none.
type ingestResult struct {
	dialect string
	symbols int
	// version is "before" for a child of -ingest-before, else "".
	version string
	skipped string
	child   childResult
	// raw is the raw load into the child's database, when asked for.
	raw *rawResult
	// maxRSS is the child's peak resident set, from its rusage, in bytes.
	maxRSS int64
}

// runIngest runs a child per dialect and size.
func runIngest(ctx context.Context, c ingestConfig, stderr io.Writer) ([]ingestResult, error) {
	dir, cleanup, err := workDir(c.dir)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	exe := c.exe
	if exe == "" {
		if exe, err = os.Executable(); err != nil {
			return nil, err
		}
	}
	type version struct{ name, exe string }
	versions := []version{{"", exe}}
	if c.before != "" {
		versions = []version{{"before", c.before}, {"", exe}}
	}
	var out []ingestResult
	for _, dialect := range dialects {
		for _, n := range c.symbols {
			for _, v := range slices.Repeat(versions, max(c.repeat, 1)) {
				res := ingestResult{dialect: dialect, symbols: n, version: v.name}
				if res.skipped = skipped(dialect, c.pgURL); res.skipped != "" {
					out = append(out, res)
					continue
				}
				var err error
				res.child, res.maxRSS, res.raw, err = ingestOnce(ctx, c, v.exe, v.name, dialect, n, dir, stderr)
				if err != nil {
					return out, fmt.Errorf("%s, %d symbols: %w", dialect, n, err)
				}
				fmt.Fprintf(stderr, "bench: ingest %s%s, %d symbols: %.0f bars/s, peak RSS %s", dialect, versionSuffix(v.name), n, res.child.barsPerSecond(), mib(res.maxRSS))
				if res.raw != nil {
					fmt.Fprintf(stderr, ", %s %.0f bars/s (ratio %.2f)", res.raw.tool, res.raw.barsPerSecond(), res.ratio())
					if res.raw.engineSeconds > 0 {
						fmt.Fprintf(stderr, ", modernc %.0f bars/s (ratio %.2f)", res.raw.engineBarsPerSecond(), res.engineRatio())
					}
				}
				fmt.Fprintln(stderr)
				out = append(out, res)
			}
		}
	}
	return out, nil
}

// ratio is the child's bars/s over the raw load's, or 0 without one.
func (x ingestResult) ratio() float64 {
	if x.raw == nil {
		return 0
	}
	return x.child.barsPerSecond() / x.raw.barsPerSecond()
}

// engineRatio is the child's bars/s over the raw load's by the store's own
// SQLite engine, or 0 without one.
func (x ingestResult) engineRatio() float64 {
	if x.raw == nil || x.raw.engineSeconds == 0 {
		return 0
	}
	return x.child.barsPerSecond() / x.raw.engineBarsPerSecond()
}

func versionSuffix(v string) string {
	if v == "" {
		return ""
	}
	return " (" + v + ")"
}

// ingestOnce runs one child of exe on a new database and returns what it
// measured, its peak RSS and, with c.raw, the raw load into the same
// database after it.
func ingestOnce(ctx context.Context, c ingestConfig, exe, version, dialect string, n int, dir string, stderr io.Writer) (childResult, int64, *rawResult, error) {
	path := filepath.Join(dir, fmt.Sprintf("ingest-%d.db", n))
	dsn, drop, err := newDatabase(ctx, dialect, path, c.pgURL, stderr)
	if err != nil {
		return childResult{}, 0, nil, err
	}
	defer drop()
	if dialect == "sqlite" {
		defer removeSQLite(path)
	}
	res, rss, err := ingestChildOf(ctx, c, exe, version, dialect, dsn, n, stderr)
	if err != nil || !c.raw {
		return res, rss, nil, err
	}
	raw, err := rawLoad(ctx, dialect, dsn, dir)
	if err != nil {
		return res, rss, nil, err
	}
	return res, rss, &raw, nil
}

// removeSQLite removes the database file path and its WAL files, so that
// the next run starts empty.
func removeSQLite(path string) {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		_ = os.Remove(path + suffix)
	}
}

// ingestChildOf runs one child of exe on the database of dsn.
func ingestChildOf(ctx context.Context, c ingestConfig, exe, version, dialect, dsn string, n int, stderr io.Writer) (childResult, int64, error) {
	args := []string{childCommand,
		"-dialect", dialect, "-dsn", dsn, "-symbols", fmt.Sprint(n),
		"-years", fmt.Sprint(c.years), "-concurrency", fmt.Sprint(c.concurrency)}
	if c.profileDir != "" {
		if err := os.MkdirAll(c.profileDir, 0o755); err != nil {
			return childResult{}, 0, err
		}
		name := fmt.Sprintf("heap-%s-%d", dialect, n)
		if version != "" {
			name += "-" + version
		}
		args = append(args, "-memprofile", filepath.Join(c.profileDir, name+".pprof"))
	}
	var stdout bytes.Buffer
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	if err := cmd.Run(); err != nil {
		return childResult{}, 0, fmt.Errorf("the child: %w", err)
	}
	var res childResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		return res, 0, fmt.Errorf("the child's answer %q: %w", stdout.String(), err)
	}
	rss, ok := maxRSS(cmd.ProcessState)
	if !ok {
		return res, 0, errors.New("no rusage for the child on this system")
	}
	return res, rss, nil
}

// wantBars returns the bars the synthetic fetcher makes for symbols over r.
func wantBars(symbols []string, r pricefill.Range) int64 {
	var n int64
	for _, s := range symbols {
		n += int64(len(calendar.For(pricefill.Asset{Symbol: s}).TradingDays(r.From, r.To)))
	}
	return n
}

// writeRatios writes the median ratio to the raw load, and the median
// bars/s, of each database, size and version.
func writeRatios(w io.Writer, res []ingestResult) {
	type key struct {
		dialect, version string
		symbols          int
	}
	var keys []key
	ratios, rates, engine := map[key][]float64{}, map[key][]float64{}, map[key][]float64{}
	for _, x := range res {
		if x.skipped != "" || x.raw == nil {
			continue
		}
		k := key{x.dialect, x.version, x.symbols}
		if _, ok := ratios[k]; !ok {
			keys = append(keys, k)
		}
		ratios[k] = append(ratios[k], x.ratio())
		rates[k] = append(rates[k], x.child.barsPerSecond())
		if r := x.engineRatio(); r > 0 {
			engine[k] = append(engine[k], r)
		}
	}
	median := func(xs []float64) float64 {
		xs = slices.Clone(xs)
		slices.Sort(xs)
		if n := len(xs); n%2 == 0 {
			return (xs[n/2-1] + xs[n/2]) / 2
		}
		return xs[len(xs)/2]
	}
	fmt.Fprintf(w, "\n| database | symbols | version | runs | median bars/s | median ÷ raw | ÷ raw, each run | median ÷ engine raw | ÷ engine raw, each run |\n| --- | ---: | --- | ---: | ---: | ---: | --- | ---: | --- |\n")
	for _, k := range keys {
		version := k.version
		if version == "" {
			version = "this"
		}
		each := func(xs []float64) string {
			s := make([]string, len(xs))
			for i, r := range xs {
				s[i] = fmt.Sprintf("%.2f", r)
			}
			return strings.Join(s, " / ")
		}
		engineMedian := "n/a"
		if len(engine[k]) > 0 {
			engineMedian = fmt.Sprintf("**%.2f**", median(engine[k]))
		}
		fmt.Fprintf(w, "| %s | %d | %s | %d | %s | **%.2f** | %s | %s | %s |\n", k.dialect, k.symbols, version, len(ratios[k]),
			thousands(int64(median(rates[k]))), median(ratios[k]), each(ratios[k]), engineMedian, each(engine[k]))
	}
}

func writeIngest(w io.Writer, c ingestConfig, res []ingestResult) {
	r := ingestRange(c.years)
	fmt.Fprintf(w, "## 3. Ingest throughput and memory\n\n")
	fmt.Fprintf(w, "Synthetic fetcher (backfill/synthetic), %d years (%s), an in-memory limiter that never waits (examples/cli's synthetic source: no minimum gap, no hourly budget, no breaker); "+
		"Runner wired as examples/cli with %d workers, store and SQL queue, log to fetcher_logs, into an empty database. "+
		"Each run is a child process (this program re-executed); its peak RSS is the child's rusage ru_maxrss. "+
		"bars/s is the bars inserted ÷ the wall time of Runner.Run. Peak Go heap is the largest /memory/classes/heap/objects:bytes "+
		"sampled every 10 ms; Go runtime total is /memory/classes/total:bytes at the end (memory that SQLite's C-to-Go code "+
		"allocates outside the Go heap is in neither, only in the RSS).\n\n",
		c.years, r, c.concurrency)
	fmt.Fprintf(w, "| database | symbols | version | bars inserted | Run wall time | bars/s | raw load | raw bars/s | ÷ raw | engine raw bars/s | ÷ engine raw | peak RSS | peak Go heap | Go runtime total | GCs |\n")
	fmt.Fprintf(w, "| --- | ---: | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, x := range res {
		version := x.version
		if version == "" {
			version = "this"
		}
		if x.skipped != "" {
			skippedRow(w, 15, x.dialect, fmt.Sprint(x.symbols), version, x.skipped)
			continue
		}
		tool, rawRate, ratio, engineRate, engineRatio := "not run", "", "", "", ""
		if x.raw != nil {
			tool, rawRate, ratio = x.raw.tool, thousands(int64(x.raw.barsPerSecond())), fmt.Sprintf("**%.2f**", x.ratio())
		}
		if x.engineRatio() > 0 {
			engineRate, engineRatio = thousands(int64(x.raw.engineBarsPerSecond())), fmt.Sprintf("**%.2f**", x.engineRatio())
		}
		fmt.Fprintf(w, "| %s | %d | %s | %s | %.2f s | **%s** | %s | %s | %s | %s | %s | **%s** | %s | %s | %d |\n", x.dialect, x.symbols, version,
			thousands(x.child.Inserted), x.child.Seconds, thousands(int64(x.child.barsPerSecond())), tool, rawRate, ratio, engineRate, engineRatio, mib(x.maxRSS),
			mib(int64(x.child.PeakHeap)), mib(int64(x.child.RuntimeTotal)), x.child.GCs)
	}
	if c.raw {
		fmt.Fprintf(w, "\nraw load: the bars the row's child stored, exported to CSV and loaded again, after the child, into a new table of the same database "+
			"with the schema of prices (primary key, checks, foreign key to assets; on SQLite STRICT, WITHOUT ROWID) by the database's own tool run as a process: "+
			"psql's `\\copy` (one COPY FROM STDIN) or sqlite3's `.import --csv` (one transaction, foreign keys on); raw bars/s is the rows ÷ the tool's wall time. "+
			"÷ raw is the row's bars/s ÷ its raw bars/s. On SQLite, engine raw is the same load by the store's own engine (modernc.org/sqlite, SQLite compiled to Go) "+
			"in the bench process: the CSV read and parsed, one transaction, foreign keys on, prepared INSERTs of 256 rows; ÷ engine raw is the row's bars/s ÷ that.\n")
	}
	if c.raw {
		writeRatios(w, res)
	}
	if c.before != "" {
		fmt.Fprintf(w, "\nversion before: the child of -ingest-before %s, on a database of its own, just before this version's.\n", filepath.Base(c.before))
	}
	// Memory: under 100 MiB, and flat from the smallest to the largest size.
	byDialect := map[string][]ingestResult{}
	for _, x := range res {
		if x.skipped == "" && x.version == "" {
			byDialect[x.dialect] = append(byDialect[x.dialect], x)
		}
	}
	var verdicts []string
	for _, d := range dialects {
		xs := byDialect[d]
		if len(xs) == 0 {
			continue
		}
		peak := int64(0)
		for _, x := range xs {
			peak = max(peak, x.maxRSS)
		}
		v := fmt.Sprintf("%s: largest peak RSS %s, %s", d, mib(peak), met(peak < 100<<20))
		if first, last := xs[0], xs[len(xs)-1]; first.symbols != last.symbols {
			growth := float64(last.maxRSS)/float64(first.maxRSS) - 1
			v += fmt.Sprintf("; %d → %d symbols: %+.1f %% (flat means within ±10 %%: %s)", first.symbols, last.symbols, 100*growth, met(growth < 0.10))
		}
		verdicts = append(verdicts, v)
	}
	if len(verdicts) > 0 {
		fmt.Fprintf(w, "\nTarget under 100 MiB and not growing with the symbols: %s.\n", strings.Join(verdicts, "; "))
	}
	fmt.Fprintln(w)
}
