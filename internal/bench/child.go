package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/pricefill/pricefill/backfill/synthetic"
)

// childCommand, as the first argument, makes the program one ingest run
// (see runIngest) that writes its childResult as JSON to stdout.
const childCommand = "__ingest-child"

// childResult is what a child measured; its parent adds the peak RSS.
type childResult struct {
	Symbols  int     `json:"symbols"`
	Inserted int64   `json:"inserted"`
	Stored   int64   `json:"stored"`
	Want     int64   `json:"want"`
	Seconds  float64 `json:"seconds"`
	// PeakHeap is the largest live heap sampled during the run, bytes.
	PeakHeap uint64 `json:"peak_heap"`
	// RuntimeTotal is the memory the Go runtime had mapped at the end.
	RuntimeTotal uint64 `json:"runtime_total"`
	GCs          uint64 `json:"gcs"`
}

func (r childResult) barsPerSecond() float64 { return float64(r.Inserted) / r.Seconds }

// childMain is the child's program: it returns the exit status.
func childMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(childCommand, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dialect := fs.String("dialect", "sqlite", "sqlite or postgres")
	dsn := fs.String("dsn", "", "the database")
	n := fs.Int("symbols", 500, "symbols")
	years := fs.Int("years", 10, "years of bars")
	concurrency := fs.Int("concurrency", 4, "workers")
	profile := fs.String("memprofile", "", "write a heap profile to this file at the end of the run")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	res, err := ingestChild(context.Background(), *dialect, *dsn, *n, *years, *concurrency, *profile, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "bench child:", err)
		return 1
	}
	if err := json.NewEncoder(stdout).Encode(res); err != nil {
		fmt.Fprintln(stderr, "bench child:", err)
		return 1
	}
	return 0
}

func ingestChild(ctx context.Context, dialect, dsn string, n, years, concurrency int, profile string, stderr io.Writer) (childResult, error) {
	res := childResult{Symbols: n}
	f, err := synthetic.New()
	if err != nil {
		return res, err
	}
	// examples/cli --source synthetic: a limiter in memory, without a
	// minimum gap, an hourly budget or a breaker: it never waits.
	p, err := openPipeline(ctx, wiring{dsn: dsn, source: "synthetic", fetcher: f, concurrency: concurrency, console: stderr})
	if err != nil {
		return res, err
	}
	defer p.Close()

	symbols := benchSymbols(n)
	r := ingestRange(years)
	res.Want = wantBars(symbols, r)
	stop := sampleHeap(10 * time.Millisecond)
	rep, wall, err := p.run(ctx, symbols, r)
	res.PeakHeap = stop()
	if err != nil {
		return res, err
	}
	res.Inserted, res.Seconds = rep.Inserted, wall.Seconds()
	if profile != "" {
		if err := writeHeapProfile(profile); err != nil {
			return res, err
		}
	}
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	res.RuntimeTotal, res.GCs = s[0].Value.Uint64(), s[1].Value.Uint64()

	if err := p.Close(); err != nil {
		return res, err
	}
	if res.Stored, err = countPrices(ctx, dialect, dsn); err != nil {
		return res, err
	}
	if res.Inserted != res.Want || res.Stored != res.Want {
		return res, fmt.Errorf("%d bars inserted and %d stored, want %d", res.Inserted, res.Stored, res.Want)
	}
	return res, nil
}

// sampleHeap samples the live heap every interval until the returned
// function is called, which returns the largest sample.
func sampleHeap(interval time.Duration) func() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	read := func() {
		metrics.Read(s)
		peak = max(peak, s[0].Value.Uint64())
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				read()
			}
		}
	})
	return func() uint64 {
		close(done)
		wg.Wait()
		read()
		return peak
	}
}

func writeHeapProfile(path string) error {
	runtime.GC() // the profile's in-use figures are as of the last GC
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.WriteHeapProfile(f); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
