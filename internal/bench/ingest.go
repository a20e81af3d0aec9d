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
	skipped string
	child   childResult
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
	var out []ingestResult
	for _, dialect := range dialects {
		for _, n := range c.symbols {
			res := ingestResult{dialect: dialect, symbols: n}
			if res.skipped = skipped(dialect, c.pgURL); res.skipped != "" {
				out = append(out, res)
				continue
			}
			var err error
			res.child, res.maxRSS, err = ingestOnce(ctx, c, exe, dialect, n, dir, stderr)
			if err != nil {
				return out, fmt.Errorf("%s, %d symbols: %w", dialect, n, err)
			}
			fmt.Fprintf(stderr, "bench: ingest %s, %d symbols: %.0f bars/s, peak RSS %s\n", dialect, n, res.child.barsPerSecond(), mib(res.maxRSS))
			out = append(out, res)
		}
	}
	return out, nil
}

// ingestOnce runs one child on a new database and returns what it
// measured and its peak RSS.
func ingestOnce(ctx context.Context, c ingestConfig, exe, dialect string, n int, dir string, stderr io.Writer) (childResult, int64, error) {
	dsn, drop, err := newDatabase(ctx, dialect, filepath.Join(dir, fmt.Sprintf("ingest-%d.db", n)), c.pgURL, stderr)
	if err != nil {
		return childResult{}, 0, err
	}
	defer drop()
	args := []string{childCommand,
		"-dialect", dialect, "-dsn", dsn, "-symbols", fmt.Sprint(n),
		"-years", fmt.Sprint(c.years), "-concurrency", fmt.Sprint(c.concurrency)}
	if c.profileDir != "" {
		if err := os.MkdirAll(c.profileDir, 0o755); err != nil {
			return childResult{}, 0, err
		}
		args = append(args, "-memprofile", filepath.Join(c.profileDir, fmt.Sprintf("heap-%s-%d.pprof", dialect, n)))
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
	fmt.Fprintf(w, "| database | symbols | bars inserted | Run wall time | bars/s | peak RSS | peak Go heap | Go runtime total | GCs |\n")
	fmt.Fprintf(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, x := range res {
		if x.skipped != "" {
			skippedRow(w, 9, x.dialect, fmt.Sprint(x.symbols), x.skipped)
			continue
		}
		fmt.Fprintf(w, "| %s | %d | %s | %.2f s | **%s** | **%s** | %s | %s | %d |\n", x.dialect, x.symbols,
			thousands(x.child.Inserted), x.child.Seconds, thousands(int64(x.child.barsPerSecond())), mib(x.maxRSS),
			mib(int64(x.child.PeakHeap)), mib(int64(x.child.RuntimeTotal)), x.child.GCs)
	}
	// Memory: under 100 MiB, and flat from the smallest to the largest size.
	byDialect := map[string][]ingestResult{}
	for _, x := range res {
		if x.skipped == "" {
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
		if len(xs) > 1 {
			first, last := xs[0], xs[len(xs)-1]
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
