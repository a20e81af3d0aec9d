package main

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pricefill/pricefill/internal/pgtest"
)

// TestMain runs the ingest child when the tests re-execute their own
// binary as one (runIngest does), and otherwise the tests, with the
// goroutine leak check.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == childCommand {
		os.Exit(childMain(os.Args[2:], os.Stdout, os.Stderr))
	}
	pgtest.Main(m)
}

// The experiments run one after the other, not in parallel: the
// utilisation and baseline runs keep to a rate limit by the wall clock.

func TestSmokeUtilisation(t *testing.T) {
	c := utilisationConfig{symbols: 12, rate: 40, latency: 10 * time.Millisecond, days: 2,
		concurrency: []int{1, 4}, margins: []float64{0.9}, dir: t.TempDir()}
	res, err := runUtilisation(context.Background(), c, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 {
		t.Fatalf("%d results, want one per concurrency (2)", len(res))
	}
	for _, r := range res {
		_, days := shortRange(c.days)
		if r.bars != int64(days*c.symbols) || r.bars != r.wantBars {
			t.Errorf("concurrency %d: %d bars stored, want %d", r.concurrency, r.bars, days*c.symbols)
		}
		if r.requests != c.symbols+r.rateLimited || r.other != 0 {
			t.Errorf("concurrency %d: %d requests, %d refused for the limit, %d other faults; want one a symbol plus one per refusal, no other fault",
				r.concurrency, r.requests, r.rateLimited, r.other)
		}
		if u := r.perSecond() / float64(c.rate); !(u > 0 && u <= 1.05) {
			t.Errorf("concurrency %d: utilisation %v, want in (0, 1.05]", r.concurrency, u)
		}
		if r.peak < 1 || r.peak > c.rate+r.rateLimited {
			t.Errorf("concurrency %d: at most %d requests within a second at the server, want 1 to %d", r.concurrency, r.peak, c.rate+r.rateLimited)
		}
	}
	var b strings.Builder
	writeUtilisation(&b, c, res)
	for _, want := range []string{"## 1. Limit utilisation", "| 1 | ", "| 4 | ", "Target ≥ 0.95"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, b.String())
		}
	}
}

func TestSmokeBaseline(t *testing.T) {
	c := baselineConfig{symbols: 4, rate: 20, latency: 5 * time.Millisecond, days: 3,
		concurrency: 2, margins: []float64{0.9}, dir: t.TempDir()}
	res, err := runBaseline(context.Background(), c, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	_, days := shortRange(c.days)
	if len(res.runners) != 1 {
		t.Fatalf("%d Runner runs, want one per margin (1)", len(res.runners))
	}
	for name, r := range map[string]baselineRun{"script": res.script, "Runner": res.runners[0]} {
		if r.bars != int64(days*c.symbols) {
			t.Errorf("%s: %d bars stored, want %d", name, r.bars, days*c.symbols)
		}
		if r.requests != c.symbols+r.rateLimited || r.wall <= 0 {
			t.Errorf("%s: %d requests (%d refused), wall time %s; want one a symbol plus one per refusal, a positive time", name, r.requests, r.rateLimited, r.wall)
		}
	}
	// The script sleeps 1/R before each symbol.
	if min := time.Duration(c.symbols) * time.Second / time.Duration(c.rate); res.sleeping < min {
		t.Errorf("the script slept %s, want at least %s", res.sleeping, min)
	}
	var b strings.Builder
	writeBaseline(&b, c, *res)
	if !strings.Contains(b.String(), "| Runner, limiter at 0.9 × R |") {
		t.Errorf("the report lacks the speed-up:\n%s", b.String())
	}
}

func TestSmokeIngest(t *testing.T) {
	c := ingestConfig{symbols: []int{3, 6}, years: 1, concurrency: 2, dir: t.TempDir()}
	if os.Getenv(pgtest.EnvURL) != "" { // a server at hand: cheap
		c.pgURL = pgtest.DSN(t)
	}
	res, err := runIngest(context.Background(), c, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 4 {
		t.Fatalf("%d results, want 4 (two databases, two sizes)", len(res))
	}
	for _, r := range res {
		if r.skipped != "" {
			if r.dialect != "postgres" || c.pgURL != "" {
				t.Errorf("%s, %d symbols: %s", r.dialect, r.symbols, r.skipped)
			}
			continue
		}
		want := wantBars(benchSymbols(r.symbols), ingestRange(c.years))
		if r.child.Inserted != want || r.child.Stored != want || want < int64(250*r.symbols) {
			t.Errorf("%s, %d symbols: %d bars inserted, %d stored, want %d (about 252 a symbol)", r.dialect, r.symbols, r.child.Inserted, r.child.Stored, want)
		}
		if r.maxRSS < 1<<20 || r.maxRSS > 1<<30 {
			t.Errorf("%s, %d symbols: peak RSS %d bytes, want between 1 MiB and 1 GiB", r.dialect, r.symbols, r.maxRSS)
		}
		if r.child.Seconds <= 0 || r.child.PeakHeap == 0 {
			t.Errorf("%s, %d symbols: %v s, peak heap %d; want both positive", r.dialect, r.symbols, r.child.Seconds, r.child.PeakHeap)
		}
	}
	var b strings.Builder
	writeIngest(&b, c, res)
	if !strings.Contains(b.String(), "| sqlite | 6 |") {
		t.Errorf("the report lacks the SQLite row of 6 symbols:\n%s", b.String())
	}
}

func TestFlags(t *testing.T) {
	t.Parallel()
	cfg, err := parseFlags([]string{"-run", "ingest,utilisation", "-concurrency", "2,3", "-ingest-symbols", "7"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(cfg.run, ",") != "ingest,utilisation" || len(cfg.utilisation.concurrency) != 2 || cfg.ingest.symbols[0] != 7 {
		t.Errorf("parsed %+v", cfg)
	}
	for _, args := range [][]string{
		{"-run", "bogus"},
		{"-concurrency", "0"},
		{"-margin", "1.5"},
		{"-ingest-symbols", "x"},
		{"-pg", "mysql://x"},
		{"extra"},
	} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("parseFlags(%q) = nil error, want one", args)
		}
	}
}
