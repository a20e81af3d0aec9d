package main

import (
	"context"
	"io"
	"strings"
	"testing"
)

// TestSmokeRawLoad runs the ingest experiment at a tiny size with the raw
// loads, twice: each raw load holds every bar its child stored, and the
// report gives each run's ratio and the medians.
func TestSmokeRawLoad(t *testing.T) {
	c := ingestConfig{symbols: []int{3}, years: 1, concurrency: 2, dir: t.TempDir(), raw: true, repeat: 2}
	c.pgURL = testPG(t)
	res, err := runIngest(context.Background(), c, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 4 {
		t.Fatalf("%d results, want 4 (two databases, two runs)", len(res))
	}
	for _, r := range res {
		if wasSkipped(t, r.dialect, r.dialect, r.skipped, c.pgURL) {
			continue
		}
		if r.raw == nil || r.raw.rows != r.child.Stored || r.raw.seconds <= 0 || r.ratio() <= 0 {
			t.Errorf("%s: raw load %+v after %d bars stored; want them all, in a positive time", r.dialect, r.raw, r.child.Stored)
		}
		if engine := r.raw != nil && r.raw.engineSeconds > 0; engine != (r.dialect == "sqlite") {
			t.Errorf("%s: raw load by the store's engine: %v, want one on SQLite only", r.dialect, engine)
		}
	}
	var b strings.Builder
	writeIngest(&b, c, res)
	for _, want := range []string{"| sqlite | 3 | this | 2 |", "| sqlite3 .import |"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, b.String())
		}
	}
}
